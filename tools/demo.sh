#!/usr/bin/env bash
# `make demo`: the main job on the embedded default target. Starts (or re-uses) the local systemd
# container `pacsops-demo`, runs playbooks/ipacs_host.yml against it through inventories/example/
# and prints the readiness report. A second run re-uses the container and changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg"
image=${PACSOPS_DEMO_IMAGE:-pacsops/debian12:latest}

# What the container is now: running or not, from which image, and its address on the docker bridge
# with the bridge's gateway (the controller as the container sees it, for the DICOM archive's check,
# host_vars/pacsops-demo.yml). Empty when there is no such container.
demo_state() {
  docker inspect -f '{{.State.Running}} {{.Image}}{{range .NetworkSettings.Networks}} {{.IPAddress}} {{.Gateway}}{{end}}' \
    pacsops-demo 2>/dev/null || true
}
read -r running image_id PACSOPS_DEMO_ADDRESS PACSOPS_DEMO_GATEWAY <<<"$(demo_state)" || true
# A second run finds the container running from the image it asks for and goes straight on (the
# create playbook cost 6 s for that answer). Otherwise the same playbook that makes the Molecule test
# containers makes a missing one, starts a stopped one, replaces one from another image, and waits
# for systemd. (A changed molecule/shared/create.yml reaches a running demo container after
# `make clean`.)
# A container made or replaced here gets its facts gathered afresh (ansible.cfg caches them an hour).
flush=()
if [ "${running:-}" != true ] || [ "${image_id:-}" != "$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null)" ]; then
  flush=(--flush-cache)
  ansible-playbook molecule/shared/create.yml -i inventories/example/hosts.yml \
    -e "{\"molecule_yml\": {\"platforms\": [{\"name\": \"pacsops-demo\", \"image\": \"$image\"}]}}" >/dev/null
  read -r running image_id PACSOPS_DEMO_ADDRESS PACSOPS_DEMO_GATEWAY <<<"$(demo_state)"
fi
export PACSOPS_DEMO_ADDRESS PACSOPS_DEMO_GATEWAY

mkdir -p .cache
start=$(date +%s)
# pacsops.server.role_summary (plugins/callback/) counts each role's results and time; printed below.
role_summary=.cache/demo-role-summary.txt
rm -f "$role_summary"
ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks,pacsops.server.connection_preload,pacsops.server.host_reads,pacsops.server.role_summary PACSOPS_ROLE_SUMMARY_PATH="$role_summary" \
  ansible-playbook playbooks/ipacs_host.yml "${flush[@]}" | tee .cache/demo-last-run.log
echo "playbook wall time: $(( $(date +%s) - start ))s"

# The headline: the bare host is now a DICOM archive that answers and stores.
ansible-playbook playbooks/dicom_verify.yml >.cache/demo-dicom.log 2>&1 || { cat .cache/demo-dicom.log; exit 1; }

report=inventories/example/reports/pacsops-demo.md
if [ -f "$report" ]; then
  echo
  cat "$report"
fi
if [ -f "$role_summary" ]; then
  echo
  echo "What each role did (task results on all hosts, wall time):"
  cat "$role_summary"
fi
echo
echo "Run summary (a second \`make demo\` shows changed=0):"
sed -n '/^PLAY RECAP/,/^$/p' .cache/demo-last-run.log
echo "DICOM archive on pacsops-demo ($PACSOPS_DEMO_ADDRESS:11112):"
grep -E '"(C-ECHO|1 association)' .cache/demo-dicom.log | sed 's/^ *"/  /; s/",\?$//'
