# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""managed_files: comparison, validation before replacement, check mode and diff, in a tmp dir."""

from __future__ import annotations

import functools
import grp
import json
import os
import pwd

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.pacsops.server.plugins.module_utils import managed_files
from ansible_collections.pacsops.server.plugins.modules import managed_files as managed_files_module
from ansible_collections.pacsops.server.tests.unit.plugins.hosttree import FakeRunner

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def live(root, path):
    return root / path.lstrip('/')


def desired(path='/etc/app.conf', content='key = 1\n', **extra):
    return dict(dict(path=path, content=content, mode='0644', owner=OWNER, group=GROUP), **extra)


def test_new_file_is_written_with_parents_and_reported(tmp_path):
    result = managed_files.converge([desired(path='/etc/app.d/x.conf')], FakeRunner({}), root=str(tmp_path))
    assert result['changed'] is True
    assert result['changed_files'] == ['/etc/app.d/x.conf']
    assert live(tmp_path, '/etc/app.d/x.conf').read_text() == 'key = 1\n'
    assert oct(os.stat(str(live(tmp_path, '/etc/app.d/x.conf'))).st_mode & 0o7777) == '0o644'
    assert result['diff'][0]['before'] == '' and result['diff'][0]['after'] == 'key = 1\n'
    assert result['diff'][0]['before_header'] == '/etc/app.d/x.conf (absent)'


def test_same_file_is_left_alone(tmp_path):
    managed_files.converge([desired()], FakeRunner({}), root=str(tmp_path))
    before = os.stat(str(live(tmp_path, '/etc/app.conf'))).st_ino
    result = managed_files.converge([desired()], FakeRunner({}), root=str(tmp_path))
    assert result == {'changed': False, 'changed_files': [], 'files': {'/etc/app.conf': []}, 'diff': []}
    assert os.stat(str(live(tmp_path, '/etc/app.conf'))).st_ino == before


def test_only_the_differing_file_changes_and_mode_alone_keeps_the_inode(tmp_path):
    files = [desired(), desired(path='/etc/other.conf', content='x\n')]
    managed_files.converge(files, FakeRunner({}), root=str(tmp_path))
    inode = os.stat(str(live(tmp_path, '/etc/app.conf'))).st_ino
    files[0]['mode'] = '640'
    result = managed_files.converge(files, FakeRunner({}), root=str(tmp_path))
    assert result['changed_files'] == ['/etc/app.conf']
    assert result['files'] == {'/etc/app.conf': ['mode'], '/etc/other.conf': []}
    assert os.stat(str(live(tmp_path, '/etc/app.conf'))).st_ino == inode
    assert os.stat(str(live(tmp_path, '/etc/app.conf'))).st_mode & 0o7777 == 0o640


def test_check_mode_reports_and_writes_nothing(tmp_path):
    managed_files.converge([desired()], FakeRunner({}), root=str(tmp_path))
    result = managed_files.converge([desired(content='key = 2\n'), desired(path='/etc/new.conf')],
                                    FakeRunner({}), check_mode=True, root=str(tmp_path))
    assert result['changed_files'] == ['/etc/app.conf', '/etc/new.conf']
    assert result['diff'][0]['before'] == 'key = 1\n' and result['diff'][0]['after'] == 'key = 2\n'
    assert live(tmp_path, '/etc/app.conf').read_text() == 'key = 1\n'
    assert not live(tmp_path, '/etc/new.conf').exists()


def test_validation_failure_keeps_the_live_file(tmp_path):
    managed_files.converge([desired()], FakeRunner({}), root=str(tmp_path))
    runner = FakeRunner({'checkconf': (1, '', 'line 1: bad key')})
    with pytest.raises(managed_files.ManagedFilesError, match='bad key'):
        managed_files.converge([desired(content='broken\n', validate='checkconf -f %s')], runner, root=str(tmp_path))
    assert live(tmp_path, '/etc/app.conf').read_text() == 'key = 1\n'
    assert os.listdir(str(tmp_path / 'etc')) == ['app.conf']  # no temporary file left
    validated = runner.calls[0][2]
    assert runner.calls[0][:2] == ['checkconf', '-f'] and validated != str(live(tmp_path, '/etc/app.conf'))


def test_validation_success_replaces(tmp_path):
    seen = []
    runner = FakeRunner({'checkconf': lambda argv: (seen.append(open(argv[1]).read()), (0, '', ''))[1]})
    result = managed_files.converge([desired(validate='checkconf %s')], runner, root=str(tmp_path))
    assert seen == ['key = 1\n']
    assert result['changed'] is True


def test_validate_without_placeholder_is_refused(tmp_path):
    with pytest.raises(managed_files.ManagedFilesError, match='no %s'):
        managed_files.converge([desired(validate='checkconf')], FakeRunner({}), root=str(tmp_path))


def test_secret_content_stays_out_of_the_diff(tmp_path):
    result = managed_files.converge([desired(content='password = hunter2\n', secret=True)], FakeRunner({}),
                                    root=str(tmp_path))
    assert 'hunter2' not in json.dumps(result)
    assert result['diff'][0]['after'] == managed_files.SECRET_TEXT


def test_absent_removes_only_an_existing_file(tmp_path):
    managed_files.converge([desired()], FakeRunner({}), root=str(tmp_path))
    result = managed_files.converge([{'path': '/etc/app.conf', 'state': 'absent'},
                                     {'path': '/etc/never.conf', 'state': 'absent'}], FakeRunner({}), root=str(tmp_path))
    assert result['changed_files'] == ['/etc/app.conf']
    assert not live(tmp_path, '/etc/app.conf').exists()


@pytest.mark.parametrize('entry, message', [
    ({'path': 'relative', 'content': ''}, 'not absolute'),
    ({'path': '/etc/a', 'content': '', 'mode': 'rw-r--r--'}, 'not an octal'),
    ({'path': '/etc/a'}, 'content is missing'),
])
def test_bad_input(tmp_path, entry, message):
    with pytest.raises(managed_files.ManagedFilesError, match=message):
        managed_files.converge([entry], FakeRunner({}), root=str(tmp_path))


def test_duplicate_path_is_refused(tmp_path):
    with pytest.raises(managed_files.ManagedFilesError, match='twice'):
        managed_files.converge([desired(), desired()], FakeRunner({}), root=str(tmp_path))


def run_main(capsys, args, check_mode=False, diff=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            managed_files_module.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(exc.value.code) == bool(result.get('failed', False))
    return result


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(managed_files_module, 'converge', functools.partial(managed_files.converge, root=str(tmp_path)))
    return tmp_path


def test_main_check_then_apply_then_rerun(in_tmp, capsys):
    args = {'files': [desired()]}
    checked = run_main(capsys, args, check_mode=True, diff=True)
    assert checked['changed'] is True and checked['diff'][0]['after'] == 'key = 1\n'
    assert not live(in_tmp, '/etc/app.conf').exists()
    applied = run_main(capsys, args)
    assert applied['changed_files'] == ['/etc/app.conf'] and 'diff' not in applied
    again = run_main(capsys, args, check_mode=True, diff=True)
    assert again['changed'] is False and again['changed_files'] == []


def test_main_refuses_unrendered_src(in_tmp, capsys):
    result = run_main(capsys, {'files': [{'path': '/etc/a', 'src': 'a.j2'}]})
    assert 'action plugin' in result['msg']


@pytest.mark.parametrize('known, matches', [
    ({'exists': True, 'type': 'file', 'mode': '0644', 'owner': 'root', 'group': 'root',
      'checksum': '8e8b6a8f3c1ef5e3d1a9b6f7fd5d4b5b3e2d1c0a'}, False),  # other content
    (None, False),
    ({'exists': False}, False),
])
def test_known_to_match_needs_everything_equal(known, matches):
    assert managed_files.known_to_match(desired(owner='root', group='root'), known) is matches


def test_known_to_match_compares_content_mode_and_owner():
    import hashlib
    known = {'exists': True, 'type': 'file', 'mode': '0644', 'owner': 'root', 'group': 'root',
             'checksum': hashlib.sha1(b'key = 1\n').hexdigest()}
    assert managed_files.known_to_match(desired(owner='root', group='root'), known) is True
    assert managed_files.known_to_match(desired(owner='root', group='root', mode='600'), known) is False
    assert managed_files.known_to_match(desired(owner='ipacs', group='root'), known) is False
    assert managed_files.known_to_match({'path': '/etc/app.conf', 'state': 'absent'}, known) is False
    assert managed_files.known_to_match({'path': '/etc/app.conf', 'state': 'absent'}, {'exists': False}) is True
