# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mariadb role's input rules. Messages name variables and bad values, never a password."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import (
    ABSOLUTE_PATH, ONE_LINE, duplicates, in_range, matches, rejected, truthy)

ROLE = 'mariadb'
INPUTS = (
    'mariadb_root_policy', 'mariadb_root_password', 'mariadb_users', 'mariadb_databases',
    'mariadb_bind_address', 'mariadb_port', 'mariadb_character_set', 'mariadb_collation', 'mariadb_sql_mode',
    'mariadb_max_connections', 'mariadb_innodb_buffer_pool_size', 'mariadb_innodb_buffer_pool_percent',
    'mariadb_server_settings', 'mariadb_service_name', 'mariadb_socket', 'mariadb_datadir',
    'mariadb_backup_enabled', 'mariadb_backup_dir', 'mariadb_backup_retention_days', 'mariadb_backup_on_calendar',
)

# Accounts the role never manages as application users (root has its own policy) and schemas it never touches.
RESERVED_USERS = ('root', 'mysql', 'mariadb.sys', 'debian-sys-maint')
SYSTEM_DATABASES = ('information_schema', 'mysql', 'performance_schema', 'sys')
# Identifiers the role can quote safely.
USER = r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$'
HOST = r'^[A-Za-z0-9.%_:/-]{1,255}$'
DATABASE = r'^[A-Za-z0-9_]{1,64}$'
PRIV_OBJECT = r'^(\*|[A-Za-z0-9_]{1,64})\.(\*|[A-Za-z0-9_]{1,64})$'
PRIV_LIST = r'^[A-Za-z ]+(,[A-Za-z ]+)*$'
SIZE = r'^[0-9]+[KMG]?$'
CHARSET = r'^[a-z0-9_]{1,64}$'


def users(inputs):
    """mariadb_users with the role's defaults filled in (vars/main.yml's __mariadb_users)."""
    return [dict({'state': 'present', 'hosts': ['localhost'], 'priv': {}, 'password': ''}, **user)
            for user in inputs['mariadb_users']]


def databases(inputs):
    defaults = {'state': 'present', 'encoding': inputs['mariadb_character_set'], 'collation': inputs['mariadb_collation']}
    return [dict(defaults, **database) for database in inputs['mariadb_databases']]


def check_root(inputs):
    policy = inputs['mariadb_root_policy']
    if policy not in ('unix_socket', 'password'):
        return ['mariadb_root_policy=%s must be unix_socket or password.' % policy]
    if policy == 'password' and not inputs['mariadb_root_password']:
        return ['mariadb_root_password must be set (from vault) when mariadb_root_policy is password.']
    return []


def check_users(inputs):
    declared = users(inputs)
    names = [user.get('name', '') for user in declared]
    privs = [item for user in declared for item in (user['priv'] or {}).items()]
    problems = [
        ('names %s must match %s' % (rejected(names, USER), USER), rejected(names, USER)),
        ('names %s are reserved (root has mariadb_root_policy)' % [n for n in names if n in RESERVED_USERS],
         [n for n in names if n in RESERVED_USERS]),
        ('names %s are declared more than once' % duplicates(names), duplicates(names)),
        ('users %s need a non-empty password (from vault)'
         % [u.get('name', '') for u in declared if u['state'] == 'present' and not u['password']],
         [u for u in declared if u['state'] == 'present' and not u['password']]),
        ('states %s must be present or absent' % [u['state'] for u in declared if u['state'] not in ('present', 'absent')],
         [u for u in declared if u['state'] not in ('present', 'absent')]),
        ('users %s need at least one host' % [u.get('name', '') for u in declared if not u['hosts']],
         [u for u in declared if not u['hosts']]),
        ('hosts %s must match %s' % (rejected([h for u in declared for h in u['hosts'] or []], HOST), HOST),
         rejected([h for u in declared for h in u['hosts'] or []], HOST)),
        ('priv keys %s must look like db.* or db.table' % rejected([k for k, v in privs], PRIV_OBJECT),
         rejected([k for k, v in privs], PRIV_OBJECT)),
        ('priv values %s must be comma-separated privilege names' % rejected([v for k, v in privs], PRIV_LIST),
         rejected([v for k, v in privs], PRIV_LIST)),
    ]
    found = [text for text, bad in problems if bad]
    return ['Invalid mariadb_users: %s.' % '; '.join(found)] if found else []


def check_databases(inputs):
    declared = databases(inputs)
    names = [str(d.get('name', '')) for d in declared]
    charsets = [d['encoding'] for d in declared] + [d['collation'] for d in declared]
    problems = [
        ('names %s must match %s' % (rejected(names, DATABASE), DATABASE), rejected(names, DATABASE)),
        ('%s are system schemas the role never manages' % [n for n in names if n in SYSTEM_DATABASES],
         [n for n in names if n in SYSTEM_DATABASES]),
        ('names %s are declared more than once' % duplicates(names), duplicates(names)),
        ('states %s must be present or absent' % [d['state'] for d in declared if d['state'] not in ('present', 'absent')],
         [d for d in declared if d['state'] not in ('present', 'absent')]),
        ('encodings/collations %s must match %s' % (rejected(charsets, CHARSET), CHARSET), rejected(charsets, CHARSET)),
    ]
    found = [text for text, bad in problems if bad]
    return ['Invalid mariadb_databases: %s.' % '; '.join(found)] if found else []


def check_server(inputs):
    errors = []
    charset = str(inputs['mariadb_character_set'])
    tests = [
        (matches(r'^[A-Za-z0-9.:*,_-]+$', inputs['mariadb_bind_address']),
         'mariadb_bind_address=%s must be addresses or host names, comma-separated' % inputs['mariadb_bind_address']),
        (in_range(inputs['mariadb_port'], 1, 65535), 'mariadb_port=%s must be 1-65535' % inputs['mariadb_port']),
        (matches(CHARSET, charset), 'mariadb_character_set=%s must match %s' % (charset, CHARSET)),
        (matches('^' + charset + '_[a-z0-9_]+$', inputs['mariadb_collation']),
         'mariadb_collation=%s must belong to the character set %s' % (inputs['mariadb_collation'], charset)),
        (matches(r'^([A-Z_]+(,[A-Z_]+)*)?$', inputs['mariadb_sql_mode']),
         'mariadb_sql_mode=%s must be comma-separated upper-case modes' % inputs['mariadb_sql_mode']),
        (in_range(inputs['mariadb_max_connections'], 1),
         'mariadb_max_connections=%s must be at least 1' % inputs['mariadb_max_connections']),
        (not inputs['mariadb_innodb_buffer_pool_size'] or matches(SIZE, inputs['mariadb_innodb_buffer_pool_size']),
         'mariadb_innodb_buffer_pool_size=%s must be a size such as 4G, or empty' % inputs['mariadb_innodb_buffer_pool_size']),
        (in_range(inputs['mariadb_innodb_buffer_pool_percent'], 1, 90),
         'mariadb_innodb_buffer_pool_percent=%s must be 1-90' % inputs['mariadb_innodb_buffer_pool_percent']),
        (not rejected(inputs['mariadb_server_settings'].keys(), r'^[a-z][a-z0-9_-]*$'),
         'mariadb_server_settings keys %s must be lower-case option names'
         % rejected(inputs['mariadb_server_settings'].keys(), r'^[a-z][a-z0-9_-]*$')),
        (not [k for k, v in inputs['mariadb_server_settings'].items() if '\n' in str(v) or '\r' in str(v)],
         'mariadb_server_settings values of %s must be one line'
         % [k for k, v in inputs['mariadb_server_settings'].items() if '\n' in str(v) or '\r' in str(v)]),
        (not inputs['mariadb_service_name'] or matches(r'^[A-Za-z0-9@._-]+$', inputs['mariadb_service_name']),
         'mariadb_service_name=%s must be a unit name' % inputs['mariadb_service_name']),
    ]
    for name in ('mariadb_socket', 'mariadb_datadir'):
        tests.append((not inputs[name] or ABSOLUTE_PATH.match(str(inputs[name])) is not None,
                      '%s=%s must be an absolute path without spaces, or empty' % (name, inputs[name])))
    errors = [message for ok, message in tests if not ok]
    return ['Invalid server settings: %s.' % '; '.join(errors)] if errors else []


def check_dump_job(inputs):
    if not truthy(inputs['mariadb_backup_enabled']):
        return []
    tests = [
        (ABSOLUTE_PATH.match(str(inputs['mariadb_backup_dir'])) is not None,
         'mariadb_backup_dir=%s must be an absolute path' % inputs['mariadb_backup_dir']),
        (in_range(inputs['mariadb_backup_retention_days'], 1),
         'mariadb_backup_retention_days=%s must be at least 1' % inputs['mariadb_backup_retention_days']),
        (ONE_LINE.match(str(inputs['mariadb_backup_on_calendar'])) is not None,
         'mariadb_backup_on_calendar must be one systemd OnCalendar line'),
    ]
    errors = [message for ok, message in tests if not ok]
    return ['Invalid dump job: %s.' % '; '.join(errors)] if errors else []


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    return (check_root(inputs) + check_users(inputs) + check_databases(inputs) + check_server(inputs)
            + check_dump_job(inputs))
