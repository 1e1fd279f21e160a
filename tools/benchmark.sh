#!/usr/bin/env bash
# Measures what the performance goals are about, on a fresh Debian container:
#   converge (cold), re-run of the converged host, check mode on it, and whether any service
#   restarted during the re-run. Usage: tools/benchmark.sh [image]   (default pacsops/debian12)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_NOCOLOR=1
image=${1:-pacsops/debian12:latest}
host=pacsops-bench
inventory=$(mktemp -d)
trap 'rm -rf "$inventory"; docker rm -f $host >/dev/null 2>&1 || true' EXIT
# The example inventory's variables, for one fresh host.
cp -r inventories/example/group_vars "$inventory/"
printf 'all:\n  children:\n    ipacs_hosts:\n      hosts:\n        %s:\n          ansible_connection: community.docker.docker_api\n' $host \
  >"$inventory/hosts.yml"

docker rm -f $host >/dev/null 2>&1 || true
ansible-playbook molecule/shared/create.yml -i "$inventory/hosts.yml" \
  -e "{\"molecule_yml\": {\"platforms\": [{\"name\": \"$host\", \"image\": \"$image\"}]}}" >/dev/null

run() {  # run LABEL ARGS...: one timed playbook run; prints seconds and the recap
  local label=$1 start end ms
  shift
  start=$(date +%s%N)
  ansible-playbook -i "$inventory/hosts.yml" playbooks/ipacs_host.yml "$@" >".cache/bench-$label.log" 2>&1 \
    || { tail -30 ".cache/bench-$label.log"; exit 1; }
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  printf '%-10s %3d.%01d s  %s\n' "$label" $((ms / 1000)) $((ms % 1000 / 100)) \
    "$(grep -E "^$host" ".cache/bench-$label.log" | tr -s ' ' | cut -d' ' -f3-6)"
}

# Services whose restart would interrupt a PACS; their start times must not move on a re-run.
started() {
  docker exec $host sh -c 'for u in $(systemctl list-units --type=service --state=running --no-legend --plain | cut -d" " -f1); do
    echo "$u $(systemctl show -p ActiveEnterTimestampMonotonic --value "$u")"; done' | sort
}

mkdir -p .cache
echo "image $image, $(nproc) cores"
run converge
before=$(started)
run rerun
run check --check
after=$(started)
restarted=$(diff <(echo "$before") <(echo "$after") | grep '^>' | cut -d' ' -f2 || true)
echo "services restarted by the re-run: ${restarted:-none}"
