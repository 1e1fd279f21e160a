#!/usr/bin/env bash
# The reference the performance goal is measured against: a plain shell script that installs and
# starts what playbooks/ipacs_host.yml installs (firewalld, Docker + Compose, MariaDB with an app user
# and its schemas, chrony, ClamAV, OpenVPN, the ipacs account, the Orthanc DICOM archive, and the
# hardening role's packages: sshd, auditd, unattended-upgrades, Lynis and its helpers) on a fresh
# container, then runs again.
# With --tasks, the same steps as a playbook of the built-in and dependency modules instead
# (tools/bench/floor-tasks.yml: one apt transaction, the starts, the ports, the account, the databases),
# on a container of its own: what Ansible itself adds to the floor, before any configuration.
# Usage: tools/bench/shell-floor.sh [--tasks] [image]   prints "first run: N ms" and "second run: N ms".
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
mode=shell
[ "${1:-}" != --tasks ] || { mode=tasks; shift; }
image=${1:-pacsops/debian12:latest}
host=${PACSOPS_BENCH_PREFIX:-pacsops-bench}-floor
[ $mode = shell ] || host=$host-tasks
inventory=$(mktemp --suffix .yml)
log=$(mktemp)
trap 'rm -f "$inventory" "$log"; docker rm -f $host >/dev/null 2>&1 || true' EXIT
docker rm -f $host >/dev/null 2>&1 || true
# create.yml's last play waits for the container through the inventory's connection.
printf 'all:\n  hosts:\n    %s:\n      ansible_connection: community.docker.docker_api\n' $host >"$inventory"
ansible-playbook molecule/shared/create.yml -i "$inventory" \
  -e "{\"molecule_yml\": {\"platforms\": [{\"name\": \"$host\", \"image\": \"$image\"}]}}" >/dev/null

# Debian 13 ships Compose v2 as docker-compose; Debian 12 gets docker.io alone (as the role does).
packages="firewalld docker.io mariadb-server mariadb-client python3-pymysql chrony
  clamav-daemon clamav-freshclam clamdscan openvpn python3-selinux python3-semanage orthanc
  openssh-server auditd unattended-upgrades libpam-pwquality lynis debsums apt-show-versions sysstat
  libpam-tmpdir apt-listchanges"
[ "$(docker exec $host sh -c '. /etc/os-release; echo $VERSION_ID')" = 12 ] || packages="$packages docker-cli docker-compose"
packages=$(echo $packages)

script='set -e
export DEBIAN_FRONTEND=noninteractive
[ -n "$(find /var/lib/apt/lists -name "*Packages*" -mmin -1440 2>/dev/null)" ] || apt-get update -qq
dpkg -s $PACKAGES >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
systemctl enable --now firewalld docker mariadb chrony clamav-freshclam orthanc ssh >/dev/null 2>&1
for p in 22/tcp 80/tcp 443/tcp; do firewall-cmd -q --permanent --add-port=$p; done
firewall-cmd -q --reload
id ipacs >/dev/null 2>&1 || useradd -m -s /bin/bash ipacs
usermod -aG docker ipacs
mkdir -p /home/ipacs/demo && chown ipacs: /home/ipacs/demo && chmod 0750 /home/ipacs /home/ipacs/demo
mysql -e "CREATE DATABASE IF NOT EXISTS public_pacs; CREATE DATABASE IF NOT EXISTS public_view;
  CREATE USER IF NOT EXISTS ipacs@localhost IDENTIFIED BY \"secret\";
  GRANT ALL ON public_pacs.* TO ipacs@localhost; GRANT ALL ON public_view.* TO ipacs@localhost"'

for label in first second; do
  start=$(date +%s%N)
  if [ $mode = shell ]; then
    docker exec -e PACKAGES="$packages" $host bash -c "$script"
  else
    # The whole output goes to the log (the caller shows its tail on a failure), the recap line here.
    ansible-playbook -i "$inventory" tools/bench/floor-tasks.yml -e "floor_packages='$packages'" >"$log" 2>&1 \
      || { tail -30 "$log"; exit 1; }
    grep -E "^$host +:" "$log" | tr -s ' '
  fi
  echo "$label run: $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
