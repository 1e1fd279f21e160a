# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_state: the read logic on a fabricated root and canned command output, and main() end to end."""

from __future__ import annotations

import functools
import hashlib
import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.pacsops.server.plugins.module_utils import host_state
from ansible_collections.pacsops.server.plugins.modules import host_state as host_state_module
from ansible_collections.pacsops.server.tests.unit.plugins.hosttree import FakeRunner, make_accounts

UID = os.getuid()
GID = os.getgid()

SYSTEMCTL_SHOW = """Id=docker.service
LoadState=loaded
UnitFileState=enabled
ActiveState=active
SubState=running
ActiveEnterTimestamp=Mon 2026-11-30 03:44:39.123456 UTC

Id=nosuch.service
LoadState=not-found
ActiveState=inactive
SubState=dead
ActiveEnterTimestamp=

Id=pacsops-clamav-scan.timer
LoadState=loaded
UnitFileState=disabled
ActiveState=inactive
SubState=dead
ActiveEnterTimestamp=n/a
"""

DPKG_OUT = 'chrony\tinstalled\t4.3-2+deb12u1\nclamav\tconfig-files\t1.0.7\n'
DPKG_ERR = 'dpkg-query: no packages found matching nosuch\n'


@pytest.fixture
def root(tmp_path):
    make_accounts(tmp_path,
                  users=[('me', UID, GID, '/home/me', '/bin/sh'),
                         ('ipacs', 1001, 1001, '/home/ipacs', '/bin/bash')],
                  groups=[('mine', GID, []), ('ipacs', 1001, []), ('docker', 998, ['ipacs', 'me'])],
                  shadow=[('ipacs', '!'), ('me', '$y$j9T$secret')])
    (tmp_path / 'etc/app.conf').write_text('hello\n')
    os.chmod(str(tmp_path / 'etc/app.conf'), 0o640)
    (tmp_path / 'etc/app.d').mkdir()
    os.symlink('app.conf', str(tmp_path / 'etc/app.link'))
    return tmp_path


def test_files(root):
    files = host_state.read_files(['/etc/app.conf', '/etc/app.d', '/etc/app.link', '/etc/missing'], root=str(root))
    assert files['/etc/app.conf'] == {
        'exists': True, 'type': 'file', 'mode': '0640', 'owner': 'me', 'group': 'mine', 'size': 6,
        'checksum': hashlib.sha1(b'hello\n').hexdigest()}
    assert files['/etc/app.d']['type'] == 'directory'
    assert 'checksum' not in files['/etc/app.d']
    assert files['/etc/app.link']['type'] == 'link'  # not followed
    assert 'checksum' not in files['/etc/app.link']
    assert files['/etc/missing'] == {'exists': False}


def test_contents_returns_the_text_of_small_utf8_files_only(root, monkeypatch):
    (root / 'etc/latin1').write_bytes(b'caf\xe9\n')
    (root / 'etc/big').write_bytes(b'x' * (host_state.CONTENT_MAX_BYTES + 1))
    files = host_state.read(files=['/etc/app.conf', '/etc/app.d'], runner=FakeRunner({}), root=str(root),
                            contents=['/etc/app.conf', '/etc/latin1', '/etc/big', '/etc/app.d', '/etc/missing'])['files']
    assert files['/etc/app.conf']['content'] == 'hello\n'
    assert files['/etc/app.conf']['checksum'] == hashlib.sha1(b'hello\n').hexdigest()
    # Not UTF-8, too large, not a file, missing: read as files are, without content.
    assert files['/etc/latin1']['type'] == 'file' and 'content' not in files['/etc/latin1']
    assert files['/etc/big']['size'] == host_state.CONTENT_MAX_BYTES + 1 and 'content' not in files['/etc/big']
    assert files['/etc/app.d']['type'] == 'directory' and 'content' not in files['/etc/app.d']
    assert files['/etc/missing'] == {'exists': False}
    # Without contents, no text.
    assert 'content' not in host_state.read(files=['/etc/app.conf'], runner=FakeRunner({}), root=str(root))['files']['/etc/app.conf']


def test_unreadable_file_has_no_checksum(root, monkeypatch):
    def refuse(path):
        raise PermissionError(13, 'Permission denied', path)
    monkeypatch.setattr(host_state, 'sha1_of', refuse)
    info = host_state.read_files(['/etc/app.conf'], root=str(root))['/etc/app.conf']
    assert info['exists'] and info['mode'] == '0640'
    assert 'checksum' not in info


def test_file_owner_without_name_is_numeric(tmp_path):
    make_accounts(tmp_path)
    (tmp_path / 'f').write_text('')
    info = host_state.read_files(['/f'], root=str(tmp_path))['/f']
    assert (info['owner'], info['group']) == (str(UID), str(GID))


def test_users_and_groups(root):
    accounts = host_state.Accounts(str(root))
    users = host_state.read_users(['ipacs', 'nobody'], accounts)
    assert users['ipacs'] == {'exists': True, 'uid': 1001, 'gid': 1001, 'home': '/home/ipacs',
                              'shell': '/bin/bash', 'groups': ['docker', 'ipacs'], 'password_locked': True}
    me = host_state.read_users(['me'], accounts)['me']
    assert me['password_locked'] is False
    assert 'secret' not in str(me)
    assert users['nobody'] == {'exists': False}
    groups = host_state.read_groups(['docker', 'ipacs', 'wheel'], accounts)
    assert groups['docker'] == {'exists': True, 'gid': 998, 'members': ['ipacs', 'me']}
    assert groups['ipacs'] == {'exists': True, 'gid': 1001, 'members': []}
    assert groups['wheel'] == {'exists': False}


def test_units_one_systemctl_call():
    runner = FakeRunner({'systemctl': (0, SYSTEMCTL_SHOW, '')})
    units = host_state.read_units(['docker.service', 'nosuch.service', 'pacsops-clamav-scan.timer'], runner)
    assert len(runner.calls) == 1
    assert runner.calls[0][:3] == ['systemctl', 'show', '--timestamp=us+utc']
    assert runner.calls[0][-3:] == ['docker.service', 'nosuch.service', 'pacsops-clamav-scan.timer']
    assert units['docker.service'] == {'exists': True, 'enabled': 'enabled', 'active': 'active', 'sub': 'running',
                                       'active_enter_timestamp': 1796010279123456}
    assert units['nosuch.service']['exists'] is False
    assert units['pacsops-clamav-scan.timer']['active_enter_timestamp'] == 0
    assert units['pacsops-clamav-scan.timer']['enabled'] == 'disabled'


def test_units_without_systemd_are_absent():
    runner = FakeRunner({})
    units = host_state.read_units(['docker.service'], runner, systemd_running=False)
    assert units['docker.service']['exists'] is False
    assert runner.calls == []


@pytest.mark.parametrize('answer', [(1, '', 'Failed to connect to bus'), (0, 'Id=a.service\n', '')])
def test_units_failure_or_short_answer_raises(answer):
    with pytest.raises(host_state.HostStateError):
        host_state.read_units(['a.service', 'b.service'], FakeRunner({'systemctl': answer}))


@pytest.mark.parametrize('text, usec', [
    ('Mon 2026-11-30 03:44:39.123456 UTC', 1796010279123456),
    ('Thu 1970-01-01 00:00:01 UTC', 1000000),
    ('', 0), ('n/a', 0),
])
def test_timestamp(text, usec):
    assert host_state.parse_systemd_timestamp(text) == usec


def test_timestamp_garbage_raises():
    with pytest.raises(host_state.HostStateError):
        host_state.parse_systemd_timestamp('yesterday')


def test_packages_dpkg():
    runner = FakeRunner({'dpkg-query': (1, DPKG_OUT, DPKG_ERR)})
    packages = host_state.read_packages(['chrony', 'clamav', 'nosuch'], runner, 'dpkg')
    assert packages == {'chrony': {'installed': True, 'version': '4.3-2+deb12u1'},
                        'clamav': {'installed': False, 'version': None},  # removed, config files left
                        'nosuch': {'installed': False, 'version': None}}
    assert len(runner.calls) == 1


def test_packages_dpkg_broken_raises():
    with pytest.raises(host_state.HostStateError):
        host_state.read_packages(['chrony'], FakeRunner({'dpkg-query': (2, '', 'database locked')}), 'dpkg')


def test_packages_rpm():
    runner = FakeRunner({'rpm': (1, 'chrony\t4.5-1.el9\npackage nosuch is not installed\n', '')})
    packages = host_state.read_packages(['chrony', 'nosuch'], runner, 'rpm')
    assert packages == {'chrony': {'installed': True, 'version': '4.5-1.el9'},
                        'nosuch': {'installed': False, 'version': None}}


def test_nothing_asked_runs_nothing(root):
    runner = FakeRunner({})
    assert host_state.read(runner=runner, root=str(root)) == {
        'firewalld_interfaces': {}, 'files': {}, 'units': {}, 'packages': {}, 'users': {}, 'groups': {}}
    assert runner.calls == []


def test_memory_is_read_only_when_asked(tmp_path):
    (tmp_path / 'proc').mkdir()
    (tmp_path / 'proc' / 'meminfo').write_text('MemTotal:       24683656 kB\nMemFree:        1000 kB\n')
    assert 'memtotal_mb' not in host_state.read(runner=FakeRunner({}), root=str(tmp_path))
    # 24683656 kB // 1024, as the memtotal_mb fact counts it.
    assert host_state.read(runner=FakeRunner({}), root=str(tmp_path), memory=True)['memtotal_mb'] == 24105


def test_memory_unreadable_is_none(tmp_path):
    assert host_state.read_memtotal_mb(str(tmp_path)) is None
    (tmp_path / 'proc').mkdir()
    (tmp_path / 'proc' / 'meminfo').write_text('garbage\n')
    assert host_state.read_memtotal_mb(str(tmp_path)) is None


def run_main(capsys, args, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            host_state_module.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(exc.value.code) == bool(result.get('failed', False))
    return result


@pytest.mark.parametrize('check_mode', [False, True])
def test_main_reads_everything_unchanged(root, capsys, monkeypatch, check_mode):
    runner = FakeRunner({'systemctl': (0, SYSTEMCTL_SHOW, ''), 'dpkg-query': (1, DPKG_OUT, DPKG_ERR)})
    monkeypatch.setattr(host_state, 'read', functools.partial(host_state.read, root=str(root)))
    monkeypatch.setattr(host_state_module.AnsibleModule, 'run_command',
                        lambda self, argv, **kwargs: runner(argv))
    monkeypatch.setattr(host_state_module.AnsibleModule, 'get_bin_path', lambda self, name, **kwargs: '/usr/bin/' + name)
    monkeypatch.setattr(host_state.os.path, 'isdir', lambda path: path == '/run/systemd/system')
    result = run_main(capsys, {
        'files': ['/etc/app.conf'], 'contents': ['/etc/app.conf'], 'units': ['docker.service', 'nosuch.service', 'pacsops-clamav-scan.timer'],
        'packages': ['chrony', 'clamav', 'nosuch'], 'users': ['ipacs'], 'groups': ['docker']}, check_mode)
    assert result['changed'] is False
    assert result['package_manager'] == 'dpkg'
    assert result['systemd_running'] is True
    assert result['files']['/etc/app.conf']['mode'] == '0640'
    assert result['files']['/etc/app.conf']['content'] == 'hello\n'
    assert result['units']['docker.service']['sub'] == 'running'
    assert result['packages']['chrony']['installed'] is True
    assert result['users']['ipacs']['groups'] == ['docker', 'ipacs']
    assert result['groups']['docker']['members'] == ['ipacs', 'me']
    assert [call[0] for call in runner.calls] == ['systemctl', 'dpkg-query']


def test_main_fails_with_the_command_error(root, capsys, monkeypatch):
    monkeypatch.setattr(host_state, 'read', functools.partial(host_state.read, root=str(root)))
    monkeypatch.setattr(host_state_module.AnsibleModule, 'run_command',
                        lambda self, argv, **kwargs: (1, '', 'Failed to connect to bus'))
    monkeypatch.setattr(host_state.os.path, 'isdir', lambda path: True)
    result = run_main(capsys, {'units': ['docker.service'], 'package_manager': 'rpm'})
    assert result['failed'] is True
    assert 'Failed to connect to bus' in result['msg']


def test_firewalld_zone_of_interfaces():
    runner = FakeRunner({'busctl': lambda argv: (0, '{"type":"s","data":["%s"]}\n' % (
        'docker' if argv[-1] == 'docker0' else ''), '')})
    assert host_state.read_firewalld_interfaces(['docker0', 'eth0'], runner) == {'docker0': 'docker', 'eth0': ''}
    assert runner.calls[0][:4] == ['busctl', '--system', '--auto-start=no', '--json=short']


def test_firewalld_not_answering_is_none():
    runner = FakeRunner({'busctl': (1, '', 'Call failed: The name org.fedoraproject.FirewallD1 was not provided')})
    assert host_state.read_firewalld_interfaces(['docker0', 'eth0'], runner) == {'docker0': None, 'eth0': None}
    assert len(runner.calls) == 1


def test_firewalld_garbage_raises():
    with pytest.raises(host_state.HostStateError):
        host_state.read_firewalld_interfaces(['docker0'], FakeRunner({'busctl': (0, 's "docker"', '')}))
