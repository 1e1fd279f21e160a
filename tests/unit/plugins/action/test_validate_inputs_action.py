# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""validate_inputs action plugin: reads the role's variables, templates them, fails with every message."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.pacsops.server.plugins.action.validate_inputs import ActionModule
from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import firewall, mariadb
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults


def run(args, task_vars):
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False, args=args)
    templar = Templar(loader=loader, variables=task_vars)
    return ActionModule(task, MagicMock(), MagicMock(), loader, templar, MagicMock()).run(task_vars=task_vars)


@pytest.fixture
def task_vars():
    values = defaults('mariadb', mariadb_databases=[])
    # As Ansible loads the role's defaults: their templates are trusted, so the action renders them.
    values['mariadb_users'][0]['password'] = trust_as_template(values['mariadb_users'][0]['password'])
    values['mariadb_ipacs_password'] = 'from-vault'
    values['unrelated'] = '{{ undefined_on_purpose }}'
    return values


def test_valid_inputs_pass_and_the_templated_password_is_read(task_vars):
    result = run({'rules': 'mariadb'}, task_vars)
    assert not result.get('failed') and result['changed'] is False, result
    assert result['msg'] == '%d mariadb inputs are valid' % len(mariadb.INPUTS)


def test_bad_inputs_fail_with_every_message_and_no_value_of_a_secret(task_vars):
    task_vars.update(mariadb_ipacs_password='', mariadb_port=0)
    result = run({'rules': 'mariadb'}, task_vars)
    assert result['failed'] is True and len(result['errors']) == 2, result
    assert result['msg'].startswith('Invalid mariadb input, nothing was changed: ')
    assert 'mariadb_users' in result['msg'] and 'mariadb_port=0' in result['msg']


def test_a_missing_input_and_unknown_rules_are_refused(task_vars):
    del task_vars['mariadb_port']
    with pytest.raises(AnsibleActionFail, match='mariadb_port is not defined'):
        run({'rules': 'mariadb'}, task_vars)
    for name in ('nosuchrole', '../x', None):
        with pytest.raises(AnsibleActionFail, match='rules'):
            run({'rules': name}, task_vars)


def test_notes_of_valid_inputs_are_returned_and_shown_at_the_default_verbosity():
    values = defaults('firewall', __firewall_connection_port='2222')
    result = run({'rules': 'firewall'}, values)
    assert not result.get('failed') and result['_ansible_verbose_always'] is True, result
    assert result['notes'] == [firewall.notes(values)[0]] and 'tcp/2222 kept open' in result['msg'], result
    # What the rules derive is returned for the role to register.
    assert result['derived'] == firewall.derive(values) and '2222/tcp' in result['derived']['open_ports'], result
    quiet = run({'rules': 'mariadb'}, defaults('mariadb', mariadb_databases=[], mariadb_users=[]))
    assert '_ansible_verbose_always' not in quiet and 'notes' not in quiet, quiet
