#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: installs docker.io from apt and starts
# dockerd when none runs (no init system manages it in this sandbox). Also raises the inotify
# instance limit: every systemd container takes some, and past ~16 the next one hangs at boot.
set -euo pipefail
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi
command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
if ! docker info >/dev/null 2>&1; then
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    systemctl start docker
  else
    # The daemon must not inherit any descriptor of its caller: the bootstrap holds its flock on
    # fd 9, and a dockerd keeping it would make every later bootstrap wait forever. Close every
    # descriptor above stderr, start it in its own session (it outlives this shell and ignores
    # the terminal's hang-up), and detach its standard input.
    (
      for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] && eval "exec $fd>&-"
      done
      exec setsid dockerd </dev/null >>/var/log/pacsops-dockerd.log 2>&1
    ) &
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/pacsops-dockerd.log" >&2; exit 1; }
fi
if [ "$(sysctl -n fs.inotify.max_user_instances)" -lt 1024 ]; then
  sysctl -qw fs.inotify.max_user_instances=1024
fi
