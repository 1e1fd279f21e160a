# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare desired files with the host and write only the ones that differ.

Pure logic, no AnsibleModule: paths are taken relative to ``root`` and validation
commands go through ``runner(argv) -> (rc, stdout, stderr)``, so unit tests run in
a tmp dir. A file is written next to the live one, validated there, given its mode
and owner, then renamed over the live file: a file that fails validation never
replaces a working one.

A file with a ``marker`` is managed as a block: its content sits between two marker
lines and the rest of the file is kept, as ``ansible.builtin.blockinfile`` (with its
default insertafter=EOF) writes it, so a block that module wrote is found and kept.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shlex
import stat
import tempfile

# Diff text of a file whose content must not be shown.
SECRET_TEXT = '(secret content not shown)\n'

# One entry of the files option, for the module and for the action plugin's own validation when it
# writes on the controller.
FILE_OPTIONS = dict(
    path=dict(type='path', required=True),
    src=dict(type='str'),
    content=dict(type='str'),
    mode=dict(type='str'),
    owner=dict(type='str'),
    group=dict(type='str'),
    validate=dict(type='str'),
    marker=dict(type='str'),
    secret=dict(type='bool', default=False),
    state=dict(type='str', default='present', choices=['present', 'absent']),
)


class ManagedFilesError(Exception):
    """A desired file is invalid or could not be validated or written."""


def _inside(root, path):
    return os.path.join(root, path.lstrip('/')) if root != '/' else path


def normalise_mode(mode):
    """'644', '0644', 0o644 -> '0644'."""
    if mode is None:
        return None
    if isinstance(mode, int):
        return '%04o' % mode
    text = str(mode).strip()
    try:
        value = int(text, 8)
    except ValueError:
        raise ManagedFilesError('mode %r is not an octal number' % mode)
    if value > 0o7777:
        raise ManagedFilesError('mode %r is out of range' % mode)
    return '%04o' % value


def _uid(name):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        raise ManagedFilesError('owner %r does not exist' % name)


def _gid(name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise ManagedFilesError('group %r does not exist' % name)


def _owner_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def current_state(full_path):
    """{'exists', 'content' (bytes), 'mode', 'owner', 'group'} of the live file."""
    try:
        info = os.lstat(full_path)
    except (IOError, OSError):
        return {'exists': False}
    if not stat.S_ISREG(info.st_mode):
        raise ManagedFilesError('%s exists and is not a regular file' % full_path)
    with open(full_path, 'rb') as handle:
        content = handle.read()
    return {'exists': True, 'content': content, 'mode': '%04o' % stat.S_IMODE(info.st_mode),
            'owner': _owner_name(info.st_uid), 'group': _group_name(info.st_gid)}


def marker_lines(marker):
    """The begin and end lines of a block, '{mark}' replaced as blockinfile does."""
    return (marker.replace('{mark}', 'BEGIN') + '\n').encode('utf-8'), (marker.replace('{mark}', 'END') + '\n').encode('utf-8')


def with_block(original, block, marker, present=True):
    """The whole file once its marker-delimited block is written or removed (blockinfile's algorithm).

    original: the file's bytes, None when it does not exist. An existing block (both marker lines)
    is replaced where it stands; a new one goes at the end, after a line break. Returns the new
    bytes, or None when there is no file and none is to be made (a removed block of a missing file).
    """
    if original is None and not present:
        return None
    begin, end = marker_lines(marker)
    lines = (original or b'').splitlines(True)
    block = block.encode('utf-8') if not isinstance(block, bytes) else block
    block_lines = []
    if present and block:
        if not block.endswith(b'\n'):
            block += b'\n'
        block_lines = [begin] + block.splitlines(True) + [end]
    first = last = None
    for number, line in enumerate(lines):
        if line == begin:
            first = number
        if line == end:
            last = number
    if first is None or last is None:
        first = len(lines)
    elif first < last:
        del lines[first:last + 1]
    else:
        del lines[last:first + 1]
        first = last
    if first > 0 and not lines[first - 1].endswith(b'\n'):
        lines[first - 1] += b'\n'
    lines[first:first] = block_lines
    return b''.join(lines)


def resolve_block(desired, original):
    """A block entry (with 'marker') as a whole-file entry, given the file's current bytes (None: missing)."""
    if not desired.get('marker'):
        return desired
    present = desired.get('state', 'present') == 'present'
    content = with_block(original, desired.get('content') or b'', desired['marker'], present)
    resolved = dict((key, value) for key, value in desired.items() if key != 'marker')
    if content is None:
        resolved['state'] = 'absent'
    else:
        resolved.update(state='present', content=content, mode=normalise_mode(desired.get('mode')))
    return resolved


def plan_file(desired, current):
    """What differs: a list of 'content', 'mode', 'owner', 'group', or ['absent'] to remove."""
    if desired.get('state', 'present') == 'absent':
        return ['absent'] if current['exists'] else []
    if not current['exists']:
        return ['content', 'mode', 'owner', 'group']
    differences = []
    if current['content'] != desired['content']:
        differences.append('content')
    for key in ('mode', 'owner', 'group'):
        if desired.get(key) is not None and desired[key] != current[key]:
            differences.append(key)
    return differences


def _text(content):
    return content.decode('utf-8', 'replace') if isinstance(content, bytes) else content


def file_diff(path, desired, current):
    """One entry of the task's diff list."""
    secret = desired.get('secret', False)

    def shown(state):
        if not state.get('exists', True) or state.get('state') == 'absent':
            return ''
        if secret:
            return SECRET_TEXT
        return _text(state['content'])

    def header(state):
        if not state.get('exists', True) or state.get('state') == 'absent':
            return '%s (absent)' % path
        if state.get('mode') is None:
            return path
        return '%s (%s %s:%s)' % (path, state['mode'], state.get('owner') or '-', state.get('group') or '-')

    return {'before_header': header(current), 'after_header': header(desired),
            'before': shown(current), 'after': shown(desired)}


def _validate(command, tmp_path, runner):
    if '%s' not in command:
        raise ManagedFilesError('validate command %r has no %%s for the file' % command)
    argv = [part.replace('%s', tmp_path) for part in shlex.split(command)]
    rc, out, err = runner(argv)
    if rc != 0:
        raise ManagedFilesError('validation failed (%s, rc %d): %s' % (command, rc, (err or out).strip()))


def _apply_attributes(full_path, desired):
    if desired.get('mode') is not None:
        os.chmod(full_path, int(desired['mode'], 8))
    uid = _uid(desired['owner']) if desired.get('owner') else -1
    gid = _gid(desired['group']) if desired.get('group') else -1
    if uid != -1 or gid != -1:
        os.lchown(full_path, uid, gid)


def _make_parents(full_path):
    """Missing parent directories: root-owned 0755 (what /etc and systemd drop-in directories are)."""
    parent = os.path.dirname(full_path)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)


def write_file(full_path, desired, differences, runner):
    if differences == ['absent']:
        os.unlink(full_path)
        return
    if 'content' not in differences:
        _apply_attributes(full_path, desired)
        return
    _make_parents(full_path)
    handle, tmp_path = tempfile.mkstemp(prefix='.' + os.path.basename(full_path) + '.', dir=os.path.dirname(full_path))
    try:
        with os.fdopen(handle, 'wb') as tmp:
            tmp.write(desired['content'])
        # Mode and owner before validating: a validator run as the service user reads it as the service would.
        _apply_attributes(tmp_path, dict(desired, mode=desired.get('mode') or '0644'))
        if desired.get('validate'):
            _validate(desired['validate'], tmp_path, runner)
        os.rename(tmp_path, full_path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def check_desired(files):
    """Normalise and check the desired files; returns them with bytes content and '0644' modes."""
    seen = set()
    result = []
    for entry in files:
        path = entry.get('path')
        if not path or not path.startswith('/'):
            raise ManagedFilesError('path %r is not absolute' % path)
        if path in seen:
            raise ManagedFilesError('path %s is listed twice' % path)
        seen.add(path)
        entry = dict(entry)
        if entry.get('marker') is not None and '{mark}' not in entry['marker']:
            raise ManagedFilesError('%s: marker %r has no {mark}' % (path, entry['marker']))
        if entry.get('state', 'present') == 'present':
            if entry.get('content') is None:
                raise ManagedFilesError('%s: content is missing' % path)
            if not isinstance(entry['content'], bytes):
                entry['content'] = entry['content'].encode('utf-8')
            entry['mode'] = normalise_mode(entry.get('mode'))
        result.append(entry)
    return result


def known_to_match(desired, known):
    """Whether a host_state file entry (read earlier in the play) already matches a desired file.

    Lets the action plugin skip the round trip to the host when every file matches; anything
    unknown or different goes to the module, which compares again before writing.
    """
    if not known:
        return False
    if desired.get('marker'):
        # A block needs the rest of the file: host_state's content (its option 'contents').
        if known.get('exists') and (known.get('type') != 'file' or 'content' not in known):
            return False
        original = known['content'].encode('utf-8') if known.get('exists') else None
        desired = resolve_block(desired, original)
    if desired.get('state', 'present') == 'absent':
        return known.get('exists') is False
    if not known.get('exists') or known.get('type') != 'file':
        return False
    content = desired.get('content')
    if content is None:
        return False
    if not isinstance(content, bytes):
        content = content.encode('utf-8')
    if hashlib.sha1(content).hexdigest() != known.get('checksum'):
        return False
    if desired.get('mode') is not None and normalise_mode(desired['mode']) != known.get('mode'):
        return False
    return all(desired.get(key) is None or desired[key] == known.get(key) for key in ('owner', 'group'))


def converge(files, runner, check_mode=False, root='/'):
    """Compare every desired file with the host; write (or in check mode only report) the differences.

    Returns {'changed', 'changed_files', 'files': {path: [differences]}, 'diff': [...]}.
    """
    desired_files = check_desired(files)
    result = {'changed': False, 'changed_files': [], 'files': {}, 'diff': []}
    for desired in desired_files:
        path = desired['path']
        full_path = _inside(root, path)
        current = current_state(full_path)
        desired = resolve_block(desired, current.get('content'))
        differences = plan_file(desired, current)
        result['files'][path] = differences
        if not differences:
            continue
        if not check_mode:
            write_file(full_path, desired, differences, runner)
        result['changed'] = True
        result['changed_files'].append(path)
        result['diff'].append(file_diff(path, desired, current))
    return result
