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
    # What derive() builds the paths and the file list from: the distribution's defaults (vars/<os_family>.yml,
    # loaded before the validate task) and the dump job's fixed names (vars/main.yml).
    '__mariadb_default_service', '__mariadb_default_socket', '__mariadb_default_datadir', '__mariadb_config_file',
    '__mariadb_backup_unit', '__mariadb_backup_script', '__mariadb_unit_dir',
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
    """mariadb_users with the role's defaults filled in (vars/main.yml's __mariadb_users, which stays Jinja: it
    carries the passwords, which no derived value holds)."""
    return [dict({'state': 'present', 'hosts': ['localhost'], 'priv': {}, 'password': ''}, **user)
            for user in inputs['mariadb_users']]


def databases(inputs):
    """mariadb_databases with the server's character set and collation as defaults (each entry replaces whole keys,
    as Ansible's ``combine`` does)."""
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


def effective(inputs, name, default):
    """The public override, or the distribution's default when it is empty (``x if x | length > 0 else default``)."""
    return inputs[name] if len(inputs[name]) > 0 else inputs[default]


def files(inputs):
    """The files pacsops.server.managed_files renders on the controller: the server settings drop-in, and the dump
    job's script and units when the job is enabled."""
    unit = '%s/%s' % (inputs['__mariadb_unit_dir'], inputs['__mariadb_backup_unit'])
    config = [{'path': inputs['__mariadb_config_file'], 'src': 'mariadb.cnf.j2', 'mode': '0644', 'owner': 'root',
               'group': 'root'}]
    if not truthy(inputs['mariadb_backup_enabled']):
        return config
    return config + [
        {'path': inputs['__mariadb_backup_script'], 'src': 'pacsops-mariadb-dump.sh.j2', 'mode': '0750',
         'owner': 'root', 'group': 'root'},
        {'path': unit + '.service', 'src': 'pacsops-mariadb-dump.service.j2', 'mode': '0644', 'owner': 'root',
         'group': 'root'},
        {'path': unit + '.timer', 'src': 'pacsops-mariadb-dump.timer.j2', 'mode': '0644', 'owner': 'root',
         'group': 'root'},
    ]


def derive(inputs):
    """What the role reads, writes and converges, from valid inputs (the validate task registers it as
    __mariadb_inputs; tasks, templates and handlers read it as plain data, so no later task renders these
    templates again). Never a password: the accounts keep theirs in __mariadb_users.

    - ``service``, ``socket_path``, ``datadir_path``: the public override, or the distribution's default when empty;
    - ``custom_datadir``: the data directory is not the distribution's (tasks/server.yml initialises it once);
    - ``databases``: mariadb_databases with the server's character set and collation as defaults;
    - ``files``: the settings drop-in, and the dump job's script and units when the job is enabled;
    - ``read_paths``: what the state read looks at: the files, and the data directory's ``mysql`` schema (whether
      it is initialised).
    """
    datadir = effective(inputs, 'mariadb_datadir', '__mariadb_default_datadir')
    written = files(inputs)
    return {
        'service': effective(inputs, 'mariadb_service_name', '__mariadb_default_service'),
        'socket_path': effective(inputs, 'mariadb_socket', '__mariadb_default_socket'),
        'datadir_path': datadir,
        'custom_datadir': datadir != inputs['__mariadb_default_datadir'],
        'databases': databases(inputs),
        'files': written,
        'read_paths': [item['path'] for item in written] + ['%s/mysql' % datadir],
    }
