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


# ------------------------------------------------------------ blocks (files[].marker)

MARKER = '# {mark} pacsops.server.proxy'
BLOCK = 'http_proxy="http://proxy:3128"\nHTTP_PROXY="http://proxy:3128"\n'


def blockinfile(tmp_path, capsys, original, block, present):
    """What ansible.builtin.blockinfile makes of the file: the behaviour a marker entry must reproduce."""
    from ansible.modules import blockinfile as blockinfile_module
    path = tmp_path / 'environment'
    if original is not None:
        path.write_bytes(original)
    args = {'path': str(path), 'block': block, 'marker': MARKER, 'create': True,
            'state': 'present' if present else 'absent'}
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            blockinfile_module.main()
    capsys.readouterr()
    return path.read_bytes() if path.exists() else None


@pytest.mark.parametrize('original', [
    None,
    b'',
    b'PATH="/usr/bin"\n',
    b'PATH="/usr/bin"',  # no line break at the end
    b'A=1\n# BEGIN pacsops.server.proxy\nhttp_proxy="old"\n# END pacsops.server.proxy\nB=2\n',
    b'A=1\n# END pacsops.server.proxy\nstray\n# BEGIN pacsops.server.proxy\nB=2\n',  # markers the wrong way round
    b'A=1\n# BEGIN pacsops.server.proxy\nhalf a block\n',  # only one marker
])
@pytest.mark.parametrize('block, present', [(BLOCK, True), (BLOCK.rstrip('\n'), True), (BLOCK, False), ('', True)])
def test_block_is_written_as_blockinfile_writes_it(tmp_path, capsys, original, block, present):
    expected = blockinfile(tmp_path, capsys, original, block, present)
    assert managed_files.with_block(original, block, MARKER, present) == expected


def block_entry(**extra):
    return dict(dict(path='/etc/environment', content=BLOCK, marker=MARKER, mode='0644', owner=OWNER, group=GROUP), **extra)


def test_block_keeps_the_other_lines_and_a_rerun_changes_nothing(tmp_path):
    env = live(tmp_path, '/etc/environment')
    env.parent.mkdir()
    env.write_text('PATH="/usr/bin"\n')
    os.chmod(str(env), 0o644)
    result = managed_files.converge([block_entry()], FakeRunner({}), root=str(tmp_path))
    assert result['changed_files'] == ['/etc/environment']
    assert env.read_text() == 'PATH="/usr/bin"\n# BEGIN pacsops.server.proxy\n' + BLOCK + '# END pacsops.server.proxy\n'
    assert result['diff'][0]['before'] == 'PATH="/usr/bin"\n' and result['diff'][0]['after'] == env.read_text()
    again = managed_files.converge([block_entry()], FakeRunner({}), root=str(tmp_path))
    assert again['changed'] is False and again['files'] == {'/etc/environment': []}
    # A new block replaces the old one where it stands.
    env.write_text(env.read_text() + 'LANG=C\n')
    managed_files.converge([block_entry(content='no_proxy="localhost"\n')], FakeRunner({}), root=str(tmp_path))
    assert env.read_text() == 'PATH="/usr/bin"\n# BEGIN pacsops.server.proxy\nno_proxy="localhost"\n# END pacsops.server.proxy\nLANG=C\n'


def test_absent_block_removes_the_block_not_the_file(tmp_path):
    env = live(tmp_path, '/etc/environment')
    managed_files.converge([block_entry()], FakeRunner({}), root=str(tmp_path))
    env.write_text('A=1\n' + env.read_text())
    checked = managed_files.converge([block_entry(state='absent')], FakeRunner({}), check_mode=True, root=str(tmp_path))
    assert checked['changed_files'] == ['/etc/environment'] and 'BEGIN' in env.read_text()
    removed = managed_files.converge([block_entry(state='absent')], FakeRunner({}), root=str(tmp_path))
    assert removed['changed_files'] == ['/etc/environment'] and env.read_text() == 'A=1\n'
    assert managed_files.converge([block_entry(state='absent')], FakeRunner({}), root=str(tmp_path))['changed'] is False
    env.unlink()
    missing = managed_files.converge([block_entry(state='absent')], FakeRunner({}), root=str(tmp_path))
    assert missing['changed'] is False and not env.exists()


def test_block_mode_applies_to_the_whole_file_and_secret_blocks_stay_out_of_the_diff(tmp_path):
    result = managed_files.converge([block_entry(mode='0600', secret=True, content='p="hunter2"\n')], FakeRunner({}),
                                    root=str(tmp_path))
    assert 'hunter2' not in json.dumps(result)
    assert oct(os.stat(str(live(tmp_path, '/etc/environment'))).st_mode & 0o7777) == '0o600'
    assert managed_files.converge([block_entry(mode='0644')], FakeRunner({}), root=str(tmp_path))['files'] == {
        '/etc/environment': ['content', 'mode']}


def test_marker_without_mark_is_refused(tmp_path):
    with pytest.raises(managed_files.ManagedFilesError, match='no {mark}'):
        managed_files.converge([block_entry(marker='# pacsops')], FakeRunner({}), root=str(tmp_path))


def known_text(text, mode='0644'):
    import hashlib
    return {'exists': True, 'type': 'file', 'mode': mode, 'owner': OWNER, 'group': GROUP,
            'checksum': hashlib.sha1(text.encode()).hexdigest(), 'content': text}


def test_known_to_match_a_block_needs_the_content_read():
    written = 'PATH="/usr/bin"\n# BEGIN pacsops.server.proxy\n' + BLOCK + '# END pacsops.server.proxy\n'
    assert managed_files.known_to_match(block_entry(), known_text(written)) is True
    assert managed_files.known_to_match(block_entry(), known_text(written, mode='0600')) is False
    assert managed_files.known_to_match(block_entry(content='other\n'), known_text(written)) is False
    # Without the text (host_state's contents not asked for, or too large), never taken as matching.
    unread = dict((key, value) for key, value in known_text(written).items() if key != 'content')
    assert managed_files.known_to_match(block_entry(), unread) is False
    # A checksum that does not fit the text read: not trusted.
    assert managed_files.known_to_match(block_entry(), dict(known_text(written), checksum='0' * 40)) is False
    # Removed block: matches a file without it, or no file at all.
    assert managed_files.known_to_match(block_entry(state='absent'), known_text('PATH="/usr/bin"\n')) is True
    assert managed_files.known_to_match(block_entry(state='absent'), known_text(written)) is False
    assert managed_files.known_to_match(block_entry(state='absent'), {'exists': False}) is True
    assert managed_files.known_to_match(block_entry(), {'exists': False}) is False


def test_main_manages_a_block(in_tmp, capsys):
    env = live(in_tmp, '/etc/environment')
    env.parent.mkdir()
    env.write_text('A=1\n')
    args = {'files': [block_entry()]}
    assert run_main(capsys, args, check_mode=True)['changed'] is True and env.read_text() == 'A=1\n'
    assert run_main(capsys, args)['changed_files'] == ['/etc/environment']
    assert env.read_text().startswith('A=1\n# BEGIN pacsops.server.proxy\n')
    assert run_main(capsys, args)['changed'] is False
