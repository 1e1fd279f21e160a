# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mariadb role's input rules: the defaults pass, each bad input is named, a password never is; what derive()
returns for the defaults and each branch."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import mariadb
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages, role_vars

SECRET = 'vault-secret-7d1f'
USER = {'name': 'ipacs', 'password': SECRET, 'hosts': ['localhost'], 'priv': {'ipacs.*': 'ALL'}}

# vars/Debian.yml and vars/main.yml, as the role has them when the validate task runs.
PRIVATE = {'__mariadb_default_service': 'mariadb', '__mariadb_default_socket': '/run/mysqld/mysqld.sock',
           '__mariadb_default_datadir': '/var/lib/mysql', '__mariadb_config_file': '/etc/mysql/mariadb.conf.d/60-pacsops.cnf',
           '__mariadb_backup_unit': 'pacsops-mariadb-dump', '__mariadb_backup_script': '/usr/local/sbin/pacsops-mariadb-dump',
           '__mariadb_unit_dir': '/etc/systemd/system'}
CONFIG = {'path': '/etc/mysql/mariadb.conf.d/60-pacsops.cnf', 'src': 'mariadb.cnf.j2', 'mode': '0644', 'owner': 'root',
          'group': 'root'}
DUMP_FILES = [
    {'path': '/usr/local/sbin/pacsops-mariadb-dump', 'src': 'pacsops-mariadb-dump.sh.j2', 'mode': '0750', 'owner': 'root',
     'group': 'root'},
    {'path': '/etc/systemd/system/pacsops-mariadb-dump.service', 'src': 'pacsops-mariadb-dump.service.j2', 'mode': '0644',
     'owner': 'root', 'group': 'root'},
    {'path': '/etc/systemd/system/pacsops-mariadb-dump.timer', 'src': 'pacsops-mariadb-dump.timer.j2', 'mode': '0644',
     'owner': 'root', 'group': 'root'},
]


@pytest.fixture
def good():
    return defaults('mariadb', mariadb_users=[USER], mariadb_databases=[{'name': 'ipacs'}], **PRIVATE)


def test_every_input_the_rules_read_is_a_documented_default(good):
    assert set(mariadb.INPUTS) <= set(good)


def test_defaults_with_a_password_pass(good):
    assert mariadb.check(good) == []


@pytest.mark.parametrize('override, expected', [
    ({'mariadb_root_policy': 'rootless'}, 'mariadb_root_policy=rootless'),
    ({'mariadb_root_policy': 'password', 'mariadb_root_password': ''}, 'mariadb_root_password must be set'),
    ({'mariadb_users': [dict(USER, password='')]}, "users ['ipacs'] need a non-empty password"),
    ({'mariadb_users': [dict(USER, name='bad name;')]}, "names ['bad name;'] must match"),
    ({'mariadb_users': [dict(USER, name='root')]}, "names ['root'] are reserved"),
    ({'mariadb_users': [USER, USER]}, "names ['ipacs'] are declared more than once"),
    ({'mariadb_users': [dict(USER, state='gone')]}, "states ['gone'] must be present or absent"),
    ({'mariadb_users': [dict(USER, hosts=[])]}, "users ['ipacs'] need at least one host"),
    ({'mariadb_users': [dict(USER, hosts=['a b'])]}, "hosts ['a b'] must match"),
    ({'mariadb_users': [dict(USER, priv={'ipacs': 'ALL'})]}, "priv keys ['ipacs'] must look like db.*"),
    ({'mariadb_users': [dict(USER, priv={'ipacs.*': 'ALL; DROP'})]}, "priv values ['ALL; DROP']"),
    ({'mariadb_databases': [{'name': 'mysql'}]}, "['mysql'] are system schemas"),
    ({'mariadb_databases': [{'name': 'a-b'}]}, "names ['a-b'] must match"),
    ({'mariadb_databases': [{'name': 'a'}, {'name': 'a'}]}, "names ['a'] are declared more than once"),
    ({'mariadb_databases': [{'name': 'a', 'state': 'gone'}]}, "states ['gone'] must be present or absent"),
    ({'mariadb_databases': [{'name': 'a', 'encoding': 'UTF8'}]}, "encodings/collations ['UTF8']"),
    ({'mariadb_bind_address': '127.0.0.1; x'}, 'mariadb_bind_address=127.0.0.1; x'),
    ({'mariadb_port': 0}, 'mariadb_port=0 must be 1-65535'),
    ({'mariadb_port': '70000'}, 'mariadb_port=70000'),
    ({'mariadb_port': 'http'}, 'mariadb_port=http'),
    ({'mariadb_collation': 'latin1_swedish_ci'}, 'mariadb_collation=latin1_swedish_ci must belong'),
    ({'mariadb_sql_mode': 'strict'}, 'mariadb_sql_mode=strict'),
    ({'mariadb_max_connections': 0}, 'mariadb_max_connections=0'),
    ({'mariadb_innodb_buffer_pool_size': '4 GB'}, 'mariadb_innodb_buffer_pool_size=4 GB'),
    ({'mariadb_innodb_buffer_pool_percent': 95}, 'mariadb_innodb_buffer_pool_percent=95'),
    ({'mariadb_server_settings': {'Bad Key': 1}}, "mariadb_server_settings keys ['Bad Key']"),
    ({'mariadb_server_settings': {'init_connect': 'a\nb'}}, "values of ['init_connect'] must be one line"),
    ({'mariadb_service_name': 'maria db'}, 'mariadb_service_name=maria db'),
    ({'mariadb_socket': 'run/mysqld.sock'}, 'mariadb_socket=run/mysqld.sock'),
    ({'mariadb_datadir': '/srv/my data'}, 'mariadb_datadir=/srv/my data'),
    ({'mariadb_backup_dir': 'backups'}, 'mariadb_backup_dir=backups'),
    ({'mariadb_backup_retention_days': 0}, 'mariadb_backup_retention_days=0'),
    ({'mariadb_backup_on_calendar': 'daily\nExecStart=/bin/sh'}, 'mariadb_backup_on_calendar must be one'),
])
def test_each_bad_input_is_named_without_the_password(good, override, expected):
    found = messages(mariadb, good, **override)
    assert len(found) == 1 and expected in found[0], found
    assert SECRET not in ' '.join(found)


def test_dump_job_settings_are_not_checked_when_the_job_is_off(good):
    assert messages(mariadb, good, mariadb_backup_enabled=False, mariadb_backup_dir='backups') == []


def test_declared_values_of_other_types_are_read_as_ansible_reads_them(good):
    assert messages(mariadb, good, mariadb_port='3307', mariadb_max_connections='200', mariadb_backup_enabled='no',
                    mariadb_backup_retention_days='x') == []


def test_the_private_inputs_are_the_role_vars_the_validate_task_sees(good):
    assert set(mariadb.INPUTS) - set(PRIVATE) <= set(defaults('mariadb'))
    # Defined on every distribution: validate_inputs fails on an undefined input.
    assert set(PRIVATE) <= set(role_vars('mariadb', 'RedHat'))
    assert {name: role_vars('mariadb', 'Debian')[name] for name in PRIVATE} == PRIVATE


def test_derive_of_the_defaults_uses_the_distribution_paths_and_writes_the_dump_job(good):
    derived = mariadb.derive(good)
    assert derived == {
        'service': 'mariadb',
        'socket_path': '/run/mysqld/mysqld.sock',
        'datadir_path': '/var/lib/mysql',
        'custom_datadir': False,
        'databases': [{'name': 'ipacs', 'state': 'present', 'encoding': 'utf8mb4', 'collation': 'utf8mb4_general_ci'}],
        'files': [CONFIG] + DUMP_FILES,
        'read_paths': [CONFIG['path']] + [f['path'] for f in DUMP_FILES] + ['/var/lib/mysql/mysql'],
    }
    assert SECRET not in repr(derived)


def test_derive_prefers_the_declared_service_socket_and_data_directory(good):
    derived = mariadb.derive(dict(good, mariadb_service_name='mariadb-pacs', mariadb_socket='/run/mysqld/pacs.sock',
                                  mariadb_datadir='/srv/mariadb'))
    assert (derived['service'], derived['socket_path'], derived['datadir_path']) == (
        'mariadb-pacs', '/run/mysqld/pacs.sock', '/srv/mariadb')
    assert derived['custom_datadir'] is True and derived['read_paths'][-1] == '/srv/mariadb/mysql'
    # The distribution's data directory declared explicitly is not a non-standard one.
    assert mariadb.derive(dict(good, mariadb_datadir='/var/lib/mysql'))['custom_datadir'] is False


@pytest.mark.parametrize('enabled', [False, 'no', '0', 'false'])
def test_derive_writes_only_the_settings_drop_in_without_the_dump_job(good, enabled):
    derived = mariadb.derive(dict(good, mariadb_backup_enabled=enabled))
    assert derived['files'] == [CONFIG]
    assert derived['read_paths'] == [CONFIG['path'], '/var/lib/mysql/mysql']


def test_derive_fills_database_defaults_and_keeps_declared_values(good):
    declared = [{'name': 'a', 'encoding': 'latin1', 'collation': 'latin1_swedish_ci', 'state': 'absent'},
                {'name': 'b', 'collation': 'utf8_bin'}]
    derived = mariadb.derive(dict(good, mariadb_databases=declared, mariadb_character_set='utf8',
                                  mariadb_collation='utf8_general_ci'))
    assert derived['databases'] == [
        {'name': 'a', 'state': 'absent', 'encoding': 'latin1', 'collation': 'latin1_swedish_ci'},
        {'name': 'b', 'state': 'present', 'encoding': 'utf8', 'collation': 'utf8_bin'},
    ]
    assert declared[1] == {'name': 'b', 'collation': 'utf8_bin'}
    assert mariadb.derive(dict(good, mariadb_databases=[]))['databases'] == []
