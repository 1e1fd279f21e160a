# Managed by Ansible (pacsops.server.backup); local changes are overwritten.
"""pacsops-backup backup|forget|check, or pacsops-backup restic REPOSITORY ARGS...: what the backup units run.

backup: starts the MariaDB dump unit (a consistent dump first), takes a consistent copy of each
        SQLite database (Orthanc's index; its unit stopped for the copy) with SQLite's backup API, records which dump files this
        run wrote, every table's row count and the SQLite copies in a manifest, backs the configured
        paths up to every repository with restic (the live SQLite files excluded: a file copy of a
        database being written can be torn, or miss what sits in its -wal), then applies the
        retention policy (forget --prune).
forget: applies the retention policy only.
check:  restic check on every repository.
restic: runs restic on the named repository (local, s3) with its settings, for restore.yml and operators.

Settings come from /etc/pacsops/backup/config.json (written by the role). The result of each action
is written to the status file as JSON ({"backup": {...}, "check": {...}}) that monitoring and the
readiness report read. Any failure exits non-zero, so the systemd unit ends "failed".
The repository password stays in its file (RESTIC_PASSWORD_FILE); it is never printed.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

CONFIG = os.environ.get('PACSOPS_BACKUP_CONFIG', '/etc/pacsops/backup/config.json')


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def read_env_file(path):
    env = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith('#') and '=' in line:
                key, value = line.split('=', 1)
                env[key.strip()] = value.strip()
    return env


def restic(config, repo, *args):
    """Runs restic on one repository; returns the finished process (stdout captured, stderr passed on)."""
    env = dict(os.environ, RESTIC_REPOSITORY=repo['repository'], RESTIC_PASSWORD_FILE=config['password_file'])
    env.pop('RESTIC_PASSWORD', None)
    if repo.get('env_file'):
        env.update(read_env_file(repo['env_file']))
    # A local repository is as fast as a cache; a cache also kept a damaged index after the repository
    # was repaired (restic 0.14). Remote repositories keep the cache (RESTIC_CACHE_DIR of the unit).
    cache = ['--no-cache'] if repo['repository'].startswith('/') else []
    proc = subprocess.run([config['restic'], *cache, *args], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, check=False)
    sys.stderr.write(proc.stderr)
    return proc


def error_of(proc):
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    return '; '.join(lines[-3:]) or 'restic exited %d' % proc.returncode


def dump_databases(config, started):
    """Runs the dump unit; returns the manifest of this run's dump files and row counts."""
    unit = config.get('dump_unit')
    if not unit:
        return {'databases': {}}
    proc = subprocess.run(['systemctl', 'start', unit], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError('dump unit %s failed: %s' % (unit, proc.stdout.strip()))
    databases = {}
    for name in sorted(os.listdir(config['dump_dir'])):
        path = os.path.join(config['dump_dir'], name)
        # the mariadb role names its dumps <database>_<YYYYmmddTHHMMSS>.sql.gz
        if not name.endswith('.sql.gz') or os.path.getmtime(path) < started:
            continue
        database = name[:-len('.sql.gz')].rsplit('_', 1)[0]
        databases[database] = {'file': path, 'tables': []}
    if databases:
        count_rows(config, databases)
    return {'databases': databases}


def count_rows(config, databases):
    """Row counts per table, right after the dump (quiet nightly window), for the restore's verification."""
    import pymysql  # python3-pymysql, installed by the mariadb role
    connection = pymysql.connect(unix_socket=config['mariadb_socket'], user='root')
    try:
        with connection.cursor() as cursor:
            for database, entry in databases.items():
                cursor.execute("SELECT table_name FROM information_schema.tables "
                               "WHERE table_schema = %s AND table_type = 'BASE TABLE'", (database,))
                for (table,) in cursor.fetchall():
                    cursor.execute('SELECT COUNT(*) FROM `%s`.`%s`' % (database.replace('`', '``'), table.replace('`', '``')))
                    entry['tables'].append({'name': table, 'rows': cursor.fetchone()[0]})
    finally:
        connection.close()


# Files next to an SQLite database that belong to it (rollback journal, write-ahead log, its index).
SQLITE_COMPANIONS = ('', '-journal', '-wal', '-shm')


def systemctl(*args):
    proc = subprocess.run(['systemctl', *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    return proc.returncode, proc.stdout.strip()


def copy_sqlite_databases(config):
    """Copies each SQLite database with SQLite's backup API into the state directory, which is backed up;
    returns {path: {file, owner, group, mode}} for the manifest (restore.yml puts each copy back with the
    owner and mode of the original).

    Orthanc keeps its index open in exclusive locking mode with a write-ahead log: no other process can read
    it while Orthanc runs, and a file copy of index and index-wal taken while it writes can be torn. So the
    units that hold the databases (sqlite_stop_units) are stopped for the copy (seconds) and started again,
    even when the copy fails. Orthanc writes an image's file before the index row that names it and the
    files are backed up after the copy, so every image the copied index names is in the snapshot."""
    paths = [path for path in config.get('sqlite_databases', []) if os.path.exists(path)]
    if not paths:
        return {}
    stopped = []
    try:
        for unit in config.get('sqlite_stop_units', []):
            if systemctl('is-active', '--quiet', unit)[0] == 0:
                code, output = systemctl('stop', unit)
                if code != 0:
                    raise RuntimeError('could not stop %s for the SQLite copy: %s' % (unit, output))
                stopped.append(unit)
        return {path: copy_sqlite(config, path) for path in paths}
    finally:
        for unit in stopped:
            code, output = systemctl('start', unit)
            if code != 0:
                raise RuntimeError('could not start %s again after the SQLite copy: %s' % (unit, output))


def copy_sqlite(config, path):
    directory = os.path.join(config['state_dir'], 'sqlite')
    os.makedirs(directory, mode=0o700, exist_ok=True)
    copy = os.path.join(directory, path.strip('/').replace('/', '_'))
    partial = copy + '.part'
    if os.path.exists(partial):
        os.unlink(partial)
    # Read-only: the backup never creates a -wal or -shm file the service would then not own. A database
    # another process holds locked fails here after the timeout (the backup API itself would wait forever).
    source = sqlite3.connect('file:%s?mode=ro' % path, uri=True, timeout=10)
    target = sqlite3.connect(partial)
    try:
        source.execute('SELECT count(*) FROM sqlite_master').fetchone()
        source.backup(target)
    except sqlite3.Error as error:
        raise RuntimeError('SQLite copy of %s failed: %s' % (path, error)) from error
    finally:
        target.close()
        source.close()
    os.chmod(partial, 0o600)
    os.replace(partial, copy)
    info = os.stat(path)
    return {'file': copy, 'owner': info.st_uid, 'group': info.st_gid, 'mode': '%04o' % (info.st_mode & 0o7777)}


def write_json(path, data):
    os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, 'w') as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write('\n')
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)


def forget(config, repo):
    keep = ['--keep-%s=%d' % (period, int(count)) for period, count in sorted(config['keep'].items()) if int(count) > 0]
    proc = restic(config, repo, 'forget', '--group-by', 'host', '--prune', *keep)
    if proc.returncode != 0:
        raise RuntimeError('forget: ' + error_of(proc))


def backup(config, repo):
    paths = [path for path in config['paths'] if os.path.exists(path)]
    args = ['backup', '--json', '--host', config['host'], '--tag', 'pacsops']
    live_sqlite = [path + suffix for path in config.get('sqlite_databases', []) for suffix in SQLITE_COMPANIONS]
    for pattern in config['excludes'] + live_sqlite:
        args += ['--exclude', pattern]
    proc = restic(config, repo, *args, *paths)
    summary = {}
    for line in proc.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get('message_type') == 'summary':
            summary = message
    # 3 = some files could not be read: the snapshot exists but is incomplete, which is a failure here.
    if proc.returncode != 0 or not summary.get('snapshot_id'):
        raise RuntimeError('backup: ' + error_of(proc))
    return summary


def run_backup(config, result):
    started = time.time()
    try:
        manifest = dump_databases(config, started - 1)
        manifest['sqlite'] = copy_sqlite_databases(config)
    except Exception as error:  # the dump, the row count or a copy failed: no backup without consistent copies
        result['error'] = str(error)
        return False
    manifest.update(created=now(), host=config['host'])
    write_json(config['manifest'], manifest)
    result['databases'] = sorted(manifest['databases'])
    result['missing_paths'] = [path for path in config['paths'] if not os.path.exists(path)]
    ok = True
    for repo in config['repositories']:
        entry = result['repositories'].setdefault(repo['name'], {})
        try:
            summary = backup(config, repo)
            entry.update(ok=True, snapshot_id=summary['snapshot_id'], files=summary.get('total_files_processed'),
                         bytes=summary.get('total_bytes_processed'), added=summary.get('data_added'))
            forget(config, repo)
        except RuntimeError as error:
            entry.update(ok=False, error=str(error))
            ok = False
    return ok


def run_each(config, result, action):
    ok = True
    for repo in config['repositories']:
        entry = result['repositories'].setdefault(repo['name'], {})
        try:
            if action == 'forget':
                forget(config, repo)
            else:
                proc = restic(config, repo, 'check')
                if proc.returncode != 0:
                    raise RuntimeError('check: ' + error_of(proc))
            entry['ok'] = True
        except RuntimeError as error:
            entry.update(ok=False, error=str(error))
            ok = False
    return ok


def exec_restic(config, name, args):
    repos = [repo for repo in config['repositories'] if repo['name'] == name]
    if not repos:
        sys.stderr.write('no repository %r; configured: %s\n' % (name, ', '.join(r['name'] for r in config['repositories'])))
        return 2
    proc = restic(config, repos[0], *args)
    sys.stdout.write(proc.stdout)
    return proc.returncode


def main(argv):
    with open(CONFIG) as handle:
        config = json.load(handle)
    if len(argv) >= 3 and argv[1] == 'restic':
        return exec_restic(config, argv[2], argv[3:])
    if len(argv) != 2 or argv[1] not in ('backup', 'forget', 'check'):
        sys.stderr.write('usage: pacsops-backup backup|forget|check | pacsops-backup restic REPOSITORY ARGS...\n')
        return 2
    action = argv[1]
    result = {'started': now(), 'repositories': {}}
    ok = run_backup(config, result) if action == 'backup' else run_each(config, result, action)
    result.update(ok=ok, finished=now())
    try:
        with open(config['status_file']) as handle:
            status = json.load(handle)
    except (OSError, ValueError):
        status = {}
    previous = status.get(action, {})
    result['last_success'] = result['finished'] if ok else previous.get('last_success')
    status[action] = result
    write_json(config['status_file'], status)
    print(json.dumps({action: result}, sort_keys=True))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
