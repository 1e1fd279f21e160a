#!/usr/bin/env bash
# The reference the performance goal is measured against: a plain shell script that brings up
# firewalld, Docker, MariaDB with an app user, chrony and the ipacs account on a fresh container,
# then runs again. Usage: tools/bench/shell-floor.sh [image]   (prints both wall times)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
image=${1:-pacsops/debian12:latest}
host=pacsops-shell-floor
trap 'docker rm -f $host >/dev/null 2>&1 || true' EXIT
docker rm -f $host >/dev/null 2>&1 || true
ansible-playbook molecule/shared/create.yml -i "$host," -e ansible_connection=community.docker.docker_api \
  -e "{\"molecule_yml\": {\"platforms\": [{\"name\": \"$host\", \"image\": \"$image\"}]}}" >/dev/null

script='set -e
export DEBIAN_FRONTEND=noninteractive
[ -n "$(find /var/lib/apt/lists -name "*Packages*" -mmin -1440 2>/dev/null)" ] || apt-get update -qq
dpkg -s firewalld docker.io mariadb-server chrony python3-pymysql >/dev/null 2>&1 \
  || apt-get install -y -qq firewalld docker.io mariadb-server chrony >/dev/null
systemctl enable --now firewalld docker mariadb chrony >/dev/null 2>&1
for s in ssh http https; do firewall-cmd -q --permanent --add-service=$s; done
firewall-cmd -q --reload
id ipacs >/dev/null 2>&1 || useradd -m -s /bin/bash ipacs
mkdir -p /home/ipacs/demo && chown ipacs: /home/ipacs/demo && chmod 0750 /home/ipacs /home/ipacs/demo
mysql -e "CREATE DATABASE IF NOT EXISTS public_pacs; CREATE USER IF NOT EXISTS ipacs@localhost IDENTIFIED BY \"secret\"; GRANT ALL ON public_pacs.* TO ipacs@localhost"'

for label in first second; do
  start=$(date +%s%N)
  docker exec $host bash -c "$script"
  echo "$label run: $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
