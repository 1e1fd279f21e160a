# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hardware pre-flight checks against the PACS vendors' installation guides.

Pure logic, no AnsibleModule: every file the probe reads is taken relative to a
``root`` prefix so unit tests run against fabricated /proc and /sys trees.

Measuring choices (see also the module documentation):

* CPU: logical CPUs (vCPUs). 000 names a 4 vCPU m5.xlarge as its minimum, so a
  hyper-thread counts as a core. The count is the smallest of /proc/cpuinfo
  ``processor`` entries, the scheduler affinity mask (only when ``root`` is "/",
  it is not a file) and the cgroup CPU quota (cgroup v2 ``cpu.max`` or v1
  ``cpu.cfs_quota_us``/``cpu.cfs_period_us``, rounded up): a container limited to
  2 CPUs on a 64 CPU host can only use 2.
* Memory: /proc/meminfo MemTotal, lowered to the cgroup limit (``memory.max`` or
  v1 ``memory.limit_in_bytes``) when one is set. MemTotal is below the installed
  RAM (kernel, firmware and crashkernel reservations: a 16 GiB m5.xlarge reports
  about 15.3 GiB), so memory is compared with a tolerance (``memory_tolerance_pct``).
* Storage: total capacity of the file system holding the path (os.statvfs on the
  nearest existing parent), because the guides size the file system ("minimum
  200 GB storage", "500 GB for /home"). Free space is not checked or reported: it
  changes with every write and would make the report differ on every run.
  Disks are sold in decimal GB and a file system loses a little to metadata, so
  storage is compared with ``storage_tolerance_pct``.
* Network: highest /sys/class/net/<if>/speed of interfaces backed by a device
  (``device`` link present; lo, bridges, veth, docker0 are skipped). Virtual NICs
  (virtio, most clouds) report -1: that is "unknown", a warning, never a failure.
"""

from __future__ import annotations

import datetime
import math
import os
import re

from ansible_collections.pacsops.server.plugins.module_utils.tls_expiry import CertificateError, not_after

KIB = 1024
GIB = 1024 ** 3
GB = 1000 ** 3

PASS = 'pass'
WARN = 'warn'
FAIL = 'fail'

# 000: "This storage has to be POSIX compatible; Windows-based back-ends often lead to
# permission issues outside of the control of the iPACS."
REFUSED_FILESYSTEMS = ('cifs', 'smb3', 'smbfs', 'vfat', 'ntfs', 'ntfs3', 'fuseblk', 'exfat')

# 001 "Minimal hardware requirements": (concurrent users, CPU cores, RAM GB).
O3_SIZING = ((10, 6, 12), (20, 10, 20), (50, 18, 36))

# Threshold names every profile accepts, with their defaults.
COMMON_THRESHOLDS = {
    'memory_tolerance_pct': 10,
    'storage_tolerance_pct': 5,
}

# Per profile: default thresholds and the storage paths checked.
# A storage path entry: key -> default path. Its thresholds are <key>_gb_min and
# <key>_gb_recommended (0 = none).
PROFILES = {
    'ipacs': {
        'thresholds': {
            'cores_min': 4,                  # 000: "QuadCore CPU"
            'cores_recommended': 0,
            'memory_gib_min': 16,            # 000: "16-32 GB RAM (ECC)"
            'memory_gib_recommended': 32,
            'network_mbit_min': 0,
            'network_mbit_recommended': 1000,  # 000: "1 Gbit network"
            'app_gb_min': 200,               # 000: "minimum 200 GB storage for the local application"
            'app_gb_recommended': 0,
            'home_gb_min': 500,              # 000: /home "typically 500 GB is enough to accommodate index growth"
            'home_gb_recommended': 0,
            'refused_filesystems': list(REFUSED_FILESYSTEMS),
        },
        'paths': {'app': '/home/ipacs', 'home': '/home'},
        'posix_paths': True,
        'raid': True,
    },
    'o3': {
        'thresholds': {
            # cores/memory come from the 001 sizing table for concurrent_users; set
            # cores_min / memory_gib_min to override the table.
            'cores_min': None,
            'cores_recommended': 0,
            'memory_gib_min': None,
            'memory_gib_recommended': 0,
            'network_mbit_min': 0,
            'network_mbit_recommended': 100,  # 001: "we recommend at least 100 Mbit/s"
            'storage_gb_min': 50,             # 001: "At least 50 GB of storage size"
            'storage_gb_recommended': 0,
        },
        'paths': {'storage': '/srv/o3'},
        'posix_paths': False,
        'raid': False,
    },
    'dicom_server': {
        'thresholds': {
            'cores_min': 2,                   # 003 minimum
            'cores_recommended': 4,           # 003 recommended for production: 4-8 cores
            'memory_gib_min': 2,
            'memory_gib_recommended': 8,      # 003: 8-16GB
            'network_mbit_min': 0,
            'network_mbit_recommended': 1000,  # 003: "1Gbps dedicated connection"
            'data_gb_min': 100,               # 003: "100GB+"
            'data_gb_recommended': 500,       # 003: "500GB-2TB SSD"
        },
        'paths': {'data': '/var/lib/dicom-server/data'},
        'posix_paths': False,
        'raid': False,
    },
}


# The module's options, shared by the module and its action plugin (which validates them on the controller).
ARGUMENT_SPEC = dict(
    profile=dict(type='str', required=True, choices=sorted(PROFILES)),
    thresholds=dict(type='dict', default={}),
    paths=dict(type='dict', default={}),
    concurrent_users=dict(type='int', default=10),
    pathology=dict(type='bool', default=False),
    fail_on_unmet=dict(type='bool', default=True),
    tls_certificates=dict(type='list', elements='path', default=[]),
)


class PreflightError(Exception):
    """Bad input (unknown profile, threshold or path key)."""


# ---------------------------------------------------------------- formatting

def _num(value):
    """1 -> '1', 1.25 -> '1.2', 15.96 -> '16'."""
    text = '%.1f' % value
    return text[:-2] if text.endswith('.0') else text


def fmt_gib(num_bytes):
    return '%s GiB' % _num(num_bytes / float(GIB))


def fmt_gb(num_bytes):
    if num_bytes >= 1000 * GB:
        return '%s TB' % _num(num_bytes / float(1000 * GB))
    return '%s GB' % _num(num_bytes / float(GB))


def fmt_mbit(mbit):
    if mbit is None:
        return 'unknown'
    if mbit >= 1000 and mbit % 1000 == 0:
        return '%d Gbit/s' % (mbit // 1000)
    return '%d Mbit/s' % mbit


def _required(minimum, recommended, fmt):
    parts = []
    if minimum:
        parts.append('>= %s' % fmt(minimum))
    if recommended and recommended != minimum:
        parts.append('%s recommended' % fmt(recommended))
    return ', '.join(parts) if parts else 'none'


# ---------------------------------------------------------------- probing

def _read(root, path):
    with open(os.path.join(root, path.lstrip('/')), 'r') as handle:
        return handle.read()


def _read_or_none(root, path):
    try:
        return _read(root, path)
    except (IOError, OSError):
        return None


def _cgroup_cpu_limit(root):
    """CPUs allowed by the cgroup quota, rounded up, or None when unlimited."""
    text = _read_or_none(root, '/sys/fs/cgroup/cpu.max')
    if text is not None:
        fields = text.split()
        if len(fields) == 2 and fields[0] != 'max':
            try:
                return int(math.ceil(int(fields[0]) / float(int(fields[1]))))
            except (ValueError, ZeroDivisionError):
                return None
        return None
    quota = _read_or_none(root, '/sys/fs/cgroup/cpu/cpu.cfs_quota_us')
    period = _read_or_none(root, '/sys/fs/cgroup/cpu/cpu.cfs_period_us')
    try:
        if quota is not None and period is not None and int(quota) > 0:
            return int(math.ceil(int(quota) / float(int(period))))
    except (ValueError, ZeroDivisionError):
        pass
    return None


def probe_cpu(root='/', affinity=None):
    """Return facts: cpu_cores (usable) and what it was computed from."""
    text = _read_or_none(root, '/proc/cpuinfo') or ''
    online = len(re.findall(r'^processor\s*:', text, re.MULTILINE))
    if affinity is None and root == '/' and hasattr(os, 'sched_getaffinity'):
        affinity = len(os.sched_getaffinity(0))
    quota = _cgroup_cpu_limit(root)
    candidates = [n for n in (online, affinity, quota) if n]
    return {
        'cpu_cores': min(candidates) if candidates else 0,
        'cpu_cores_cpuinfo': online,
        'cpu_cores_affinity': affinity,
        'cpu_cgroup_limit': quota,
    }


def _cgroup_memory_limit(root):
    for path in ('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'):
        text = _read_or_none(root, path)
        if text is None:
            continue
        text = text.strip()
        if text == 'max':
            return None
        try:
            value = int(text)
        except ValueError:
            return None
        # cgroup v1 reports "no limit" as a huge page-aligned number.
        return value if value < 2 ** 62 else None
    return None


def probe_memory(root='/'):
    text = _read_or_none(root, '/proc/meminfo') or ''
    match = re.search(r'^MemTotal:\s+(\d+)\s*kB', text, re.MULTILINE)
    memtotal = int(match.group(1)) * KIB if match else 0
    limit = _cgroup_memory_limit(root)
    usable = min(memtotal, limit) if limit and memtotal else memtotal
    return {
        'memory_bytes': usable,
        'memory_memtotal_bytes': memtotal,
        'memory_cgroup_limit_bytes': limit,
    }


def probe_network(root='/'):
    """Speeds in Mbit/s of device-backed interfaces (None = unknown)."""
    base = os.path.join(root, 'sys/class/net')
    speeds = {}
    try:
        names = sorted(os.listdir(base))
    except OSError:
        names = []
    for name in names:
        if not os.path.exists(os.path.join(base, name, 'device')):
            continue  # lo, bridges, veth, tun, docker0: no hardware behind them
        speed = None
        try:
            with open(os.path.join(base, name, 'speed')) as handle:
                speed = int(handle.read().strip())
        except (IOError, OSError, ValueError):
            speed = None  # reading speed of a link that is down fails with EINVAL
        speeds[name] = speed if speed is not None and speed > 0 else None
    known = [s for s in speeds.values() if s]
    return {'interfaces': speeds, 'network_mbit': max(known) if known else None}


def _unescape_mount(field):
    # /proc/mounts escapes space, tab, newline and backslash as \ooo.
    return re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), field)


def read_mounts(root='/'):
    mounts = []
    for line in (_read_or_none(root, '/proc/mounts') or '').splitlines():
        fields = line.split()
        if len(fields) >= 3:
            mounts.append((_unescape_mount(fields[1]), fields[2], _unescape_mount(fields[0])))
    return mounts


def find_mount(path, mounts):
    """(mount point, fstype, source) with the longest mount point containing path.

    Later entries win on equal mount points: /proc/mounts lists over-mounts last."""
    best = None
    for mount_point, fstype, source in mounts:
        if mount_point == '/' or path == mount_point or path.startswith(mount_point.rstrip('/') + '/'):
            if best is None or len(mount_point) >= len(best[0]):
                best = (mount_point, fstype, source)
    return best


def nearest_existing(root, path):
    """The path itself or its nearest existing parent, as a path inside root."""
    path = os.path.normpath('/' + path.lstrip('/'))
    while True:
        full = os.path.join(root, path.lstrip('/'))
        if os.path.exists(full):
            if root in ('/', ''):
                # Follow symlinks (/home -> /data/home) on the real host only:
                # a fabricated tree's links would point outside it.
                return os.path.realpath(full)
            return path
        if path == '/':
            return path
        path = os.path.dirname(path)


def probe_path(path, root='/', mounts=None, statvfs=os.statvfs):
    if mounts is None:
        mounts = read_mounts(root)
    existing = nearest_existing(root, path)
    stat = statvfs(os.path.join(root, existing.lstrip('/')))
    mount = find_mount(existing, mounts)
    return {
        'path': path,
        'mount_point': mount[0] if mount else None,
        'fstype': mount[1] if mount else None,
        'source': mount[2] if mount else None,
        'total_bytes': stat.f_blocks * stat.f_frsize,
    }


_MD_HEAD = re.compile(r'^(md\S*)\s*:\s*(\S+)\s*(.*)$')
_MD_STATUS = re.compile(r'\[(\d+)/(\d+)\]\s*\[([U_]+)\]')


def probe_mdstat(root='/'):
    """Software RAID arrays from /proc/mdstat (empty list when there are none)."""
    arrays = []
    current = None
    for line in (_read_or_none(root, '/proc/mdstat') or '').splitlines():
        head = _MD_HEAD.match(line)
        if head:
            words = head.group(3).split()
            state = head.group(2)
            level = None
            for word in words:
                if word.startswith('raid') or word in ('linear', 'multipath'):
                    level = word
                    break
            current = {'name': head.group(1), 'state': state, 'level': level,
                       'devices': None, 'active': None, 'status': None,
                       'degraded': state != 'active'}
            arrays.append(current)
            continue
        status = _MD_STATUS.search(line)
        if current is not None and status:
            current['devices'] = int(status.group(1))
            current['active'] = int(status.group(2))
            current['status'] = status.group(3)
            current['degraded'] = current['degraded'] or '_' in status.group(3)
    return arrays


def probe(paths, root='/', statvfs=os.statvfs, affinity=None):
    """Every raw fact the checks need. paths: {key: path}."""
    mounts = read_mounts(root)
    facts = {}
    facts.update(probe_cpu(root, affinity=affinity))
    facts.update(probe_memory(root))
    facts.update(probe_network(root))
    facts['paths'] = dict((key, probe_path(path, root, mounts, statvfs)) for key, path in sorted(paths.items()))
    facts['md_arrays'] = probe_mdstat(root)
    return facts


# ---------------------------------------------------------------- sizing

def o3_sizing(concurrent_users, pathology=False):
    """(cores, memory GB) from the 001 table.

    Between rows the next row up applies; above 50 users +1 core and +4 GB per
    started 10 users. Digital pathology needs 1.5 cores per concurrent user
    (rounded up); the table still applies when that is less (fewer than 4 users)."""
    users = int(concurrent_users)
    if users < 1:
        raise PreflightError('concurrent_users must be at least 1, got %s' % concurrent_users)
    cores = memory = None
    for row_users, row_cores, row_memory in O3_SIZING:
        if users <= row_users:
            cores, memory = row_cores, row_memory
            break
    if cores is None:
        top_users, top_cores, top_memory = O3_SIZING[-1]
        steps = int(math.ceil((users - top_users) / 10.0))
        cores, memory = top_cores + steps, top_memory + 4 * steps
    if pathology:
        cores = max(cores, int(math.ceil(1.5 * users)))
    return cores, memory


def resolve_thresholds(profile, overrides=None, concurrent_users=10, pathology=False):
    if profile not in PROFILES:
        raise PreflightError('unknown profile %r, choose one of: %s' % (profile, ', '.join(sorted(PROFILES))))
    thresholds = dict(COMMON_THRESHOLDS)
    thresholds.update(PROFILES[profile]['thresholds'])
    unknown = sorted(set(overrides or {}) - set(thresholds))
    if unknown:
        raise PreflightError('unknown threshold(s) for profile %s: %s; known: %s'
                             % (profile, ', '.join(unknown), ', '.join(sorted(thresholds))))
    if profile == 'o3':
        cores, memory = o3_sizing(concurrent_users, pathology)
        thresholds['cores_min'], thresholds['memory_gib_min'] = cores, memory
    for key, value in (overrides or {}).items():
        if key == 'refused_filesystems':
            if isinstance(value, str):
                value = [v.strip() for v in value.split(',') if v.strip()]
            thresholds[key] = [str(v) for v in value]
            continue
        try:
            if isinstance(value, bool):
                raise ValueError(value)
            number = float(value)
        except (TypeError, ValueError):
            raise PreflightError('threshold %s must be a number, got %r' % (key, value))
        thresholds[key] = int(number) if number == int(number) else number
    return thresholds


def resolve_paths(profile, paths=None):
    defaults = dict(PROFILES[profile]['paths'])
    unknown = sorted(set(paths or {}) - set(defaults))
    if unknown:
        raise PreflightError('unknown path key(s) for profile %s: %s; known: %s'
                             % (profile, ', '.join(unknown), ', '.join(sorted(defaults))))
    for key, value in (paths or {}).items():
        if not value or not str(value).startswith('/'):
            raise PreflightError('path %s must be absolute, got %r' % (key, value))
        defaults[key] = str(value)
    return defaults


# ---------------------------------------------------------------- checks

def _check(name, required, found, status, remediation=''):
    return {'name': name, 'required': required, 'found': found, 'status': status,
            'remediation': remediation if status != PASS else ''}


def _grade(found, minimum, recommended, tolerance=0.0):
    """fail below minimum, warn below recommended; tolerance in percent."""
    factor = 1 - tolerance / 100.0
    if minimum and found < minimum * factor:
        return FAIL
    if recommended and found < recommended * factor:
        return WARN
    return PASS


def check_cpu(facts, t, guide):
    status = _grade(facts['cpu_cores'], t['cores_min'], t['cores_recommended'])
    return _check('cpu_cores', _required(t['cores_min'], t['cores_recommended'], lambda n: '%d' % n),
                  '%d' % facts['cpu_cores'], status,
                  '%s: give the host at least %d logical CPUs (a container: raise its CPU quota)'
                  % (guide, t['cores_recommended'] if status == WARN else t['cores_min']))


def check_memory(facts, t, guide):
    status = _grade(facts['memory_bytes'], t['memory_gib_min'] * GIB, t['memory_gib_recommended'] * GIB,
                    t['memory_tolerance_pct'])
    target = t['memory_gib_recommended'] if status == WARN else t['memory_gib_min']
    return _check('memory', _required(t['memory_gib_min'] * GIB, t['memory_gib_recommended'] * GIB, fmt_gib),
                  fmt_gib(facts['memory_bytes']), status,
                  '%s: install at least %s %sRAM (MemTotal is accepted down to %s%% below that)'
                  % (guide, fmt_gib(target * GIB), 'ECC ' if guide.startswith('000') else '',
                     _num(t['memory_tolerance_pct'])))


def check_network(facts, t, guide):
    speed = facts['network_mbit']
    required = _required(t['network_mbit_min'], t['network_mbit_recommended'], fmt_mbit)
    if speed is None:
        return _check('network', required, 'unknown', WARN,
                      'link speed not reported (virtual NIC or link down): confirm the uplink gives %s'
                      % fmt_mbit(t['network_mbit_recommended'] or t['network_mbit_min']))
    status = _grade(speed, t['network_mbit_min'], t['network_mbit_recommended'])
    return _check('network', required, fmt_mbit(speed), status,
                  '%s: connect the server with at least %s'
                  % (guide, fmt_mbit(t['network_mbit_recommended'] if status == WARN else t['network_mbit_min'])))


def check_storage(key, pfacts, t, guide):
    minimum = t.get('%s_gb_min' % key) or 0
    recommended = t.get('%s_gb_recommended' % key) or 0
    total = pfacts['total_bytes']
    status = _grade(total, minimum * GB, recommended * GB, t['storage_tolerance_pct'])
    target = recommended if status == WARN else minimum
    return _check('storage_%s' % key,
                  '%s: %s' % (pfacts['path'], _required(minimum * GB, recommended * GB, fmt_gb)),
                  '%s (file system mounted at %s)' % (fmt_gb(total), pfacts['mount_point']),
                  status,
                  '%s: give %s a file system of at least %s (grow the volume or mount a larger one there)'
                  % (guide, pfacts['path'], fmt_gb(target * GB)))


def check_filesystem(key, pfacts, t):
    fstype = pfacts['fstype'] or 'unknown'
    refused = t['refused_filesystems']
    status = FAIL if fstype in refused else PASS
    return _check('filesystem_%s' % key, 'POSIX file system on %s (not %s)' % (pfacts['path'], ', '.join(refused)),
                  '%s at %s' % (fstype, pfacts['mount_point']), status,
                  'iPACS needs a POSIX file system (000: Windows-based back-ends lead to permission issues): '
                  'put %s on ext4/xfs or NFS instead of %s' % (pfacts['path'], fstype))


def check_raid(facts):
    arrays = facts['md_arrays']
    advice = ('000 recommends RAID 10 for application files, database and indices and RAID 6 for the data storage')
    required = 'redundant storage (RAID 10 app/db/indices, RAID 6 data)'
    if not arrays:
        return _check('raid', required, 'no software RAID (md) arrays', WARN,
                      advice + '; if redundancy comes from a hardware controller or the SAN, confirm it there')
    found = ', '.join('%s %s %s%s' % (a['name'], a['level'] or '?', a['state'],
                                      ' [%s]' % a['status'] if a['status'] else '') for a in arrays)
    degraded = [a['name'] for a in arrays if a['degraded']]
    if degraded:
        return _check('raid', required, found, FAIL,
                      'degraded or inactive array(s) %s: replace the failed disk and let the array resync '
                      '(mdadm --detail /dev/%s) before installing' % (', '.join(degraded), degraded[0]))
    plain = [a['name'] for a in arrays if a['level'] in ('raid0', 'linear')]
    if plain:
        return _check('raid', required, found, WARN,
                      '%s ha%s no redundancy; %s' % (', '.join(plain), 's' if len(plain) == 1 else 've', advice))
    return _check('raid', required, found, PASS)


def check_tls_certificate(path, pem_text, now, warn_days=30):
    """Days to expiry of the web server's certificate (000: HTTPS strongly recommended); never a failure."""
    required = 'valid for at least %d more days' % warn_days
    name = 'tls_certificate %s' % path
    if pem_text is None:
        return _check(name, required, 'not installed', WARN,
                      'install the site certificate (role pacsops.server.tls_certificate) before going live')
    try:
        expiry = not_after(pem_text)
    except CertificateError as exc:
        return _check(name, required, 'unreadable (%s)' % exc, WARN, 'replace %s with a PEM certificate' % path)
    days = (expiry - now).days
    found = 'expires %s (%d days)' % (expiry.strftime('%Y-%m-%d'), days)
    if days < warn_days:
        return _check(name, required, found, WARN,
                      'renew the certificate (%s) and run the tls_certificate role again' % path)
    return _check(name, required, found, PASS)


GUIDES = {'ipacs': '000 iPACS', 'o3': '001 O3 PACS/VIEW', 'dicom_server': '003 dicom-server'}


def evaluate(profile, facts, thresholds):
    guide = GUIDES[profile]
    spec = PROFILES[profile]
    checks = [check_cpu(facts, thresholds, guide), check_memory(facts, thresholds, guide),
              check_network(facts, thresholds, guide)]
    for key in sorted(facts['paths']):
        checks.append(check_storage(key, facts['paths'][key], thresholds, guide))
    if spec['posix_paths']:
        for key in sorted(facts['paths']):
            checks.append(check_filesystem(key, facts['paths'][key], thresholds))
    if spec['raid']:
        checks.append(check_raid(facts))
    return checks


def run(profile, thresholds=None, paths=None, concurrent_users=10, pathology=False,
        root='/', statvfs=os.statvfs, affinity=None, tls_certificates=(), now=None):
    """Probe the host and grade it. Returns the module result (without changed)."""
    resolved = resolve_thresholds(profile, thresholds, concurrent_users, pathology)
    resolved_paths = resolve_paths(profile, paths)
    facts = probe(resolved_paths, root=root, statvfs=statvfs, affinity=affinity)
    checks = evaluate(profile, facts, resolved)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    for path in tls_certificates:
        checks.append(check_tls_certificate(path, _read_or_none(root, path), now))
    facts['thresholds'] = resolved
    if profile == 'o3':
        facts['concurrent_users'] = int(concurrent_users)
        facts['pathology'] = bool(pathology)
    return {
        'profile': profile,
        'ready': not any(c['status'] == FAIL for c in checks),
        'checks': checks,
        'facts': facts,
    }


def unmet_message(result):
    failed = [c for c in result['checks'] if c['status'] == FAIL]
    return 'Host does not meet the %s requirements: %s' % (
        result['profile'],
        '; '.join('%s: found %s, required %s' % (c['name'], c['found'], c['required']) for c in failed))


def module_result(params, runner=None, which=None):
    """What the module returns for validated ``params``: the grading, with ``failed`` and ``msg`` when it fails.

    The module and the light path of its action plugin (plugins/plugin_utils/remote_python.py) both call this;
    ``runner`` and ``which`` are not needed here.
    """
    try:
        result = run(
            params['profile'],
            thresholds=params['thresholds'],
            paths=params['paths'],
            concurrent_users=params['concurrent_users'],
            pathology=params['pathology'],
            tls_certificates=[os.path.expanduser(os.path.expandvars(path)) for path in params['tls_certificates']],
        )
    except PreflightError as exc:
        return {'failed': True, 'msg': str(exc)}
    except (IOError, OSError) as exc:
        return {'failed': True, 'msg': 'cannot read host facts: %s' % exc}
    result['changed'] = False
    if params['fail_on_unmet'] and not result['ready']:
        result.update(failed=True, msg=unmet_message(result))
    return result
