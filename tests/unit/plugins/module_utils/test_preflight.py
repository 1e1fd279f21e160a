# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.module_utils import preflight
from ansible_collections.pacsops.server.tests.unit.plugins.hosttree import (
    GB,
    GIB,
    MDSTAT_DEGRADED,
    FakeStatvfs,
    make_host,
)

BIG = {'/': 100 * GB, '/home': 2000 * GB}


def run(tmp_path, profile='ipacs', sizes=None, affinity=None, **kwargs):
    statvfs = FakeStatvfs(tmp_path, sizes or BIG)
    return preflight.run(profile, root=str(tmp_path), statvfs=statvfs, affinity=affinity, **kwargs)


def by_name(result):
    return dict((c['name'], c) for c in result['checks'])


# ---------------------------------------------------------------- probes

def test_cpu_count_from_cpuinfo(tmp_path):
    make_host(tmp_path, cpus=6)
    assert preflight.probe_cpu(str(tmp_path))['cpu_cores'] == 6


def test_cpu_count_limited_by_affinity_and_cgroup_quota(tmp_path):
    make_host(tmp_path, cpus=16, cpu_max='250000 100000')
    facts = preflight.probe_cpu(str(tmp_path), affinity=8)
    assert facts['cpu_cgroup_limit'] == 3  # 2.5 CPUs rounds up
    assert facts['cpu_cores'] == 3
    assert preflight.probe_cpu(str(tmp_path), affinity=2)['cpu_cores'] == 2


def test_cpu_quota_max_is_unlimited(tmp_path):
    make_host(tmp_path, cpus=4, cpu_max='max 100000')
    assert preflight.probe_cpu(str(tmp_path))['cpu_cgroup_limit'] is None


def test_memory_memtotal_and_cgroup_limit(tmp_path):
    make_host(tmp_path, memory_gib=64, memory_max=str(8 * GIB))
    facts = preflight.probe_memory(str(tmp_path))
    assert facts['memory_memtotal_bytes'] == 64 * GIB
    assert facts['memory_bytes'] == 8 * GIB


def test_network_ignores_virtual_interfaces(tmp_path):
    make_host(tmp_path, nics={'eno1': 10000, 'eno2': -1, 'eno3': None})
    facts = preflight.probe_network(str(tmp_path))
    assert facts['interfaces'] == {'eno1': 10000, 'eno2': None, 'eno3': None}
    assert facts['network_mbit'] == 10000


def test_find_mount_longest_prefix_and_escapes(tmp_path):
    make_host(tmp_path, mounts=[('/dev/sda1', '/', 'ext4'), ('/dev/sdb1', '/home', 'xfs'),
                                ('//nas/share', '/home/ipacs data', 'cifs'), ('/dev/sdc1', '/homes', 'ext4')])
    mounts = preflight.read_mounts(str(tmp_path))
    assert preflight.find_mount('/home/ipacs', mounts)[:2] == ('/home', 'xfs')
    assert preflight.find_mount('/home/ipacs data/x', mounts)[:2] == ('/home/ipacs data', 'cifs')
    assert preflight.find_mount('/homes/x', mounts)[:2] == ('/homes', 'ext4')
    assert preflight.find_mount('/var', mounts)[:2] == ('/', 'ext4')


def test_path_uses_nearest_existing_parent(tmp_path):
    make_host(tmp_path, dirs=('/home',))
    statvfs = FakeStatvfs(tmp_path, BIG)
    facts = preflight.probe_path('/home/ipacs/instance', str(tmp_path), statvfs=statvfs)
    # The measured path is not reported: it changes once the directory exists, and the report
    # must stay byte-identical between runs.
    assert 'probed_path' not in facts
    assert facts['mount_point'] == '/home'
    assert facts['total_bytes'] == 2000 * GB
    assert statvfs.calls == ['/home']


def test_mdstat_parsing(tmp_path):
    make_host(tmp_path)
    arrays = preflight.probe_mdstat(str(tmp_path))
    assert [(a['name'], a['level'], a['status'], a['degraded']) for a in arrays] == [
        ('md0', 'raid10', 'UUUU', False), ('md1', 'raid6', 'UUUU', False)]


def test_mdstat_inactive_array_is_degraded(tmp_path):
    make_host(tmp_path, mdstat='Personalities : \nmd127 : inactive sdb[1](S)\n      976630488 blocks super 1.2\n\n')
    assert preflight.probe_mdstat(str(tmp_path))[0]['degraded'] is True


# ---------------------------------------------------------------- units

@pytest.mark.parametrize('value,text', [(16 * GIB, '16 GiB'), (15.3 * GIB, '15.3 GiB'), (512 * 1024 ** 2, '0.5 GiB')])
def test_fmt_gib(value, text):
    assert preflight.fmt_gib(value) == text


@pytest.mark.parametrize('value,text', [(200 * GB, '200 GB'), (1500 * GB, '1.5 TB'), (None, 'unknown')])
def test_fmt_units(value, text):
    if value is None:
        assert preflight.fmt_mbit(value) == text
    else:
        assert preflight.fmt_gb(value) == text


# ---------------------------------------------------------------- o3 table

@pytest.mark.parametrize('users,pathology,expected', [
    (1, False, (6, 12)),
    (10, False, (6, 12)),
    (15, False, (10, 20)),   # between rows: the next row up
    (20, False, (10, 20)),
    (21, False, (18, 36)),
    (50, False, (18, 36)),
    (51, False, (19, 40)),   # +1 core, +4 GB per started 10 users
    (60, False, (19, 40)),
    (61, False, (20, 44)),
    (75, False, (21, 48)),
    (10, True, (15, 12)),    # 1.5 cores per user
    (15, True, (23, 20)),    # ceil(22.5)
    (75, True, (113, 48)),
    (2, True, (6, 12)),      # the table still applies when 1.5/user is less
])
def test_o3_sizing(users, pathology, expected):
    assert preflight.o3_sizing(users, pathology) == expected


def test_o3_sizing_rejects_zero_users():
    with pytest.raises(preflight.PreflightError):
        preflight.o3_sizing(0)


# ---------------------------------------------------------------- profiles

def test_ipacs_all_pass(tmp_path):
    make_host(tmp_path, cpus=8, memory_gib=32, nics={'eno1': 10000})
    result = run(tmp_path)
    assert result['ready'] is True
    assert [c['status'] for c in result['checks']] == ['pass'] * 8
    assert [c['name'] for c in result['checks']] == [
        'cpu_cores', 'memory', 'network', 'storage_app', 'storage_home', 'filesystem_app', 'filesystem_home', 'raid']
    assert all(c['remediation'] == '' for c in result['checks'])


def test_ipacs_minimum_hardware_warns(tmp_path):
    # The 000 minimum (an m5.xlarge: 4 vCPU, MemTotal ~15.3 GiB, link speed unknown) is ready, with warnings.
    make_host(tmp_path, cpus=4, memory_gib=15.3, nics={'ens5': -1}, mdstat=None)
    result = run(tmp_path)
    checks = by_name(result)
    assert result['ready'] is True
    assert checks['cpu_cores']['status'] == 'pass'
    assert checks['memory']['status'] == 'warn'
    assert checks['memory']['found'] == '15.3 GiB'
    assert checks['memory']['required'] == '>= 16 GiB, 32 GiB recommended'
    assert checks['network'] == dict(checks['network'], status='warn', found='unknown')
    assert checks['raid']['status'] == 'warn'
    assert 'RAID 10' in checks['raid']['remediation'] and 'RAID 6' in checks['raid']['remediation']


def test_ipacs_fails_below_minimum(tmp_path):
    make_host(tmp_path, cpus=2, memory_gib=8, nics={'eth0': 100})
    result = run(tmp_path, sizes={'/': 100 * GB, '/home': 300 * GB})
    checks = by_name(result)
    assert result['ready'] is False
    assert checks['cpu_cores']['status'] == 'fail'
    assert checks['memory']['status'] == 'fail'
    assert checks['network']['status'] == 'warn'
    assert checks['network']['found'] == '100 Mbit/s'
    assert checks['storage_app']['status'] == 'pass'     # 300 GB >= 200 GB
    assert checks['storage_home']['status'] == 'fail'    # 300 GB < 500 GB
    assert checks['storage_home']['found'] == '300 GB (file system mounted at /home)'
    assert checks['storage_home']['required'] == '/home: >= 500 GB'
    assert 'at least 500 GB' in checks['storage_home']['remediation']
    message = preflight.unmet_message(result)
    assert 'cpu_cores: found 2, required >= 4' in message
    assert 'memory: found 8 GiB, required >= 16 GiB' in message
    assert 'network' not in message


def test_ipacs_storage_tolerance_accepts_a_formatted_500gb_disk(tmp_path):
    make_host(tmp_path)
    assert by_name(run(tmp_path, sizes={'/': 100 * GB, '/home': 492 * GB}))['storage_home']['status'] == 'pass'
    assert by_name(run(tmp_path, sizes={'/': 100 * GB, '/home': 470 * GB}))['storage_home']['status'] == 'fail'


def test_ipacs_overrides(tmp_path):
    make_host(tmp_path, cpus=2, memory_gib=8)
    result = run(tmp_path, sizes={'/': 100 * GB, '/home': 300 * GB},
                 thresholds={'cores_min': 2, 'memory_gib_min': 8, 'memory_gib_recommended': 0, 'home_gb_min': '250'})
    assert result['ready'] is True
    assert result['facts']['thresholds']['home_gb_min'] == 250


def test_ipacs_paths_override(tmp_path):
    make_host(tmp_path, mounts=[('/dev/sda1', '/', 'ext4'), ('/dev/sdb1', '/srv/ipacs', 'xfs')], dirs=('/srv/ipacs',))
    result = run(tmp_path, sizes={'/': 600 * GB, '/srv/ipacs': 250 * GB}, paths={'app': '/srv/ipacs'})
    checks = by_name(result)
    assert checks['storage_app']['found'] == '250 GB (file system mounted at /srv/ipacs)'
    assert result['facts']['paths']['app']['fstype'] == 'xfs'


@pytest.mark.parametrize('fstype', ['cifs', 'smb3', 'ntfs3', 'fuseblk', 'exfat'])
def test_ipacs_refuses_windows_filesystems(tmp_path, fstype):
    make_host(tmp_path, mounts=[('/dev/sda1', '/', 'ext4'), ('//nas/ipacs', '/home', fstype)])
    result = run(tmp_path)
    check = by_name(result)['filesystem_home']
    assert result['ready'] is False
    assert check['status'] == 'fail'
    assert check['found'] == '%s at /home' % fstype
    assert check['remediation'].startswith('iPACS needs a POSIX file system')


def test_ipacs_nfs_is_posix(tmp_path):
    make_host(tmp_path, mounts=[('/dev/sda1', '/', 'ext4'), ('nas:/export/ipacs', '/home', 'nfs4')])
    assert run(tmp_path)['ready'] is True


def test_ipacs_refused_filesystems_override(tmp_path):
    make_host(tmp_path, mounts=[('/dev/sda1', '/', 'ext4'), ('//nas/ipacs', '/home', 'cifs')])
    assert run(tmp_path, thresholds={'refused_filesystems': 'vfat,ntfs'})['ready'] is True


def test_ipacs_degraded_raid_fails(tmp_path):
    make_host(tmp_path, mdstat=MDSTAT_DEGRADED)
    result = run(tmp_path)
    raid = by_name(result)['raid']
    assert result['ready'] is False
    assert raid['status'] == 'fail'
    assert raid['found'] == 'md0 raid1 active [U_]'
    assert 'md0' in raid['remediation']


def test_ipacs_raid0_warns(tmp_path):
    make_host(tmp_path, mdstat='md0 : active raid0 sdb1[1] sda1[0]\n      2093056 blocks super 1.2 512k chunks\n')
    raid = by_name(run(tmp_path))['raid']
    assert raid['status'] == 'warn'
    assert 'no redundancy' in raid['remediation']


def test_o3_pass_and_fail(tmp_path):
    make_host(tmp_path, cpus=10, memory_gib=20, nics={'eth0': 100}, mdstat=None, dirs=())
    sizes = {'/': 60 * GB}
    checks = by_name(run(tmp_path, 'o3', sizes=sizes, concurrent_users=20))
    assert sorted(checks) == ['cpu_cores', 'memory', 'network', 'storage_storage']
    assert set(c['status'] for c in checks.values()) == {'pass'}
    result = run(tmp_path, 'o3', sizes=sizes, concurrent_users=51)
    checks = by_name(result)
    assert result['ready'] is False
    assert checks['cpu_cores']['required'] == '>= 19'
    assert checks['memory']['required'] == '>= 40 GiB'
    assert result['facts']['concurrent_users'] == 51


def test_o3_pathology_and_storage(tmp_path):
    make_host(tmp_path, cpus=12, memory_gib=16, nics={'eth0': 1000}, dirs=())
    result = run(tmp_path, 'o3', sizes={'/': 40 * GB}, concurrent_users=10, pathology=True)
    checks = by_name(result)
    assert checks['cpu_cores']['status'] == 'fail'
    assert checks['cpu_cores']['required'] == '>= 15'
    assert checks['memory']['status'] == 'pass'
    assert checks['storage_storage']['status'] == 'fail'
    assert checks['storage_storage']['found'] == '40 GB (file system mounted at /)'


def test_o3_slow_network_warns(tmp_path):
    make_host(tmp_path, cpus=6, memory_gib=12, nics={'eth0': 10}, dirs=())
    result = run(tmp_path, 'o3', sizes={'/': 60 * GB})
    assert result['ready'] is True
    assert by_name(result)['network']['status'] == 'warn'


def test_o3_table_override(tmp_path):
    make_host(tmp_path, cpus=4, memory_gib=8, dirs=())
    result = run(tmp_path, 'o3', sizes={'/': 60 * GB}, concurrent_users=50, thresholds={'cores_min': 4, 'memory_gib_min': 8})
    assert result['ready'] is True


@pytest.mark.parametrize('cpus,memory,size,statuses,ready', [
    (4, 8, 500, ('pass', 'pass', 'pass'), True),
    (2, 2, 100, ('warn', 'warn', 'warn'), True),
    (1, 1, 50, ('fail', 'fail', 'fail'), False),
])
def test_dicom_server(tmp_path, cpus, memory, size, statuses, ready):
    make_host(tmp_path, cpus=cpus, memory_gib=memory, nics={'eth0': 1000}, dirs=('/var/lib/dicom-server/data',),
              mounts=[('/dev/sda1', '/', 'ext4'), ('/dev/sdb1', '/var/lib/dicom-server', 'xfs')])
    result = run(tmp_path, 'dicom_server', sizes={'/': 20 * GB, '/var/lib/dicom-server': size * GB})
    checks = by_name(result)
    assert (checks['cpu_cores']['status'], checks['memory']['status'], checks['storage_data']['status']) == statuses
    assert checks['network']['status'] == 'pass'
    assert result['ready'] is ready
    assert 'raid' not in checks and 'filesystem_data' not in checks


def test_dicom_server_network_unknown_warns(tmp_path):
    make_host(tmp_path, cpus=4, memory_gib=8, nics={})
    result = run(tmp_path, 'dicom_server', sizes={'/': 600 * GB})
    assert by_name(result)['network']['status'] == 'warn'
    assert result['ready'] is True


@pytest.mark.parametrize('kwargs,message', [
    ({'thresholds': {'cores': 4}}, 'unknown threshold(s) for profile ipacs: cores'),
    ({'thresholds': {'cores_min': 'four'}}, 'threshold cores_min must be a number'),
    ({'paths': {'data': '/srv'}}, 'unknown path key(s) for profile ipacs: data'),
    ({'paths': {'app': 'relative'}}, 'path app must be absolute'),
])
def test_bad_input(tmp_path, kwargs, message):
    make_host(tmp_path)
    with pytest.raises(preflight.PreflightError, match=message.replace('(', r'\(').replace(')', r'\)')):
        run(tmp_path, **kwargs)


def test_unknown_profile(tmp_path):
    with pytest.raises(preflight.PreflightError, match='unknown profile'):
        run(tmp_path, 'orthanc')
