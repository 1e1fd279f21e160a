# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a host's files, systemd units, packages, users and groups in one go.

Pure logic, no AnsibleModule: files and account databases are read relative to a
``root`` prefix and commands go through a ``runner(argv) -> (rc, stdout, stderr)``
callable, so unit tests run against a fabricated tree and canned command output.

Choices:

* Files: ``lstat`` (a symlink is reported as ``link``, never followed); the SHA-1
  checksum only for regular files (the same digest ``ansible.builtin.stat`` returns).
  The text of the files asked for in ``contents`` too (a block in a shared file such
  as /etc/environment is compared from it), when small and UTF-8.
* Users and groups: with ``root`` "/" through the name service (``pwd``/``grp``, so
  LDAP or SSSD accounts count as existing); under another root from its
  ``etc/passwd`` and ``etc/group``. A user's ``groups`` are its primary group and
  every group that lists it as a member, sorted.
* Units: one ``systemctl show`` for all of them. A unit that systemd does not know
  (``LoadState=not-found``) does not exist. ``active_enter_timestamp`` is the
  realtime of the last start in microseconds since the epoch (0 when it never
  started): a task compares it before and after to tell whether a unit restarted.
* Firewalld: the zone of each interface asked for, through firewalld's D-Bus API (busctl),
  None when firewalld does not answer (stopped or not installed).
* Packages: one ``dpkg-query`` (Debian) or ``rpm -q`` (RedHat) call for all names.
  A Debian package that is known but removed (``config-files``) is not installed.
"""

from __future__ import annotations

import datetime
import grp
import hashlib
import json
import os
import pwd
import stat

UNIT_PROPERTIES = ('Id', 'LoadState', 'UnitFileState', 'ActiveState', 'SubState', 'ActiveEnterTimestamp')
# Realtime with microseconds (systemd >= 248: Debian 12, EL 9); parsed by parse_systemd_timestamp.
SYSTEMCTL_TIMESTAMP_OPTION = '--timestamp=us+utc'

DPKG_FORMAT = '${Package}\\t${db:Status-Status}\\t${Version}\\n'
RPM_FORMAT = '%{NAME}\\t%{VERSION}-%{RELEASE}\\n'
# The largest file whose text is returned (``contents``): a configuration file, not a data file.
CONTENT_MAX_BYTES = 65536


# The module's options, shared by the module and its action plugin (which validates them on the controller).
ARGUMENT_SPEC = dict(
    files=dict(type='list', elements='path', default=[]),
    contents=dict(type='list', elements='path', default=[]),
    units=dict(type='list', elements='str', default=[]),
    packages=dict(type='list', elements='str', default=[]),
    users=dict(type='list', elements='str', default=[]),
    groups=dict(type='list', elements='str', default=[]),
    firewalld_interfaces=dict(type='list', elements='str', default=[]),
    memory=dict(type='bool', default=False),
    package_manager=dict(type='str', default='auto', choices=['auto', 'dpkg', 'rpm']),
)


class HostStateError(Exception):
    """A command the read depends on failed in a way that is not "absent"."""


def _inside(root, path):
    return os.path.join(root, path.lstrip('/')) if root != '/' else path


def sha1_of(full_path):
    digest = hashlib.sha1()
    with open(full_path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(65536), b''):
            digest.update(chunk)
    return digest.hexdigest()


class Accounts:
    """Users and groups: name service on the real root, passwd/group files under a fake one."""

    def __init__(self, root='/'):
        self.root = root
        self._passwd = None
        self._group = None

    @staticmethod
    def _read_colon_file(path, fields):
        rows = []
        try:
            with open(path) as handle:
                for line in handle:
                    line = line.rstrip('\n')
                    if not line or line.startswith('#'):
                        continue
                    parts = line.split(':')
                    if len(parts) >= fields:
                        rows.append(parts)
        except (IOError, OSError):
            pass
        return rows

    def _files(self):
        if self._passwd is None:
            self._passwd = [
                {'name': p[0], 'uid': int(p[2]), 'gid': int(p[3]), 'home': p[5], 'shell': p[6]}
                for p in self._read_colon_file(os.path.join(self.root, 'etc/passwd'), 7)]
            self._group = [
                {'name': g[0], 'gid': int(g[2]), 'members': [m for m in g[3].split(',') if m]}
                for g in self._read_colon_file(os.path.join(self.root, 'etc/group'), 4)]
        return self._passwd, self._group

    def user(self, name):
        if self.root == '/':
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                return None
            return {'name': entry.pw_name, 'uid': entry.pw_uid, 'gid': entry.pw_gid,
                    'home': entry.pw_dir, 'shell': entry.pw_shell}
        return next((u for u in self._files()[0] if u['name'] == name), None)

    def user_by_uid(self, uid):
        if self.root == '/':
            try:
                return pwd.getpwuid(uid).pw_name
            except KeyError:
                return None
        return next((u['name'] for u in self._files()[0] if u['uid'] == uid), None)

    def group(self, name):
        if self.root == '/':
            try:
                entry = grp.getgrnam(name)
            except KeyError:
                return None
            return {'name': entry.gr_name, 'gid': entry.gr_gid, 'members': list(entry.gr_mem)}
        return next((g for g in self._files()[1] if g['name'] == name), None)

    def group_by_gid(self, gid):
        if self.root == '/':
            try:
                return grp.getgrgid(gid).gr_name
            except KeyError:
                return None
        return next((g['name'] for g in self._files()[1] if g['gid'] == gid), None)

    def password_locked(self, name):
        """Whether the shadow entry locks password logins ("!..." or "*"); None when unreadable.

        Read from etc/shadow (root only) without returning the hash itself.
        """
        for row in self._read_colon_file(os.path.join(self.root, 'etc/shadow'), 2):
            if row[0] == name:
                return row[1].startswith(('!', '*')) or row[1] == ''
        return None

    def groups_of(self, user):
        """Names of the user's primary group and the groups listing it as member."""
        if self.root == '/':
            names = set(g.gr_name for g in grp.getgrall() if user['name'] in g.gr_mem)
        else:
            names = set(g['name'] for g in self._files()[1] if user['name'] in g['members'])
        primary = self.group_by_gid(user['gid'])
        if primary:
            names.add(primary)
        return sorted(names)


def read_text(full_path):
    """A small regular file's text, None when larger than CONTENT_MAX_BYTES, unreadable or not UTF-8."""
    try:
        with open(full_path, 'rb') as handle:
            data = handle.read(CONTENT_MAX_BYTES + 1)
    except (IOError, OSError):
        return None
    if len(data) > CONTENT_MAX_BYTES:
        return None
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return None


def read_file(path, root='/', accounts=None, with_content=False):
    accounts = accounts or Accounts(root)
    try:
        info = os.lstat(_inside(root, path))
    except (IOError, OSError):
        return {'exists': False}
    if stat.S_ISREG(info.st_mode):
        kind = 'file'
    elif stat.S_ISDIR(info.st_mode):
        kind = 'directory'
    elif stat.S_ISLNK(info.st_mode):
        kind = 'link'
    else:
        kind = 'other'
    result = {
        'exists': True,
        'type': kind,
        'mode': '%04o' % stat.S_IMODE(info.st_mode),
        'owner': accounts.user_by_uid(info.st_uid) or str(info.st_uid),
        'group': accounts.group_by_gid(info.st_gid) or str(info.st_gid),
        'size': info.st_size,
    }
    if kind == 'file':
        # A user without become reads the metadata of a root-only file but not its content: the
        # file then has no checksum, so nothing compares it as matching.
        try:
            result['checksum'] = sha1_of(_inside(root, path))
        except (IOError, OSError):
            pass
        if with_content:
            content = read_text(_inside(root, path))
            if content is not None:
                result['content'] = content
    return result


def read_files(paths, root='/', accounts=None, contents=()):
    """Every path of paths and contents; those in contents with their text."""
    accounts = accounts or Accounts(root)
    wanted = list(paths) + [path for path in contents if path not in paths]
    return dict((path, read_file(path, root, accounts, path in contents)) for path in wanted)


def read_users(names, accounts):
    result = {}
    for name in names:
        user = accounts.user(name)
        if user is None:
            result[name] = {'exists': False}
            continue
        result[name] = {'exists': True, 'uid': user['uid'], 'gid': user['gid'], 'home': user['home'],
                        'shell': user['shell'], 'groups': accounts.groups_of(user),
                        'password_locked': accounts.password_locked(name)}
    return result


def read_groups(names, accounts):
    result = {}
    for name in names:
        group = accounts.group(name)
        if group is None:
            result[name] = {'exists': False}
        else:
            result[name] = {'exists': True, 'gid': group['gid'], 'members': sorted(group['members'])}
    return result


def parse_systemd_timestamp(text):
    """'Mon 2026-11-30 03:44:39.123456 UTC' -> usec since the epoch; '' or 'n/a' -> 0."""
    text = text.strip()
    if not text or text == 'n/a':
        return 0
    parts = text.split()
    # Weekday first, zone last; the zone is UTC because of SYSTEMCTL_TIMESTAMP_OPTION.
    if len(parts) == 4:
        parts = parts[1:3]
    elif len(parts) == 3 and parts[-1] == 'UTC':
        parts = parts[:2]
    else:
        raise HostStateError('unexpected systemd timestamp %r' % text)
    day, clock = parts
    fraction = 0
    if '.' in clock:
        clock, digits = clock.split('.', 1)
        fraction = int((digits + '000000')[:6])
    moment = datetime.datetime.strptime(day + ' ' + clock, '%Y-%m-%d %H:%M:%S')
    epoch = datetime.datetime(1970, 1, 1)
    delta = moment - epoch
    return (delta.days * 86400 + delta.seconds) * 1000000 + fraction


def parse_systemctl_show(text):
    """Blocks of KEY=VALUE separated by blank lines, in the order the units were given."""
    blocks = []
    current = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition('=')
        if sep:
            current[key] = value
    if current:
        blocks.append(current)
    return blocks


def read_units(names, runner, systemd_running=True):
    if not names:
        return {}
    absent = {'exists': False, 'enabled': '', 'active': 'inactive', 'sub': 'dead', 'active_enter_timestamp': 0}
    if not systemd_running:
        return dict((name, dict(absent)) for name in names)
    argv = ['systemctl', 'show', SYSTEMCTL_TIMESTAMP_OPTION,
            '--property=' + ','.join(UNIT_PROPERTIES), '--'] + list(names)
    rc, out, err = runner(argv)
    if rc != 0:
        raise HostStateError('systemctl show failed (rc %d): %s' % (rc, (err or out).strip()))
    blocks = parse_systemctl_show(out)
    if len(blocks) != len(names):
        raise HostStateError('systemctl show returned %d units for %d names' % (len(blocks), len(names)))
    result = {}
    for name, block in zip(names, blocks):
        if block.get('LoadState', 'not-found') == 'not-found':
            result[name] = dict(absent)
            continue
        result[name] = {
            'exists': True,
            'enabled': block.get('UnitFileState', ''),
            'active': block.get('ActiveState', ''),
            'sub': block.get('SubState', ''),
            'active_enter_timestamp': parse_systemd_timestamp(block.get('ActiveEnterTimestamp', '')),
        }
    return result


def read_packages(names, runner, manager):
    """manager: 'dpkg' or 'rpm'."""
    if not names:
        return {}
    result = dict((name, {'installed': False, 'version': None}) for name in names)
    if manager == 'dpkg':
        # rc 1 and "no packages found matching" on stderr for unknown names: not an error.
        rc, out, err = runner(['dpkg-query', '-W', '-f=' + DPKG_FORMAT.replace('\\t', '\t').replace('\\n', '\n'),
                               '--'] + list(names))
        if rc not in (0, 1):
            raise HostStateError('dpkg-query failed (rc %d): %s' % (rc, err.strip()))
        for line in out.splitlines():
            fields = line.split('\t')
            if len(fields) == 3 and fields[0] in result and fields[1] == 'installed':
                result[fields[0]] = {'installed': True, 'version': fields[2]}
    elif manager == 'rpm':
        # rc = number of names not installed, each reported as "package X is not installed".
        rc, out, err = runner(['rpm', '-q', '--qf', RPM_FORMAT.replace('\\t', '\t').replace('\\n', '\n'),
                               '--'] + list(names))
        if err.strip() and rc > len(names):
            raise HostStateError('rpm -q failed (rc %d): %s' % (rc, err.strip()))
        for line in out.splitlines():
            fields = line.split('\t')
            if len(fields) == 2 and fields[0] in result:
                result[fields[0]] = {'installed': True, 'version': fields[1]}
    else:
        raise HostStateError('unknown package manager %r' % manager)
    return result


def read_firewalld_interfaces(interfaces, runner):
    """Zone of each interface from firewalld's D-Bus API ('' = in no zone), None when firewalld does not answer.

    busctl --auto-start=no never starts a stopped firewalld; --json=short (systemd >= 250) returns
    {"type": "s", "data": ["docker"]}.
    """
    result = {}
    for interface in interfaces:
        rc, out, err = runner(['busctl', '--system', '--auto-start=no', '--json=short', 'call',
                               'org.fedoraproject.FirewallD1', '/org/fedoraproject/FirewallD1',
                               'org.fedoraproject.FirewallD1.zone', 'getZoneOfInterface', 's', interface])
        if rc != 0:
            # Not running (or not installed): no later interface will answer either.
            return dict((name, None) for name in interfaces)
        try:
            result[interface] = json.loads(out)['data'][0]
        except (ValueError, KeyError, IndexError, TypeError):
            raise HostStateError('unexpected busctl answer for %s: %r' % (interface, out))
    return result


def read_memtotal_mb(root='/'):
    """MemTotal of /proc/meminfo in MiB, as Ansible's memtotal_mb fact counts it; None when unreadable."""
    try:
        with open(os.path.join(root, 'proc/meminfo')) as meminfo:
            for line in meminfo:
                fields = line.split()
                if fields[:1] == ['MemTotal:'] and len(fields) >= 2 and fields[1].isdigit():
                    return int(fields[1]) // 1024
    except OSError:
        pass
    return None


def read(files=(), units=(), packages=(), users=(), groups=(), runner=None, root='/',
         package_manager='dpkg', systemd_running=True, firewalld_interfaces=(), memory=False, contents=()):
    """The whole state in one dict, keys as the host_state module returns them."""
    accounts = Accounts(root)
    state = {
        'firewalld_interfaces': read_firewalld_interfaces(list(firewalld_interfaces), runner),
        'files': read_files(files, root, accounts, contents),
        'units': read_units(list(units), runner, systemd_running),
        'packages': read_packages(list(packages), runner, package_manager),
        'users': read_users(users, accounts),
        'groups': read_groups(groups, accounts),
    }
    if memory:
        state['memtotal_mb'] = read_memtotal_mb(root)
    return state


def module_result(params, runner, which):
    """What the module returns for validated ``params``: the state, or ``failed`` and ``msg``.

    ``runner(argv) -> (rc, stdout, stderr)`` runs a command with LC_ALL=C; ``which(name)`` finds an executable.
    The module and the light path of its action plugin (plugins/plugin_utils/remote_python.py) both call this.
    """
    manager = params['package_manager']
    if manager == 'auto':
        manager = 'dpkg' if which('dpkg-query') else 'rpm'
    systemd_running = os.path.isdir('/run/systemd/system')
    files = [os.path.expanduser(os.path.expandvars(path)) for path in params['files']]
    contents = [os.path.expanduser(os.path.expandvars(path)) for path in params['contents']]
    try:
        state = read(files=files, contents=contents, units=params['units'], packages=params['packages'],
                     users=params['users'], groups=params['groups'], runner=runner,
                     firewalld_interfaces=params['firewalld_interfaces'],
                     package_manager=manager, systemd_running=systemd_running,
                     memory=params['memory'])
    except HostStateError as exc:
        return {'failed': True, 'msg': str(exc)}
    return dict(changed=False, systemd_running=systemd_running, package_manager=manager, **state)
