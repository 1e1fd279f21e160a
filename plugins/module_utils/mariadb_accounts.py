# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read MariaDB's accounts, privileges and databases, plan the difference to a declaration, apply it.

Three plain steps so the planning can be tested without a server:
``read_state(cursor)`` -> state dict, ``plan(state, desired)`` -> Plan whose statements the module executes.
Passwords are compared through their mysql_native_password hash computed here; neither a password
nor a hash ever goes into the plan's diff or messages (the hash travels only in ``Statement.args``).
"""

from __future__ import annotations

import hashlib
import json

# Schemas the role never creates, drops or alters.
SYSTEM_DATABASES = frozenset(['information_schema', 'mysql', 'performance_schema', 'sys'])
# Accounts never managed as application users (root has its own policy).
RESERVED_USERS = frozenset(['root', 'mysql', 'mariadb.sys', 'debian-sys-maint'])
# mysql_secure_installation's wildcard grant rows on the test databases (a LIKE pattern).
TEST_DATABASES = ('test', 'test\\_%')
# The stored authentication string of "no password can match" (what the unix_socket policy keeps).
INVALID_PASSWORD = 'invalid'
NATIVE = 'mysql_native_password'

# Privilege columns whose names are not "<words>_priv" -> "<WORDS>".
_COLUMN_NAMES = {
    'Create_tmp_table_priv': 'CREATE TEMPORARY TABLES',
    'Show_db_priv': 'SHOW DATABASES',
    'Repl_slave_priv': 'REPLICATION SLAVE',
    'Repl_client_priv': 'BINLOG MONITOR',
    'Grant_priv': 'GRANT OPTION',
}
# Synonyms a declaration may use.
_SYNONYMS = {'ALL PRIVILEGES': 'ALL', 'REPLICATION CLIENT': 'BINLOG MONITOR'}
GRANT_OPTION = 'GRANT OPTION'
# What ALL means on one table (mysql.tables_priv has a SET column, not one column per privilege).
TABLE_PRIVILEGES = frozenset(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'REFERENCES', 'INDEX', 'ALTER',
                              'CREATE VIEW', 'SHOW VIEW', 'TRIGGER', 'DELETE HISTORY', GRANT_OPTION])
# mysql.tables_priv's SET values that are not the privilege's SQL name.
_TABLE_PRIV_NAMES = {'Grant': GRANT_OPTION, 'Delete versioning rows': 'DELETE HISTORY'}


def native_password_hash(password):
    """mysql_native_password's stored form: '*' + upper hex SHA1(SHA1(password))."""
    return '*' + hashlib.sha1(hashlib.sha1(password.encode('utf-8')).digest()).hexdigest().upper()


def privilege_name(column):
    """'Select_priv' -> 'SELECT', 'Create_tmp_table_priv' -> 'CREATE TEMPORARY TABLES'."""
    if column in _COLUMN_NAMES:
        return _COLUMN_NAMES[column]
    return column[:-len('_priv')].replace('_', ' ').upper()


def parse_privileges(text):
    """'select, Insert' -> {'SELECT', 'INSERT'}; 'USAGE' and '' -> empty set; ALL kept as 'ALL'."""
    names = set()
    for part in str(text).split(','):
        name = ' '.join(part.split()).upper()
        name = _SYNONYMS.get(name, name)
        if name and name != 'USAGE':
            names.add(name)
    return names


def quote_identifier(name):
    return '`' + name.replace('`', '``') + '`'


def object_sql(obj):
    """'db.*' -> '`db`.*', '*.*' -> '*.*', 'db.t' -> '`db`.`t`'."""
    db, table = obj.split('.', 1)
    parts = [part if part == '*' else quote_identifier(part) for part in (db, table)]
    return '.'.join(parts)


class Statement(object):
    """One SQL statement with its arguments, and a description that never holds a secret."""

    def __init__(self, sql, args=None, description=''):
        self.sql = sql
        self.args = args
        self.description = description

    def __repr__(self):
        return 'Statement(%r)' % self.description


class Plan(object):
    def __init__(self):
        self.statements = []
        self.warnings = []
        self.before = {}
        self.after = {}

    @property
    def changed(self):
        return bool(self.statements)

    @property
    def actions(self):
        return [statement.description for statement in self.statements]

    def add(self, sql, args, description):
        self.statements.append(Statement(sql, args, description))


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------

def _rows(cursor, sql, args=None):
    cursor.execute(sql, args)
    return list(cursor.fetchall())


def _privilege_table(cursor, sql):
    """Rows of mysql.user or mysql.db, each with the set of its privilege columns set to 'Y', and the
    privileges the level has at all (from the column names, so also when the table has no row)."""
    rows = _rows(cursor, sql)
    columns = [column[0] for column in cursor.description or []]
    available = set(privilege_name(column) for column in columns if column.endswith('_priv'))
    return [(row, set(privilege_name(column) for column in columns
                      if column.endswith('_priv') and row.get(column) == 'Y')) for row in rows], available


def _authentication(priv_json):
    """mysql.global_priv's JSON -> [(plugin, authentication_string), ...] in the order tried."""
    priv = json.loads(priv_json or '{}')
    methods = priv.get('auth_or') or [{}]
    out = []
    for method in methods:
        if not method:
            method = {'plugin': priv.get('plugin', ''), 'authentication_string': priv.get('authentication_string', '')}
        out.append((method.get('plugin', ''), method.get('authentication_string', '')))
    return out


def read_state(cursor):
    """Everything the plan compares, read over one connection with a dict cursor.

    Returns {'accounts': {(user, host): {'auth': [(plugin, string)], 'privileges': {obj: set}}},
             'levels': {'global': set, 'database': set}, 'databases': {name: {charset, collation, tables}},
             'test_grants': int}.
    """
    accounts = {}
    for row in _rows(cursor, 'SELECT User, Host, Priv FROM mysql.global_priv'):
        accounts[(row['User'], row['Host'])] = {'auth': _authentication(row['Priv']), 'privileges': {}}
    levels = {'table': set(TABLE_PRIVILEGES)}
    rows, levels['global'] = _privilege_table(cursor, 'SELECT * FROM mysql.user')
    for row, granted in rows:
        account = accounts.get((row['User'], row['Host']))
        if account is not None and granted:
            account['privileges']['*.*'] = granted
    rows, levels['database'] = _privilege_table(cursor, 'SELECT * FROM mysql.db')
    for row, granted in rows:
        account = accounts.get((row['User'], row['Host']))
        if account is not None and granted:
            account['privileges'][row['Db'] + '.*'] = granted
    for row in _rows(cursor, 'SELECT User, Host, Db, Table_name, Table_priv FROM mysql.tables_priv'):
        account = accounts.get((row['User'], row['Host']))
        values = row['Table_priv'] if isinstance(row['Table_priv'], (set, list, tuple)) else row['Table_priv'].split(',')
        granted = parse_privileges(','.join(_TABLE_PRIV_NAMES.get(value, value) for value in values if value))
        if account is not None and granted:
            account['privileges']['%s.%s' % (row['Db'], row['Table_name'])] = granted
    databases = {}
    for row in _rows(cursor, 'SELECT s.SCHEMA_NAME AS name, s.DEFAULT_CHARACTER_SET_NAME AS charset,'
                             ' s.DEFAULT_COLLATION_NAME AS collation, COUNT(t.TABLE_NAME) AS tables'
                             ' FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t'
                             ' ON t.TABLE_SCHEMA = s.SCHEMA_NAME GROUP BY s.SCHEMA_NAME,'
                             ' s.DEFAULT_CHARACTER_SET_NAME, s.DEFAULT_COLLATION_NAME'):
        databases[row['name']] = {'charset': row['charset'], 'collation': row['collation'],
                                  'tables': int(row['tables'])}
    test_grants = _rows(cursor, 'SELECT COUNT(*) AS n FROM mysql.db WHERE Db IN (%s, %s)', TEST_DATABASES)
    return {'accounts': accounts, 'levels': levels, 'databases': databases,
            'test_grants': int(test_grants[0]['n'])}


# ---------------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------------

def _level(obj):
    if obj == '*.*':
        return 'global'
    return 'database' if obj.endswith('.*') else 'table'


def desired_privileges(priv, levels):
    """{'db.*': 'ALL', 'x.*': 'SELECT'} -> {'db.*': {every database privilege but GRANT OPTION}, ...}."""
    out = {}
    for obj, text in (priv or {}).items():
        names = parse_privileges(text)
        if 'ALL' in names:
            names.discard('ALL')
            names |= levels.get(_level(obj), set()) - {GRANT_OPTION}
        if names:
            out[obj] = names
    return out


def _account(user, host):
    return "'%s'@'%s'" % (user, host)


def _plan_privileges(plan, user, host, current, wanted, levels):
    for obj in sorted(set(current) | set(wanted)):
        have, want = current.get(obj, set()), wanted.get(obj, set())
        revoke, grant = sorted(have - want), sorted(want - have)
        if revoke:
            plan.add('REVOKE %s ON %s FROM %%s@%%s' % (', '.join(revoke), object_sql(obj)), (user, host),
                     'revoke %s on %s from %s' % (', '.join(revoke), obj, _account(user, host)))
        if grant:
            plain = ', '.join(name for name in grant if name != GRANT_OPTION) or 'USAGE'
            option = ' WITH GRANT OPTION' if GRANT_OPTION in grant else ''
            # The description says ALL for the whole level, so the log stays readable.
            shown = 'ALL' if set(grant) == levels.get(_level(obj), set()) - {GRANT_OPTION} else ', '.join(grant)
            plan.add('GRANT %s ON %s TO %%s@%%s%s' % (plain, object_sql(obj), option), (user, host),
                     'grant %s on %s to %s' % (shown, obj, _account(user, host)))


def _show_privileges(privileges):
    return {obj: ','.join(sorted(names)) for obj, names in sorted(privileges.items())}


def _plan_users(plan, state, users):
    accounts = state['accounts']
    for user in users:
        name = user['name']
        if user.get('state', 'present') == 'absent':
            for (account_user, host) in sorted(accounts):
                if account_user == name:
                    plan.before['accounts'][_account(name, host)] = 'present'
                    plan.after['accounts'][_account(name, host)] = 'absent'
                    plan.add('DROP USER %s@%s', (name, host), 'drop user ' + _account(name, host))
            continue
        wanted = desired_privileges(user.get('priv'), state['levels'])
        password_hash = native_password_hash(user['password'])
        for host in user['hosts']:
            key = _account(name, host)
            current = accounts.get((name, host))
            if current is None:
                plan.before['accounts'][key] = 'absent'
                plan.after['accounts'][key] = {'privileges': _show_privileges(wanted)}
                plan.add('CREATE USER %s@%s IDENTIFIED VIA mysql_native_password USING %s',
                         (name, host, password_hash), 'create user ' + key)
                _plan_privileges(plan, name, host, {}, wanted, state['levels'])
                continue
            before = {'privileges': _show_privileges(current['privileges'])}
            after = {'privileges': _show_privileges(wanted)}
            if current['auth'] != [(NATIVE, password_hash)]:
                # Only a marker: the diff never shows a password or a hash.
                before['password'], after['password'] = 'other', 'declared'
                plan.add('ALTER USER %s@%s IDENTIFIED VIA mysql_native_password USING %s',
                         (name, host, password_hash), 'set the password of ' + key)
            _plan_privileges(plan, name, host, current['privileges'], wanted, state['levels'])
            if before != after:
                plan.before['accounts'][key], plan.after['accounts'][key] = before, after
        for (account_user, host) in sorted(accounts):
            if account_user == name and host not in user['hosts']:
                plan.warnings.append('%s exists but is not in the hosts of %s; declare it with state: absent to remove it'
                                     % (_account(name, host), name))


def _plan_root(plan, state, root_policy, root_password):
    root = state['accounts'].get(('root', 'localhost'))
    if root is None:
        plan.warnings.append("root@localhost does not exist; the root policy was not applied")
        return
    # 000: root without a password, or with one; unix_socket always stays, Debian's maintenance
    # (debian-start, logrotate) logs in as root through the socket.
    wanted_string = native_password_hash(root_password) if root_policy == 'password' else INVALID_PASSWORD
    methods = root['auth']
    passwords = [method for method in methods if method[0] != 'unix_socket']
    if (len([method for method in methods if method[0] == 'unix_socket']) == 1 and passwords == [(NATIVE, wanted_string)]):
        return
    plan.before['root'] = {'policy': 'other'}
    plan.after['root'] = {'policy': root_policy}
    plan.add("ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING %s OR unix_socket",
             (wanted_string,), 'set root@localhost to the %s policy' % root_policy)


def _plan_databases(plan, state, databases):
    current = state['databases']
    for db in databases:
        name = db['name']
        if db.get('state', 'present') == 'absent':
            if name in current:
                plan.before['databases'][name] = 'present'
                plan.after['databases'][name] = 'absent'
                plan.add('DROP DATABASE %s' % quote_identifier(name), None, 'drop database ' + name)
            continue
        wanted = {'charset': db['encoding'], 'collation': db['collation']}
        have = current.get(name)
        if have is None:
            plan.before['databases'][name] = 'absent'
            plan.after['databases'][name] = wanted
            plan.add('CREATE DATABASE %s CHARACTER SET %s COLLATE %s'
                     % (quote_identifier(name), db['encoding'], db['collation']), None, 'create database ' + name)
        elif (have['charset'], have['collation']) != (wanted['charset'], wanted['collation']):
            # Only the default for new tables changes; existing tables and their data are not converted.
            plan.before['databases'][name] = {'charset': have['charset'], 'collation': have['collation']}
            plan.after['databases'][name] = wanted
            plan.add('ALTER DATABASE %s CHARACTER SET %s COLLATE %s'
                     % (quote_identifier(name), db['encoding'], db['collation']), None,
                     'set the default character set of database %s' % name)


def _plan_secure_installation(plan, state, databases):
    # mysql_secure_installation: no anonymous accounts, root only on localhost, no test database.
    for (user, host) in sorted(state['accounts']):
        if user == '' or (user == 'root' and host != 'localhost'):
            plan.before['accounts'][_account(user, host)] = 'present'
            plan.after['accounts'][_account(user, host)] = 'absent'
            plan.add('DROP USER %s@%s', (user, host), 'drop user ' + _account(user, host))
    declared = set(db['name'] for db in databases)
    test = state['databases'].get('test')
    if test is not None and 'test' not in declared:
        if test['tables'] == 0:
            plan.before['databases']['test'] = 'present'
            plan.after['databases']['test'] = 'absent'
            plan.add('DROP DATABASE `test`', None, 'drop the empty test database')
        else:
            plan.warnings.append('the test database holds tables; it is kept, drop it by hand once its data is safe')
    if state['test_grants'] > 0:
        plan.add('DELETE FROM mysql.db WHERE Db IN (%s, %s)', TEST_DATABASES, 'remove the wildcard grants on test databases')
        plan.add('FLUSH PRIVILEGES', None, 'reload the grant tables')


def plan(state, users=(), databases=(), root_policy='unix_socket', root_password='', secure_installation=True):
    """The statements that turn ``state`` into the declaration, in a safe order, with a secret-free diff."""
    result = Plan()
    result.before = {'accounts': {}, 'databases': {}}
    result.after = {'accounts': {}, 'databases': {}}
    _plan_databases(result, state, databases)
    _plan_users(result, state, users)
    _plan_root(result, state, root_policy, root_password)
    if secure_installation:
        _plan_secure_installation(result, state, databases)
    return result


# The module's options, shared by the module and its action plugin (which validates them on the controller).
ARGUMENT_SPEC = dict(
    login_unix_socket=dict(type='path', default='/run/mysqld/mysqld.sock'),
    login_user=dict(type='str', default='root'),
    login_password=dict(type='str', default='', no_log=True),
    databases=dict(type='list', elements='dict', default=[], options=dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        encoding=dict(type='str', default='utf8mb4'),
        collation=dict(type='str', default='utf8mb4_general_ci'),
    )),
    users=dict(type='list', elements='dict', default=[], options=dict(
        name=dict(type='str', required=True),
        password=dict(type='str', no_log=True),
        hosts=dict(type='list', elements='str', default=['localhost']),
        priv=dict(type='dict', default={}),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ), required_if=[('state', 'present', ['password'])]),
    root_policy=dict(type='str', choices=['unix_socket', 'password'], default='unix_socket'),
    root_password=dict(type='str', default='', no_log=True),
    secure_installation=dict(type='bool', default=True),
)
REQUIRED_IF = [('root_policy', 'password', ['root_password'])]


def connect(pymysql, params):
    """One connection over the socket, autocommit (GRANT, CREATE USER and DDL commit implicitly anyway)."""
    return pymysql.connect(unix_socket=params['login_unix_socket'], user=params['login_user'],
                           password=params['login_password'], autocommit=True, charset='utf8mb4',
                           cursorclass=pymysql.cursors.DictCursor)


def module_result(params, runner=None, which=None, check_mode=False, diff=False):
    """What the module returns for validated ``params``, with ``failed`` and ``msg`` when it fails.

    One PyMySQL connection: read, plan, and (unless ``check_mode``) execute the plan. ``warnings`` holds
    what the plan leaves alone on purpose. The module and the probe of its action plugin (check mode first,
    plugins/plugin_utils/remote_python.py) both call this; ``runner`` and ``which`` are not needed here.
    """
    try:
        import pymysql  # pylint: disable=import-outside-toplevel
        import pymysql.cursors  # pylint: disable=import-outside-toplevel
    except ImportError:
        return {'failed': True, 'msg': 'Failed to import the required Python library (PyMySQL) on the host: '
                                       'install python3-pymysql'}
    reserved = sorted(set(user['name'] for user in params['users']) & RESERVED_USERS)
    system = sorted(set(db['name'] for db in params['databases']) & SYSTEM_DATABASES)
    if reserved or system:
        return {'failed': True, 'msg': 'users %s are reserved and databases %s are system schemas: neither is '
                                       'managed here' % (reserved, system)}
    try:
        connection = connect(pymysql, params)
    except pymysql.MySQLError as exc:
        return {'failed': True, 'msg': 'cannot connect to MariaDB on %s as %s: %s'
                                       % (params['login_unix_socket'], params['login_user'], exc)}
    try:
        with connection.cursor() as cursor:
            state = read_state(cursor)
            planned = plan(state, users=params['users'], databases=params['databases'],
                           root_policy=params['root_policy'], root_password=params['root_password'],
                           secure_installation=params['secure_installation'])
            done = []
            if not check_mode:
                for statement in planned.statements:
                    try:
                        cursor.execute(statement.sql, statement.args)
                    except pymysql.MySQLError as exc:
                        # The statement's description, never its SQL: the SQL arguments hold password hashes.
                        return {'failed': True, 'msg': 'failed to %s: %s' % (statement.description, exc),
                                'actions': done}
                    done.append(statement.description)
    finally:
        connection.close()
    result = dict(changed=planned.changed, actions=planned.actions, left_alone=planned.warnings,
                  warnings=list(planned.warnings))
    if diff:
        result['diff'] = dict(before=planned.before, after=planned.after)
    return result
