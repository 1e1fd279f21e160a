# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fabricated /proc and /sys trees for the pacs_preflight tests."""

from __future__ import annotations

import os

GIB = 1024 ** 3
GB = 1000 ** 3

DEFAULT_MOUNTS = [
    ('/dev/vda1', '/', 'ext4'),
    ('/dev/vdb1', '/home', 'xfs'),
    ('proc', '/proc', 'proc'),
]

MDSTAT_HEALTHY = """Personalities : [raid10] [raid6] [raid5] [raid4]
md0 : active raid10 sdd1[3] sdc1[2] sdb1[1] sda1[0]
      1953260544 blocks super 1.2 512K chunks 2 near-copies [4/4] [UUUU]
      bitmap: 0/15 pages [0KB], 65536KB chunk

md1 : active raid6 sdh1[3] sdg1[2] sdf1[1] sde1[0]
      3906521088 blocks super 1.2 level 6, 512k chunk, algorithm 2 [4/4] [UUUU]

unused devices: <none>
"""

MDSTAT_DEGRADED = """Personalities : [raid1]
md0 : active raid1 sdb1[1](F) sda1[0]
      1046528 blocks super 1.2 [2/1] [U_]

unused devices: <none>
"""


def _write(root, path, text):
    full = os.path.join(str(root), path.lstrip('/'))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'w') as handle:
        handle.write(text)


def make_host(root, cpus=8, memory_gib=32.0, nics=None, virtual_nics=('lo', 'docker0'),
              mounts=None, mdstat=MDSTAT_HEALTHY, dirs=('/home/ipacs',), cpu_max=None, memory_max=None):
    """Write a host tree under root. nics: {name: speed} (None = unreadable speed)."""
    root = str(root)
    _write(root, '/proc/cpuinfo', ''.join(
        'processor\t: %d\nmodel name\t: Fake Xeon\ncpu cores\t: %d\n\n' % (n, cpus) for n in range(cpus)))
    _write(root, '/proc/meminfo', 'MemTotal:       %d kB\nMemFree:         1234 kB\n'
           % int(memory_gib * 1024 * 1024))
    _write(root, '/proc/mounts', ''.join(
        '%s %s %s rw,relatime 0 0\n' % (src, point.replace(' ', '\\040'), fstype)
        for src, point, fstype in (DEFAULT_MOUNTS if mounts is None else mounts)))
    if mdstat is not None:
        _write(root, '/proc/mdstat', mdstat)
    for name, speed in ({'eth0': 1000} if nics is None else nics).items():
        os.makedirs(os.path.join(root, 'sys/class/net', name, 'device'), exist_ok=True)
        if speed is not None:
            _write(root, '/sys/class/net/%s/speed' % name, '%d\n' % speed)
    for name in virtual_nics:
        _write(root, '/sys/class/net/%s/speed' % name, '10000\n')  # virtual: ignored whatever it says
    if cpu_max is not None:
        _write(root, '/sys/fs/cgroup/cpu.max', cpu_max + '\n')
    if memory_max is not None:
        _write(root, '/sys/fs/cgroup/memory.max', memory_max + '\n')
    for path in dirs:
        os.makedirs(os.path.join(root, path.lstrip('/')), exist_ok=True)
    return root


class FakeStatvfs:
    """os.statvfs stand-in: total size by longest matching prefix of {path-in-root: bytes}."""

    def __init__(self, root, sizes):
        self.root = str(root).rstrip('/')
        self.sizes = sizes
        self.calls = []

    def __call__(self, full_path):
        inside = '/' + os.path.relpath(full_path, self.root).lstrip('.').lstrip('/')
        self.calls.append(inside)
        best = max((p for p in self.sizes if p == '/' or inside == p or inside.startswith(p + '/')), key=len)
        return os.statvfs_result((4096, 4096, self.sizes[best] // 4096, 0, 0, 0, 0, 0, 0, 255))


def make_accounts(root, users=(), groups=()):
    """Write etc/passwd and etc/group under root.

    users: (name, uid, gid, home, shell) tuples; groups: (name, gid, [members]) tuples.
    """
    _write(str(root), '/etc/passwd', ''.join(
        '%s:x:%d:%d::%s:%s\n' % (name, uid, gid, home, shell) for name, uid, gid, home, shell in users))
    _write(str(root), '/etc/group', ''.join(
        '%s:x:%d:%s\n' % (name, gid, ','.join(members)) for name, gid, members in groups))
    return root


class FakeRunner:
    """run_command stand-in: answers by argv[0] from {command: (rc, stdout, stderr)}; records every call."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        answer = self.answers[argv[0]]
        return answer(argv) if callable(answer) else answer
