# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/backup/files/pacsops-backup.py against a fake restic and a fake systemctl: status file,
exit code, retention arguments, dump-first, password never on the command line."""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[2] / 'roles' / 'backup' / 'files' / 'pacsops-backup.py'

FAKE_RESTIC = """#!/bin/sh
echo "$*" >> "$FAKE_LOG"
echo "PASSWORD_FILE=$RESTIC_PASSWORD_FILE KEY=$AWS_ACCESS_KEY_ID" >> "$FAKE_LOG"
if [ -n "$FAKE_FAIL" ]; then echo "Fatal: wrong password or no key found" >&2; exit 1; fi
case "$*" in
  *backup*) echo '{"message_type":"status","percent_done":1}'
            echo '{"message_type":"summary","snapshot_id":"abcd1234","total_files_processed":3,"total_bytes_processed":42,"data_added":7}' ;;
esac
"""


def _script(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def runner(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location('pacsops_backup', RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    _script(bin_dir / 'systemctl', '#!/bin/sh\necho "systemctl $*" >> "$FAKE_LOG"\n[ -z "$FAKE_DUMP_FAIL" ] || exit 1\n'
                                   'touch "$FAKE_DUMP_DIR/public_pacs_20260101T010000.sql.gz"\n')
    (tmp_path / 'dumps').mkdir()
    (tmp_path / 'data').mkdir()
    (tmp_path / 's3.env').write_text('AWS_ACCESS_KEY_ID=AKIAFAKE\n')
    config = {
        'restic': _script(tmp_path / 'restic', FAKE_RESTIC), 'host': 'h1', 'password_file': str(tmp_path / 'pw'),
        'repositories': [{'name': 'local', 'repository': str(tmp_path / 'repo'), 'env_file': None},
                         {'name': 's3', 'repository': 's3:http://127.0.0.1:9/b/p', 'env_file': str(tmp_path / 's3.env')}],
        'paths': [str(tmp_path / 'data'), str(tmp_path / 'missing')], 'excludes': ['*.part'],
        'keep': {'daily': 30, 'weekly': '4', 'monthly': 0}, 'dump_unit': '', 'dump_dir': str(tmp_path / 'dumps'),
        'mariadb_socket': '', 'manifest': str(tmp_path / 'state' / 'manifest.json'),
        'status_file': str(tmp_path / 'status.json'), 'writer_services': [], 'state_dir': str(tmp_path / 'state'),
    }
    (tmp_path / 'config.json').write_text(json.dumps(config))
    monkeypatch.setattr(module, 'CONFIG', str(tmp_path / 'config.json'))
    monkeypatch.setenv('PATH', '%s:%s' % (bin_dir, os.environ['PATH']))
    monkeypatch.setenv('FAKE_LOG', str(tmp_path / 'log'))
    monkeypatch.setenv('FAKE_DUMP_DIR', str(tmp_path / 'dumps'))
    monkeypatch.setenv('RESTIC_PASSWORD', 'from-the-environment')
    module.tmp = tmp_path
    module.config = config
    return module


def _status(runner):
    return json.loads((runner.tmp / 'status.json').read_text())


def _log(runner):
    return (runner.tmp / 'log').read_text()


def test_backup_writes_snapshot_ids_and_applies_retention(runner):
    assert runner.main(['pacsops-backup', 'backup']) == 0
    status = _status(runner)['backup']
    assert status['ok'] is True and status['last_success'] == status['finished']
    assert status['repositories']['s3']['snapshot_id'] == 'abcd1234'
    assert status['missing_paths'] == [str(runner.tmp / 'missing')]
    log = _log(runner)
    # the missing path is left out, the excludes and the host are passed, local runs without a cache
    assert '--no-cache backup --json --host h1 --tag pacsops --exclude *.part %s\n' % (runner.tmp / 'data') in log
    assert 'forget --group-by host --prune --keep-daily=30 --keep-weekly=4\n' in log
    assert 'KEY=AKIAFAKE' in log and 'from-the-environment' not in log
    assert 'PASSWORD_FILE=%s' % (runner.tmp / 'pw') in log


def test_failure_exits_non_zero_and_keeps_last_success(runner, monkeypatch):
    assert runner.main(['pacsops-backup', 'backup']) == 0
    good = _status(runner)['backup']['last_success']
    monkeypatch.setenv('FAKE_FAIL', '1')
    assert runner.main(['pacsops-backup', 'backup']) == 1
    status = _status(runner)['backup']
    assert status['ok'] is False and status['last_success'] == good
    assert 'wrong password' in status['repositories']['local']['error']


def test_dump_runs_first_and_a_failed_dump_stops_the_backup(runner, monkeypatch):
    runner.config['dump_unit'] = 'pacsops-mariadb-dump.service'
    (runner.tmp / 'config.json').write_text(json.dumps(runner.config))
    monkeypatch.setattr(runner, 'count_rows', lambda config, databases: None)
    assert runner.main(['pacsops-backup', 'backup']) == 0
    log = _log(runner)
    assert log.index('systemctl start pacsops-mariadb-dump.service') < log.index('backup --json')
    manifest = json.loads((runner.tmp / 'state' / 'manifest.json').read_text())
    assert list(manifest['databases']) == ['public_pacs']

    (runner.tmp / 'log').write_text('')
    monkeypatch.setenv('FAKE_DUMP_FAIL', '1')
    assert runner.main(['pacsops-backup', 'backup']) == 1
    assert 'backup --json' not in _log(runner)
    assert 'dump unit pacsops-mariadb-dump.service failed' in _status(runner)['backup']['error']


def test_sqlite_index_is_copied_online_and_the_live_file_left_out(runner):
    live = runner.tmp / 'data' / 'index'
    writer = sqlite3.connect(str(live))
    writer.execute('PRAGMA journal_mode=WAL')
    writer.execute('CREATE TABLE studies (uid TEXT)')
    writer.execute("INSERT INTO studies VALUES ('1.2.3')")
    writer.commit()
    # A transaction in progress: the copy holds what was committed, not this row.
    writer.execute("INSERT INTO studies VALUES ('uncommitted')")
    live.chmod(0o640)
    runner.config['sqlite_databases'] = [str(live), str(runner.tmp / 'no-such-index')]
    runner.config['sqlite_stop_units'] = ['orthanc.service']
    (runner.tmp / 'config.json').write_text(json.dumps(runner.config))

    assert runner.main(['pacsops-backup', 'backup']) == 0
    writer.rollback()
    manifest = json.loads((runner.tmp / 'state' / 'manifest.json').read_text())
    entry = manifest['sqlite'][str(live)]
    assert list(manifest['sqlite']) == [str(live)]
    assert entry['mode'] == '0640' and entry['owner'] == os.getuid()
    copy = sqlite3.connect(entry['file'])
    assert copy.execute('SELECT uid FROM studies').fetchall() == [('1.2.3',)]
    assert copy.execute('PRAGMA integrity_check').fetchone() == ('ok',)
    assert oct(os.stat(entry['file']).st_mode & 0o777) == '0o600'
    log = _log(runner)
    for suffix in ('', '-journal', '-wal', '-shm'):
        assert '--exclude %s%s ' % (live, suffix) in log
    # the unit holding the index is stopped for the copy only: started again before restic reads the files
    assert log.index('systemctl stop orthanc.service') < log.index('systemctl start orthanc.service') < log.index('backup --json')


def test_an_unreadable_sqlite_database_stops_the_backup_and_restarts_the_unit(runner):
    (runner.tmp / 'data' / 'index').write_text('not a database')
    runner.config['sqlite_databases'] = [str(runner.tmp / 'data' / 'index')]
    runner.config['sqlite_stop_units'] = ['orthanc.service']
    (runner.tmp / 'config.json').write_text(json.dumps(runner.config))
    assert runner.main(['pacsops-backup', 'backup']) == 1
    log = _log(runner)
    assert 'backup --json' not in log, 'restic ran without a consistent copy of the index'
    assert 'systemctl start orthanc.service' in log
    assert 'SQLite copy of %s failed' % (runner.tmp / 'data' / 'index') in _status(runner)['backup']['error']


def test_a_database_locked_by_its_service_fails_instead_of_waiting(runner, monkeypatch):
    live = runner.tmp / 'data' / 'index'
    holder = sqlite3.connect(str(live))
    holder.execute('PRAGMA locking_mode=EXCLUSIVE')
    holder.execute('CREATE TABLE t (x)')
    holder.commit()
    monkeypatch.setattr(runner.sqlite3, 'connect', _short_timeout(runner.sqlite3.connect))
    runner.config['sqlite_databases'] = [str(live)]
    (runner.tmp / 'config.json').write_text(json.dumps(runner.config))
    assert runner.main(['pacsops-backup', 'backup']) == 1
    assert 'database is locked' in _status(runner)['backup']['error']
    holder.close()


def _short_timeout(connect):
    def wrapped(*args, **kwargs):
        kwargs['timeout'] = 0.2
        return connect(*args, **kwargs)
    return wrapped


def test_restic_passthrough_uses_the_named_repository(runner, capsys):
    assert runner.main(['pacsops-backup', 'restic', 's3', 'snapshots', '--json']) == 0
    assert 'KEY=AKIAFAKE' in _log(runner)
    assert runner.main(['pacsops-backup', 'restic', 'nope', 'snapshots']) == 2
