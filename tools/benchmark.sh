#!/usr/bin/env bash
# Measures what the performance goals are about, in one go, on fresh containers of one image:
#   1. the shell floor (tools/bench/shell-floor.sh: the same packages and services as a script), and the
#      same steps as plain Ansible tasks (shell-floor.sh --tasks: what Ansible adds before any configuration),
#   2. playbooks/ipacs_host.yml: converge (cold), re-run of the converged host, check mode on it,
#      the services the re-run restarted, and the re-run's tasks that were not skipped (remote calls:
#      those that are not controller-only, not delegated to the controller, not answered on the
#      controller from a host_state read, and not answered from the run's first read), and the commands the
#      connection ran on the host during one more re-run at -vvv.
# Prints a Markdown table. Usage: tools/benchmark.sh [image]   (default pacsops/debian12:latest)
# Containers: $PACSOPS_BENCH_PREFIX-floor, -floor-tasks and $PACSOPS_BENCH_PREFIX (default pacsops-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_NOCOLOR=1
export ANSIBLE_COLLECTIONS_PATH="$PWD/.cache/collections"
image=${1:-pacsops/debian12:latest}
host=${PACSOPS_BENCH_PREFIX:-pacsops-bench}
logs=.cache/bench
inventory=$(mktemp -d)
trap 'rm -rf "$inventory"; docker rm -f $host >/dev/null 2>&1 || true' EXIT
mkdir -p $logs

ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# 1. The shell floor, on its own fresh container.
tools/bench/shell-floor.sh "$image" >$logs/floor.log 2>&1 || { tail -20 $logs/floor.log; exit 1; }
floor_first=$(sed -n 's/^first run: \([0-9]*\) ms$/\1/p' $logs/floor.log)
floor_second=$(sed -n 's/^second run: \([0-9]*\) ms$/\1/p' $logs/floor.log)
tools/bench/shell-floor.sh --tasks "$image" >$logs/floor-tasks.log 2>&1 || { tail -20 $logs/floor-tasks.log; exit 1; }
tasks_first=$(sed -n 's/^first run: \([0-9]*\) ms$/\1/p' $logs/floor-tasks.log)
tasks_second=$(sed -n 's/^second run: \([0-9]*\) ms$/\1/p' $logs/floor-tasks.log)

# 2. The playbook with the example inventory's variables, on one fresh host.
cp -r inventories/example/group_vars "$inventory/"
printf 'all:\n  children:\n    ipacs_hosts:\n      hosts:\n        %s:\n          ansible_connection: community.docker.docker_api\n' $host \
  >"$inventory/hosts.yml"
docker rm -f $host >/dev/null 2>&1 || true
ansible-playbook molecule/shared/create.yml -i "$inventory/hosts.yml" \
  -e "{\"molecule_yml\": {\"platforms\": [{\"name\": \"$host\", \"image\": \"$image\"}]}}" >/dev/null
# The demo host's settings (the DICOM check from the controller over the bridge), for this container.
mkdir -p "$inventory/host_vars"
cp inventories/example/host_vars/pacsops-demo.yml "$inventory/host_vars/$host.yml"
PACSOPS_DEMO_ADDRESS=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' $host)
PACSOPS_DEMO_GATEWAY=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' $host)
export PACSOPS_DEMO_ADDRESS PACSOPS_DEMO_GATEWAY

declare -A took recap
run() {  # run LABEL ARGS...: one timed playbook run; records its time and recap
  local label=$1 start
  shift
  start=$(ms)
  ansible-playbook -i "$inventory/hosts.yml" playbooks/ipacs_host.yml "$@" >"$logs/$label.log" 2>&1 \
    || { tail -30 "$logs/$label.log"; exit 1; }
  took[$label]=$(( $(ms) - start ))
  recap[$label]=$(grep -E "^$host +:" "$logs/$label.log" | tr -s ' ' | cut -d' ' -f3-6 || true)
}

# Start time of every running service: a restart moves it.
started() {
  docker exec $host sh -c 'for u in $(systemctl list-units --type=service --state=running --no-legend --plain | cut -d" " -f1); do
    echo "$u $(systemctl show -p ActiveEnterTimestampMonotonic --value "$u")"; done' | sort
}

run converge --flush-cache  # a fresh container: no facts from an earlier one
before=$(started)
# The re-run once more with the JSON callback, to count the tasks that ran (profile_tasks off: it
# would print into the JSON); timed like the others.
# (connection_preload as in ansible.cfg; profile_tasks is left out)
ANSIBLE_STDOUT_CALLBACK=ansible.posix.json ANSIBLE_CALLBACKS_ENABLED=pacsops.server.connection_preload,pacsops.server.host_reads \
  run rerun
run check --check
# Remote calls counted at the connection: one more re-run at -vvv (slower, so not timed above), every command the
# connection ran on the host. (The JSON classification below cannot see inside no_log results.)
run count -vvv
exec_calls=$(grep -c "^<$host> EXEC " $logs/count.log || true)
after=$(started)
restarted=$(diff <(echo "$before") <(echo "$after") | grep '^>' | cut -d' ' -f2 | tr '\n' ' ' || true)
# The JSON run has no recap line: count changed from its stats.
recap[rerun]=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stats"][sys.argv[2]]; print("ok=%d changed=%d unreachable=%d failed=%d" % (s["ok"], s["changed"], s["unreachable"], s["failures"]))' \
  $logs/rerun.log $host)

# Tasks on the re-run path that were not skipped, and which of them contacted the host.
python3 - $logs/rerun.log $host >$logs/rerun-tasks.txt <<'PY'
import json, sys
CONTROLLER_ONLY = {'ansible.builtin.assert', 'assert', 'ansible.builtin.debug', 'debug', 'ansible.builtin.set_fact',
                   'set_fact', 'ansible.builtin.include_vars', 'include_vars', 'ansible.builtin.include_tasks',
                   'include_tasks', 'ansible.builtin.import_tasks', 'ansible.builtin.meta', 'meta',
                   'ansible.builtin.validate_argument_spec', 'validate_argument_spec', 'ansible.builtin.fail', 'fail',
                   'pacsops.server.validate_inputs'}  # no connection (_requires_connection = False)
data, host = json.load(open(sys.argv[1])), sys.argv[2]
ran = []
for play in data['plays']:
    for task in play['tasks']:
        result = task['hosts'].get(host, {})
        if not result or result.get('skipped'):
            continue
        loop = result.get('results')
        if loop is not None and all(item.get('skipped') for item in loop):
            continue
        action = result.get('action') or task['task'].get('action', '')
        delegated = (result.get('_ansible_delegated_vars') or {}).get('ansible_host')
        local = (action in CONTROLLER_ONLY or result.get('msg') == 'all files match the state read before'
                 or result.get('answered_from_first_read') is True
                 or delegated in ('localhost', '127.0.0.1'))
        start, end = task['task']['duration']['start'], task['task']['duration']['end']
        from datetime import datetime
        seconds = (datetime.fromisoformat(end.rstrip('Z')) - datetime.fromisoformat(start.rstrip('Z'))).total_seconds()
        ran.append(('controller' if local else 'REMOTE', seconds, task['task']['name']))
for where, seconds, name in ran:
    print('%-10s %6.2f s  %s' % (where, seconds, name))
print('TOTAL %d %d' % (len(ran), sum(1 for where, _, _ in ran if where == 'REMOTE')))
PY
read -r _ tasks_ran remote_calls < <(grep '^TOTAL' $logs/rerun-tasks.txt)

floor=${floor_first:-0}
ratio=$(python3 -c "print('%.2f' % (${took[converge]} / max($floor, 1)))")
tasks_ratio=$(python3 -c "print('%.2f' % (${tasks_first:-0} / max($floor, 1)))")
over_tasks=$(python3 -c "print('%.2f' % (${took[converge]} / max(${tasks_first:-0}, 1)))")
cat <<TABLE
Benchmark of playbooks/ipacs_host.yml, image $image, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)

| measure | result | target |
|---|---|---|
| shell floor, fresh container | $(secs $floor) s | |
| shell floor, second run | $(secs ${floor_second:-0}) s | |
| the floor's steps as tasks (one apt install, starts, ports, account, databases), fresh container | $(secs ${tasks_first:-0}) s (${tasks_ratio}x floor) | |
| the floor's steps as tasks, second run | $(secs ${tasks_second:-0}) s | |
| converge | $(secs ${took[converge]}) s (${ratio}x floor, ${over_tasks}x the floor as tasks), ${recap[converge]} | <= 1.3x floor |
| re-run | $(secs ${took[rerun]}) s, ${recap[rerun]} | <= 8 s, changed=0 |
| check mode | $(secs ${took[check]}) s, ${recap[check]} | <= 8 s, changed=0 |
| services restarted by the re-run and check mode | ${restarted:-none} | none |
| re-run tasks not skipped / remote calls (classified / counted at the connection) | $tasks_ran / $remote_calls / $exec_calls | one host read per run |

Re-run tasks that were not skipped ($logs/rerun-tasks.txt):
\`\`\`
$(grep -v '^TOTAL' $logs/rerun-tasks.txt)
\`\`\`
TABLE
