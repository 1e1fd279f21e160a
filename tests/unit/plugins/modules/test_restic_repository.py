# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive restic_repository.main() against a fake restic (and, when installed, the real one)."""

from __future__ import annotations

import json
import shutil

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.pacsops.server.plugins.module_utils import restic as restic_utils
from ansible_collections.pacsops.server.plugins.modules import restic_repository

SNAPSHOTS = [
    {'id': 'b' * 64, 'short_id': 'b' * 8, 'time': '2026-03-02T02:31:07.123456789+01:00', 'paths': ['/home/ipacs/main']},
    {'id': 'a' * 64, 'short_id': 'a' * 8, 'time': '2026-03-01T02:30:00Z', 'paths': ['/home/ipacs/main']},
    {'id': 'c' * 64, 'short_id': 'c' * 8, 'time': '2026-03-03T02:30:00.5Z', 'paths': ['/home/ipacs/main']},
]

NO_REPO_014 = ('Fatal: unable to open config file: stat /r/config: no such file or directory\n'
               'Is there a repository at the following location?\n/r\n')


class FakeRestic:
    """restic as a state machine: exists, password right, snapshots; records every call."""

    def __init__(self, exists=True, password_ok=True, snapshots=None, check_ok=True, new_exit_codes=False):
        self.exists = exists
        self.password_ok = password_ok
        self.snapshots = SNAPSHOTS if snapshots is None else snapshots
        self.check_ok = check_ok
        self.new_exit_codes = new_exit_codes
        self.calls = []

    def __call__(self, argv, environ_update=None, check_rc=False):
        args = [a for a in argv[1:] if a not in ('--no-cache', '--json')]
        self.calls.append((args, dict(environ_update or {})))
        if args == ['init']:
            if self.exists:
                return 1, '', 'Fatal: create repository at /r failed: config file already exists\n'
            self.exists = True
            return 0, 'created restic repository 0123456789 at /r\n', ''
        if not self.exists:
            return (10 if self.new_exit_codes else 1), '', NO_REPO_014
        if not self.password_ok:
            return (12 if self.new_exit_codes else 1), '', 'Fatal: wrong password or no key found\n'
        if args == ['cat', 'config']:
            return 0, json.dumps({'version': 2, 'id': 'f' * 64, 'chunker_polynomial': '1'}), ''
        if args == ['snapshots']:
            return 0, json.dumps(self.snapshots), ''
        if args[0] == 'check':
            if self.check_ok:
                return 0, 'no errors were found\n', ''
            return 1, '', 'error: load <index/1234>: ciphertext verification failed\nFatal: repository contains errors\n'
        raise AssertionError('unexpected restic call %r' % args)


@pytest.fixture
def password(tmp_path):
    path = tmp_path / 'password'
    path.write_text('s3cret-pw\n')
    return str(path)


def run_module(monkeypatch, fake, args, check_mode=False):
    monkeypatch.setattr(restic_repository.AnsibleModule, 'run_command', lambda self, *a, **kw: fake(*a, **kw))
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            restic_repository.main()


def result_of(capsys):
    return json.loads(capsys.readouterr().out)


def test_present_initialises_a_missing_repository_once(monkeypatch, capsys, password):
    fake = FakeRestic(exists=False)
    run_module(monkeypatch, fake, {'repository': '/r', 'password_file': password, 'state': 'present'})
    result = result_of(capsys)
    assert result['changed'] is True and result['exists'] is True
    assert [c[0] for c in fake.calls] == [['cat', 'config'], ['init'], ['cat', 'config']]
    # the password travels as a file name only
    assert all(c[1]['RESTIC_PASSWORD_FILE'] == password and c[1]['RESTIC_PASSWORD'] == '' for c in fake.calls)

    fake.calls.clear()
    run_module(monkeypatch, fake, {'repository': '/r', 'password_file': password, 'state': 'present'})
    result = result_of(capsys)
    assert result['changed'] is False
    assert [c[0] for c in fake.calls] == [['cat', 'config']]


def test_check_mode_reports_the_init_and_does_not_run_it(monkeypatch, capsys, password):
    fake = FakeRestic(exists=False, new_exit_codes=True)
    run_module(monkeypatch, fake, {'repository': '/r', 'password_file': password, 'state': 'present'}, check_mode=True)
    result = result_of(capsys)
    assert result['changed'] is True and result['exists'] is False
    assert ['init'] not in [c[0] for c in fake.calls]


def test_check_mode_on_a_fresh_host_without_password_file(monkeypatch, capsys, tmp_path):
    fake = FakeRestic(exists=False)
    run_module(monkeypatch, fake, {'repository': '/r', 'password_file': str(tmp_path / 'nope'), 'state': 'present'},
               check_mode=True)
    result = result_of(capsys)
    assert result['changed'] is True and 'would initialise' in result['msg']
    assert fake.calls == []


@pytest.mark.parametrize('new_exit_codes', [False, True])
def test_wrong_password_is_never_reinitialised(monkeypatch, capsys, password, new_exit_codes):
    fake = FakeRestic(password_ok=False, new_exit_codes=new_exit_codes)
    run_module(monkeypatch, fake, {'repository': '/r', 'password_file': password, 'state': 'present'})
    result = result_of(capsys)
    assert result['failed'] is True and result['error_kind'] == 'wrong_password'
    assert 'does not open the repository' in result['msg']
    assert 's3cret-pw' not in json.dumps(result)
    assert ['init'] not in [c[0] for c in fake.calls]


def test_inspect_refuses_a_missing_repository(monkeypatch, capsys, password):
    fake = FakeRestic(exists=False)
    run_module(monkeypatch, fake, {'repository': '/r', 'password_file': password, 'snapshot': 'latest'})
    result = result_of(capsys)
    assert result['failed'] is True and result['error_kind'] == 'no_repository'
    assert ['init'] not in [c[0] for c in fake.calls]


def test_inspect_picks_latest_and_sorts(monkeypatch, capsys, password):
    fake = FakeRestic()
    run_module(monkeypatch, fake, {'repository': '/r', 'password_file': password, 'snapshot': 'latest'}, check_mode=True)
    result = result_of(capsys)
    assert result['changed'] is False
    assert result['snapshot']['short_id'] == 'c' * 8
    assert [s['short_id'][0] for s in result['snapshots']] == ['a', 'b', 'c']


def test_inspect_with_check_fails_on_a_damaged_repository(monkeypatch, capsys, password):
    fake = FakeRestic(check_ok=False)
    run_module(monkeypatch, fake, {'repository': '/r', 'password_file': password, 'snapshot': 'latest', 'check': True})
    result = result_of(capsys)
    assert result['failed'] is True and result['error_kind'] == 'failed'
    assert 'repository contains errors' in result['msg']


def test_environment_file_values_reach_restic(monkeypatch, capsys, password, tmp_path):
    env = tmp_path / 's3.env'
    env.write_text('# keys\nAWS_ACCESS_KEY_ID=AKIATEST\nAWS_SECRET_ACCESS_KEY="very secret"\n')
    fake = FakeRestic()
    run_module(monkeypatch, fake, {'repository': 's3:http://127.0.0.1:9/b', 'password_file': password,
                                   'environment_file': str(env), 'environment': {'AWS_DEFAULT_REGION': 'us-east-1'}})
    result = result_of(capsys)
    assert 'very secret' not in json.dumps(result)
    env_seen = fake.calls[0][1]
    assert env_seen['AWS_SECRET_ACCESS_KEY'] == 'very secret' and env_seen['AWS_DEFAULT_REGION'] == 'us-east-1'


@pytest.mark.parametrize('selector,expected', [
    ('latest', 'c'), ('aaaaaaaa', 'a'), ('b' * 64, 'b'),
    ('2026-03-01', 'a'),               # the whole day
    ('2026-03-02', 'b'),               # 01:31 UTC on the 2nd
    ('2026-03-02 01:31', 'a'),         # before 01:31:07
    ('2026-03-02 01:32', 'b'),
    ('2026-12-31T00:00:00', 'c'),
])
def test_select_snapshot(selector, expected):
    assert restic_utils.select_snapshot(SNAPSHOTS, selector)['short_id'][0] == expected


@pytest.mark.parametrize('selector,message', [
    ('2026-02-28', 'no snapshot taken at or before'),
    ('deadbeef', 'neither'),
    ('yesterday', 'neither'),
])
def test_select_snapshot_refuses(selector, message):
    with pytest.raises(ValueError, match=message):
        restic_utils.select_snapshot(SNAPSHOTS, selector)


def test_select_snapshot_empty():
    with pytest.raises(ValueError, match='no snapshot'):
        restic_utils.select_snapshot([], 'latest')


@pytest.mark.skipif(shutil.which('restic') is None, reason='restic not installed')
def test_real_restic_round_trip(monkeypatch, capsys, tmp_path, password):
    """The same calls against restic itself: init once, wrong password refused, snapshot listed."""
    repo = str(tmp_path / 'repo')
    run_module(monkeypatch, _real_run, {'repository': repo, 'password_file': password, 'state': 'present'})
    assert result_of(capsys)['changed'] is True
    run_module(monkeypatch, _real_run, {'repository': repo, 'password_file': password, 'state': 'present'})
    assert result_of(capsys)['changed'] is False

    data = tmp_path / 'data'
    data.mkdir()
    (data / 'f').write_text('x')
    restic = restic_utils.Restic(_real_run, repo, password)
    restic.run('backup', '--time', '2026-01-05 03:00:00', str(data))
    run_module(monkeypatch, _real_run, {'repository': repo, 'password_file': password, 'snapshot': '2026-01-05',
                                        'check': True})
    result = result_of(capsys)
    assert result['checked'] is True and result['snapshot']['time'].startswith('2026-01-05T03:00:00')

    wrong = tmp_path / 'wrong'
    wrong.write_text('not it\n')
    run_module(monkeypatch, _real_run, {'repository': repo, 'password_file': str(wrong), 'state': 'present'})
    assert result_of(capsys)['error_kind'] == 'wrong_password'
    run_module(monkeypatch, _real_run, {'repository': str(tmp_path / 'none'), 'password_file': password})
    assert result_of(capsys)['error_kind'] == 'no_repository'


def _real_run(argv, environ_update=None, check_rc=False):
    import os
    import subprocess
    proc = subprocess.run(argv, env={**os.environ, **(environ_update or {})}, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr
