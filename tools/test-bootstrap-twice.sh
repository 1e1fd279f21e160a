#!/usr/bin/env bash
# Runs `tools/bootstrap.sh --with-docker` twice in a row, the first run starting "the daemon",
# and fails when the second run does not finish in time or the daemon holds the bootstrap lock
# (issue 13: dockerd inherited the flock on fd 9 and every later bootstrap waited forever).
#
# The real dockerd is never touched: the bootstrap runs in a scratch copy of the repository with
#   - fake `dockerd` / `docker` / `systemctl` / `sysctl` / `debootstrap` first on PATH: the fake
#     dockerd stays alive (exec sleep, so its descriptors are the ones it inherited) and creates a
#     marker that makes the fake `docker info` answer;
#   - a fake tools/build-image.sh (the base images are not this test's business);
#   - PACSOPS_CACHE in a temporary directory whose venv-<hash> links to the real venv, so nothing
#     is rebuilt.
# Against the code before 9ba9c11 it fails: "second bootstrap did not finish in 20s".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
timeout_s=${PACSOPS_TEST_TIMEOUT:-20}
scratch=$(mktemp -d /tmp/pacsops-bootstrap-test.XXXXXX)
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

clone=$scratch/repo cache=$scratch/cache bin=$scratch/bin state=$scratch/state
mkdir -p "$clone/tools" "$cache" "$bin" "$state"
cp "$repo/tools/bootstrap.sh" "$repo/tools/docker-up.sh" "$clone/tools/"
cp "$repo/requirements-dev.txt" "$clone/"
printf '#!/bin/sh\nexit 0\n' >"$clone/tools/build-image.sh"
ln -s "$(readlink -f "$repo/.venv")" "$(cd "$clone" && PACSOPS_CACHE="$cache" tools/bootstrap.sh --venv-path)"

cat >"$bin/dockerd" <<EOF
#!/bin/sh
echo \$\$ >"$state/dockerd.pid"
touch "$state/running"
exec sleep 600
EOF
cat >"$bin/docker" <<EOF
#!/bin/sh
[ "\$1" = info ] && [ -f "$state/running" ]
EOF
printf '#!/bin/sh\nexit 1\n' >"$bin/systemctl"
printf '#!/bin/sh\necho 1024\n' >"$bin/sysctl"
printf '#!/bin/sh\nexit 0\n' >"$bin/debootstrap"
chmod +x "$bin"/* "$clone/tools/"*.sh

run_bootstrap() {  # run_bootstrap N: one locked bootstrap with the fakes, bounded in time
  local start rc=0
  start=$(date +%s%N)
  (cd "$clone" && PATH="$bin:$PATH" PACSOPS_CACHE="$cache" timeout "$timeout_s" tools/bootstrap.sh --with-docker) \
    >"$state/bootstrap-$1.log" 2>&1 || rc=$?
  echo "bootstrap $1: rc=$rc in $(( ($(date +%s%N) - start) / 1000000 )) ms"
  if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq 124 ] && echo "FAIL: bootstrap $1 did not finish in ${timeout_s}s (waiting for the lock?)" >&2
    cat "$state/bootstrap-$1.log" >&2
    return 1
  fi
}

run_bootstrap 1
[ -f "$state/dockerd.pid" ] || { echo "FAIL: the first bootstrap did not start the (fake) daemon" >&2; exit 1; }
daemon_pid=$(cat "$state/dockerd.pid")
kill -0 "$daemon_pid" || { echo "FAIL: the daemon did not outlive the bootstrap" >&2; exit 1; }

failures=0
# The daemon holds no descriptor on the lock file (nor anything else in the bootstrap's cache).
held=$(find "/proc/$daemon_pid/fd" -mindepth 1 -maxdepth 1 -printf '%f -> %l\n' | awk -v c="$cache" 'index($0, c)')
if [ -n "$held" ]; then
  echo "FAIL: the daemon (pid $daemon_pid) holds descriptors in the bootstrap's cache: $held" >&2
  failures=$((failures + 1))
fi
# Its own session: a hang-up of the terminal that ran `make demo` does not reach it.
sid=$(awk '{print $6}' "/proc/$daemon_pid/stat")
if [ "$sid" != "$daemon_pid" ]; then
  echo "FAIL: the daemon runs in session $sid, not its own" >&2
  failures=$((failures + 1))
fi

run_bootstrap 2 || failures=$((failures + 1))
if [ "$(cat "$state/dockerd.pid")" != "$daemon_pid" ]; then
  echo "FAIL: the second bootstrap started another daemon" >&2
  failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] || exit 1
echo "ok: the second bootstrap finished; the daemon (pid $daemon_pid, own session) holds no lock"
