# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""restic, driven through its JSON output: repository state, snapshot choice, error kinds.

The password never travels on a command line: restic reads it from RESTIC_PASSWORD_FILE.
"""

from __future__ import annotations

import datetime
import json
import re

# restic >= 0.17 exit codes (doc/075_scripting.rst); 0.14 (Debian 12) exits 1 for all of these.
EXIT_NO_REPOSITORY = 10
EXIT_LOCKED = 11
EXIT_WRONG_PASSWORD = 12

# restic 0.14 has no distinct exit codes: these fixed "Fatal:" texts are its only signal. Newer
# versions print the same texts and also set the exit codes above.
_NO_REPOSITORY_TEXTS = ('unable to open config file', 'Is there a repository at the following location?')
_WRONG_PASSWORD_TEXT = 'wrong password or no key found'

_SNAPSHOT_ID = re.compile(r'^[0-9a-f]{8,64}$')
_DATE_FORMATS = ('%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M', '%Y-%m-%d')


class ResticError(Exception):
    """A failed restic call; kind is one of no_repository, wrong_password, locked, failed."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def classify(rc, stderr):
    """The kind of a failed restic call, from its exit code (>= 0.17) or its fatal text (0.14)."""
    if rc == EXIT_NO_REPOSITORY or any(text in stderr for text in _NO_REPOSITORY_TEXTS):
        return 'no_repository'
    if rc == EXIT_WRONG_PASSWORD or _WRONG_PASSWORD_TEXT in stderr:
        return 'wrong_password'
    if rc == EXIT_LOCKED:
        return 'locked'
    return 'failed'


def fatal_lines(stderr, limit=5):
    """The last few non-empty lines of restic's stderr, for an error message."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return '; '.join(lines[-limit:])


def read_env_file(path):
    """KEY=VALUE lines (systemd EnvironmentFile syntax without quoting rules) as a dict."""
    env = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith('#') or '=' not in line:
                continue
            key, value = line.split('=', 1)
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
                value = value[1:-1]
            env[key.strip()] = value
    return env


def parse_time(text):
    """restic's RFC 3339 time with nanoseconds ("2026-01-01T10:00:00.123456789+01:00") as an aware datetime."""
    text = text.replace('Z', '+00:00')
    match = re.match(r'^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:\d{2})$', text)
    if not match:
        raise ValueError('unrecognised restic time %r' % text)
    base, fraction, offset = match.groups()
    micro = (fraction or '.0')[1:7].ljust(6, '0')
    return datetime.datetime.fromisoformat('%s.%s%s' % (base, micro, offset))


def select_snapshot(snapshots, selector):
    """The snapshot named by selector: 'latest', an id or id prefix, or a date/time (the latest at or before it).

    A bare date means the whole day (the latest snapshot taken on or before that day). Dates without a
    zone are UTC. Raises ValueError with a message for the user when nothing matches.
    """
    if not snapshots:
        raise ValueError('the repository holds no snapshot')
    ordered = sorted(snapshots, key=lambda snap: parse_time(snap['time']))
    selector = (selector or 'latest').strip()
    if selector == 'latest':
        return ordered[-1]
    if _SNAPSHOT_ID.match(selector):
        found = [snap for snap in ordered if snap['id'].startswith(selector)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValueError('snapshot id %s is ambiguous (%d snapshots match)' % (selector, len(found)))
    for fmt in _DATE_FORMATS:
        try:
            limit = datetime.datetime.strptime(selector, fmt).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
        if fmt == '%Y-%m-%d':
            limit += datetime.timedelta(days=1) - datetime.timedelta(microseconds=1)
        before = [snap for snap in ordered if parse_time(snap['time']) <= limit]
        if not before:
            raise ValueError('no snapshot taken at or before %s (oldest: %s)' % (selector, ordered[0]['time']))
        return before[-1]
    raise ValueError("snapshot %r is neither 'latest', a snapshot id nor a date (YYYY-MM-DD [HH:MM[:SS]])" % selector)


class Restic(object):
    """One repository. run_command is AnsibleModule.run_command (or a fake with its signature)."""

    def __init__(self, run_command, repository, password_file, env=None, binary='restic'):
        self._run_command = run_command
        self.binary = binary
        self.env = dict(env or {})
        self.env.update(RESTIC_REPOSITORY=repository, RESTIC_PASSWORD_FILE=password_file)
        # A password from the caller's environment must never win over the file.
        self.env.update(RESTIC_PASSWORD='', RESTIC_PASSWORD_COMMAND='')

    def run(self, *args):
        """Runs restic; returns stdout, raises ResticError on failure."""
        rc, out, err = self._run_command([self.binary, '--no-cache'] + list(args), environ_update=self.env, check_rc=False)
        if rc != 0:
            raise ResticError(classify(rc, err), fatal_lines(err) or 'restic %s exited %d' % (args[0], rc))
        return out

    def run_json(self, *args):
        return json.loads(self.run('--json', *args))

    def config(self):
        """The repository's config (id, version); raises ResticError(no_repository) when there is none."""
        return json.loads(self.run('cat', 'config'))

    def init(self):
        self.run('init')

    def snapshots(self):
        return self.run_json('snapshots') or []

    def check(self, read_data_subset=''):
        args = ['check']
        if read_data_subset:
            args.append('--read-data-subset=%s' % read_data_subset)
        return self.run(*args)
