# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mariadb role's input rules: the defaults pass, each bad input is named, a password never is."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import mariadb
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

SECRET = 'vault-secret-7d1f'
USER = {'name': 'ipacs', 'password': SECRET, 'hosts': ['localhost'], 'priv': {'ipacs.*': 'ALL'}}


@pytest.fixture
def good():
    return defaults('mariadb', mariadb_users=[USER], mariadb_databases=[{'name': 'ipacs'}])


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
