# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mariadb_accounts against a fake PyMySQL connection: an in-memory server that answers the module's
reads from its tables and applies its statements to them, so a second run proves idempotence."""

from __future__ import annotations

import json
import re
import sys
import types

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.pacsops.server.plugins.module_utils import mariadb_accounts as ma

USER_COLUMNS = ['Select_priv', 'Insert_priv', 'Update_priv', 'Delete_priv', 'Create_priv', 'Drop_priv', 'Reload_priv',
                'Grant_priv', 'Super_priv', 'Show_db_priv', 'Create_tmp_table_priv', 'Repl_client_priv']
DB_COLUMNS = ['Select_priv', 'Insert_priv', 'Update_priv', 'Delete_priv', 'Create_priv', 'Drop_priv', 'Grant_priv',
              'Create_tmp_table_priv', 'Lock_tables_priv', 'Show_view_priv']
DB_ALL = {'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'SHOW VIEW'}


def column(name):
    """The inverse of privilege_name for the fake's columns."""
    for col in USER_COLUMNS + DB_COLUMNS:
        if ma.privilege_name(col) == name:
            return col
    raise AssertionError('unknown privilege ' + name)


class FakeServer(object):
    """Accounts, grants and schemas of a MariaDB 10.11 just after the Debian package install, plus traps."""

    def __init__(self):
        root = {'plugin': 'mysql_native_password', 'authentication_string': 'invalid',
                'auth_or': [{}, {'plugin': 'unix_socket'}]}
        self.auth = {('root', 'localhost'): json.dumps(root), ('mariadb.sys', 'localhost'): json.dumps({})}
        self.global_privs = {('root', 'localhost'): set(ma.privilege_name(c) for c in USER_COLUMNS)}
        self.db_privs = {}
        self.table_privs = {}
        self.schemas = {'mysql': ('utf8mb4', 'utf8mb4_general_ci', 31),
                        'information_schema': ('utf8mb3', 'utf8mb3_general_ci', 79)}
        self.test_rows = 0
        self.executed = []

    def user_row(self, key):
        row = {'User': key[0], 'Host': key[1]}
        row.update((c, 'Y' if ma.privilege_name(c) in self.global_privs.get(key, set()) else 'N') for c in USER_COLUMNS)
        return row

    def query(self, sql, args):
        """Answer a read: (rows, column names)."""
        if sql.startswith('SELECT User, Host, Priv FROM mysql.global_priv'):
            return [{'User': u, 'Host': h, 'Priv': p} for (u, h), p in sorted(self.auth.items())], None
        if sql == 'SELECT * FROM mysql.user':
            return [self.user_row(key) for key in sorted(self.auth)], ['Host', 'User'] + USER_COLUMNS
        if sql == 'SELECT * FROM mysql.db':
            rows = []
            for (user, host, db), privs in sorted(self.db_privs.items()):
                row = {'User': user, 'Host': host, 'Db': db}
                row.update((c, 'Y' if ma.privilege_name(c) in privs else 'N') for c in DB_COLUMNS)
                rows.append(row)
            return rows, ['Host', 'Db', 'User'] + DB_COLUMNS
        if sql.startswith('SELECT User, Host, Db, Table_name, Table_priv'):
            return [{'User': u, 'Host': h, 'Db': d, 'Table_name': t, 'Table_priv': p}
                    for (u, h, d, t), p in sorted(self.table_privs.items())], None
        if 'information_schema.SCHEMATA' in sql:
            return [{'name': n, 'charset': c, 'collation': co, 'tables': t}
                    for n, (c, co, t) in sorted(self.schemas.items())], None
        if sql.startswith('SELECT COUNT(*) AS n FROM mysql.db'):
            return [{'n': self.test_rows}], None
        raise AssertionError('unexpected read: ' + sql)

    def execute(self, sql, args):
        """Apply a change the way MariaDB would, as far as the module can see it."""
        self.executed.append((sql, args))
        m = re.match(r'(CREATE|ALTER) USER %s@%s IDENTIFIED VIA mysql_native_password USING %s$', sql)
        if m:
            self.auth[args[:2]] = json.dumps({'plugin': 'mysql_native_password', 'authentication_string': args[2]})
            return
        if sql.startswith("ALTER USER 'root'@'localhost'"):
            self.auth[('root', 'localhost')] = json.dumps(
                {'plugin': 'mysql_native_password', 'authentication_string': args[0], 'auth_or': [{}, {'plugin': 'unix_socket'}]})
            return
        if sql == 'DROP USER %s@%s':
            self.auth.pop(args)
            return
        m = re.match(r'(GRANT|REVOKE) (.*) ON (\S+) (TO|FROM) %s@%s( WITH GRANT OPTION)?$', sql)
        if m:
            names = set(name.strip() for name in m.group(2).split(',')) - {'USAGE'}
            if m.group(5):
                names.add('GRANT OPTION')
            obj = m.group(3).replace('`', '')
            if obj == '*.*':
                store, key = self.global_privs, args
            else:
                store, key = self.db_privs, args + (obj[:-2],)
            store[key] = (store.get(key, set()) | names) if m.group(1) == 'GRANT' else (store.get(key, set()) - names)
            return
        m = re.match(r'CREATE DATABASE `(\w+)` CHARACTER SET (\w+) COLLATE (\w+)$', sql)
        if m:
            self.schemas[m.group(1)] = (m.group(2), m.group(3), 0)
            return
        m = re.match(r'ALTER DATABASE `(\w+)` CHARACTER SET (\w+) COLLATE (\w+)$', sql)
        if m:
            self.schemas[m.group(1)] = (m.group(2), m.group(3), self.schemas[m.group(1)][2])
            return
        m = re.match(r'DROP DATABASE `(\w+)`$', sql)
        if m:
            self.schemas.pop(m.group(1))
            return
        if sql.startswith('DELETE FROM mysql.db'):
            self.test_rows = 0
            return
        if sql == 'FLUSH PRIVILEGES':
            return
        raise AssertionError('unexpected statement: ' + sql)


class FakeCursor(object):
    def __init__(self, server):
        self.server = server
        self.rows = []
        self.description = None

    def execute(self, sql, args=None):
        if sql.startswith('SELECT'):
            self.rows, columns = self.server.query(sql, args)
            self.description = [(c,) for c in columns] if columns else None
        else:
            self.server.execute(sql, args)

    def fetchall(self):
        return self.rows

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeConnection(object):
    def __init__(self, server):
        self.server = server
        self.closed = False

    def cursor(self):
        return FakeCursor(self.server)

    def close(self):
        self.closed = True


@pytest.fixture
def server(monkeypatch):
    """A fake server and a fake pymysql module that connects to it."""
    fake = FakeServer()
    pymysql = types.ModuleType('pymysql')
    pymysql.MySQLError = type('MySQLError', (Exception,), {})
    pymysql.cursors = types.SimpleNamespace(DictCursor=object)
    pymysql.connect = lambda **kwargs: FakeConnection(fake)
    monkeypatch.setitem(sys.modules, 'pymysql', pymysql)
    monkeypatch.setitem(sys.modules, 'pymysql.cursors', pymysql.cursors)
    from ansible_collections.pacsops.server.plugins.modules import mariadb_accounts as module
    fake.module = module
    return fake


def run(server, capsys, args, check_mode=False, diff=True):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            server.module.main()
    return json.loads(capsys.readouterr().out)


SECRETS = ['Ipacs-Pw-1', 'Report-Pw-2', 'Root-Pw-3']
ARGS = {
    'databases': [{'name': 'public_pacs'}, {'name': 'public_view'}],
    'users': [
        {'name': 'ipacs', 'password': 'Ipacs-Pw-1', 'hosts': ['localhost', '10.0.0.%'],
         'priv': {'public_pacs.*': 'ALL', 'public_view.*': 'ALL'}},
        {'name': 'reporting', 'password': 'Report-Pw-2', 'hosts': ['10.0.0.%'], 'priv': {'public_pacs.*': 'select'}},
    ],
    'root_policy': 'password',
    'root_password': 'Root-Pw-3',
}


def assert_no_secret(result):
    text = json.dumps(result)
    for secret in SECRETS:
        assert secret not in text
        assert ma.native_password_hash(secret) not in text


def test_native_password_hash_matches_mariadb_password_function():
    # SELECT PASSWORD('secret') on MariaDB 10.11.
    assert ma.native_password_hash('secret') == '*14E65567ABDB5135D0CFD9A70B3032C179A49EE7'


def test_parse_privileges_normalises_names_and_usage():
    assert ma.parse_privileges(' select ,Insert,  all privileges') == {'SELECT', 'INSERT', 'ALL'}
    assert ma.parse_privileges('USAGE') == set()


def test_fresh_server_converges_then_second_run_changes_nothing(server, capsys):
    first = run(server, capsys, ARGS)
    assert first['changed'] is True
    assert 'create database public_pacs' in first['actions']
    assert "create user 'ipacs'@'10.0.0.%'" in first['actions']
    assert 'set root@localhost to the password policy' in first['actions']
    assert "grant ALL on public_pacs.* to 'ipacs'@'localhost'" in first['actions']
    assert "grant SELECT on public_pacs.* to 'reporting'@'10.0.0.%'" in first['actions']
    assert server.db_privs[('ipacs', 'localhost', 'public_pacs')] == DB_ALL
    assert server.db_privs[('reporting', '10.0.0.%', 'public_pacs')] == {'SELECT'}
    assert json.loads(server.auth[('root', 'localhost')])['auth_or'][1] == {'plugin': 'unix_socket'}
    assert first['diff']['after']['databases']['public_view'] == {'charset': 'utf8mb4', 'collation': 'utf8mb4_general_ci'}
    assert_no_secret(first)

    server.executed = []
    second = run(server, capsys, ARGS)
    assert second['changed'] is False and second['actions'] == [] and server.executed == []


def test_check_mode_reports_and_executes_nothing(server, capsys):
    result = run(server, capsys, ARGS, check_mode=True)
    assert result['changed'] is True and "create user 'reporting'@'10.0.0.%'" in result['actions']
    assert server.executed == []
    assert ('ipacs', 'localhost') not in server.auth
    assert_no_secret(result)


def test_changed_password_and_extra_privileges_are_corrected(server, capsys):
    run(server, capsys, ARGS)
    # Someone grants more by hand and changes a password.
    server.db_privs[('reporting', '10.0.0.%', 'public_pacs')] |= {'DELETE'}
    server.db_privs[('reporting', '10.0.0.%', 'other')] = {'SELECT'}
    server.auth[('ipacs', 'localhost')] = json.dumps({'plugin': 'mysql_native_password',
                                                      'authentication_string': ma.native_password_hash('guess')})
    result = run(server, capsys, ARGS)
    assert sorted(result['actions']) == sorted([
        "set the password of 'ipacs'@'localhost'",
        "revoke DELETE on public_pacs.* from 'reporting'@'10.0.0.%'",
        "revoke SELECT on other.* from 'reporting'@'10.0.0.%'",
    ])
    assert result['diff']['before']['accounts']["'ipacs'@'localhost'"]['password'] == 'other'
    assert server.db_privs[('reporting', '10.0.0.%', 'public_pacs')] == {'SELECT'}
    assert_no_secret(result)
    assert run(server, capsys, ARGS)['changed'] is False


def test_secure_installation_drops_anonymous_remote_root_and_empty_test(server, capsys):
    server.auth[('', 'localhost')] = '{}'
    server.auth[('root', '%')] = '{}'
    server.schemas['test'] = ('latin1', 'latin1_swedish_ci', 0)
    server.test_rows = 2
    result = run(server, capsys, {'root_policy': 'unix_socket'})
    assert ('', 'localhost') not in server.auth and ('root', '%') not in server.auth
    assert 'test' not in server.schemas and server.test_rows == 0
    assert ('mariadb.sys', 'localhost') in server.auth
    assert result['changed'] is True
    assert run(server, capsys, {'root_policy': 'unix_socket'})['changed'] is False


def test_test_database_with_tables_is_kept_with_a_warning(server, capsys):
    server.schemas['test'] = ('latin1', 'latin1_swedish_ci', 3)
    result = run(server, capsys, {})
    assert 'test' in server.schemas
    assert any('holds tables' in note for note in result['left_alone'])


def test_unix_socket_root_policy_keeps_the_package_default(server, capsys):
    assert run(server, capsys, {})['changed'] is False


def test_absent_user_is_dropped_on_every_host_and_extra_host_only_warned(server, capsys):
    for host in ('localhost', '10.1.1.1'):
        server.auth[('old', host)] = '{}'
    server.auth[('ipacs', '%')] = '{}'
    args = dict(ARGS, users=ARGS['users'] + [{'name': 'old', 'state': 'absent'}])
    result = run(server, capsys, args)
    assert ('old', 'localhost') not in server.auth and ('old', '10.1.1.1') not in server.auth
    assert ('ipacs', '%') in server.auth
    assert any("'ipacs'@'%'" in note for note in result['left_alone'])


def test_database_charset_change_and_absent_database(server, capsys):
    server.schemas['public_pacs'] = ('latin1', 'latin1_swedish_ci', 5)
    server.schemas['scratch'] = ('utf8mb4', 'utf8mb4_general_ci', 1)
    args = {'databases': [{'name': 'public_pacs'}, {'name': 'scratch', 'state': 'absent'}]}
    result = run(server, capsys, args)
    assert server.schemas['public_pacs'] == ('utf8mb4', 'utf8mb4_general_ci', 5)
    assert 'scratch' not in server.schemas
    assert result['diff']['before']['databases']['public_pacs'] == {'charset': 'latin1', 'collation': 'latin1_swedish_ci'}


def test_global_all_and_grant_option(server, capsys):
    args = {'users': [{'name': 'admin', 'password': 'x', 'priv': {'*.*': 'ALL,GRANT OPTION'}}]}
    run(server, capsys, args)
    assert server.global_privs[('admin', 'localhost')] == set(ma.privilege_name(c) for c in USER_COLUMNS)
    assert run(server, capsys, args)['changed'] is False


def test_reserved_user_and_system_database_are_refused(server, capsys):
    result = run(server, capsys, {'users': [{'name': 'root', 'password': 'x'}], 'databases': [{'name': 'mysql'}]})
    assert result['failed'] is True and "'root'" in result['msg'] and "'mysql'" in result['msg']


def test_failed_statement_names_the_action_never_the_sql(server, capsys, monkeypatch):
    def refuse(sql, args):
        raise sys.modules['pymysql'].MySQLError('denied')
    monkeypatch.setattr(server, 'execute', refuse)
    result = run(server, capsys, ARGS)
    assert result['failed'] is True and result['msg'].startswith('failed to create database public_pacs')
    assert_no_secret(result)
