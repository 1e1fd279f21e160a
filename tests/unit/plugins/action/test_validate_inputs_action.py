# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""validate_inputs action plugin: reads the role's variables, templates them, fails with every message."""

from __future__ import annotations

import pathlib
from unittest.mock import MagicMock

import pytest
import yaml

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.pacsops.server.plugins.action.validate_inputs import ActionModule
from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import firewall, mariadb
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, role_vars


def mariadb_defaults(**templated):
    """The mariadb role's defaults and its private inputs (vars/main.yml and vars/Debian.yml), as the task sees them."""
    private = {name: value for name, value in role_vars('mariadb', 'Debian').items() if name in mariadb.INPUTS}
    return defaults('mariadb', **dict(private, **templated))


def run(args, task_vars):
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False, args=args)
    templar = Templar(loader=loader, variables=task_vars)
    return ActionModule(task, MagicMock(), MagicMock(), loader, templar, MagicMock()).run(task_vars=task_vars)


@pytest.fixture
def task_vars():
    values = mariadb_defaults(mariadb_databases=[])
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
    quiet = run({'rules': 'mariadb'}, mariadb_defaults(mariadb_databases=[], mariadb_users=[]))
    assert '_ansible_verbose_always' not in quiet and 'notes' not in quiet, quiet


ROLES = __import__('pathlib').Path(__file__).resolve().parents[4] / 'roles'


def run_in_role(task_vars, should_validate):
    """The task as the host playbook's roles run it: imported with rolespec_validate: false, or not."""
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False, args={'rules': 'mariadb'})
    task._role._should_validate = should_validate
    task._role._role_path = str(ROLES / 'mariadb')
    templar = Templar(loader=loader, variables=task_vars)
    return ActionModule(task, MagicMock(), MagicMock(), loader, templar, MagicMock()).run(task_vars=task_vars)


def ansible_validation(task_vars):
    """What Ansible's own argument spec task reports for the role (ansible.builtin.validate_argument_spec)."""
    from ansible.plugins.action.validate_argument_spec import ActionModule as ValidateArgumentSpec
    from ansible_collections.pacsops.server.plugins.action.validate_inputs import role_options
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False,
                     args={'argument_spec': role_options(str(ROLES / 'mariadb')), 'provided_arguments': {}})
    templar = Templar(loader=loader, variables=task_vars)
    return ValidateArgumentSpec(task, MagicMock(), MagicMock(), loader, templar, MagicMock()).run(task_vars=task_vars)


def test_a_role_imported_without_ansibles_check_gets_the_same_check_here(task_vars):
    # An option the rules do not read (mariadb_secure_installation: bool) and one they do (mariadb_port: int).
    task_vars.update(mariadb_secure_installation='perhaps', mariadb_port='port')
    expected = ansible_validation(task_vars)
    assert expected['failed'] is True and len(expected['argument_errors']) == 2, expected
    result = run_in_role(task_vars, should_validate=False)
    assert result['failed'] is True and result['argument_errors'] == expected['argument_errors'], result
    assert result['msg'] == expected['msg'] and result['msg'].startswith('Validation of arguments failed:')
    # Valid values pass both checks; a role that Ansible checked is not checked twice.
    task_vars.update(mariadb_secure_installation=True, mariadb_port=3306)
    assert not ansible_validation(task_vars).get('failed')
    assert not run_in_role(task_vars, should_validate=False).get('failed')
    task_vars.update(mariadb_secure_installation='perhaps')
    assert not run_in_role(task_vars, should_validate=True).get('failed')


def test_derived_values_that_carry_a_secret_hide_the_tasks_output():
    proxy_url = 'http://pacs:vault-secret-77@proxy.example:3128'
    values = defaults('docker', docker_http_proxy=proxy_url, docker_https_proxy='', docker_no_proxy='localhost',
                      __docker_packages=['docker.io'], __docker_source='distribution', __docker_release='Debian 12')
    result = run({'rules': 'docker'}, values)
    assert result['_ansible_no_log'] is True and result['derived']['service_environment']['HTTP_PROXY'] == proxy_url
    plain = run({'rules': 'docker'}, dict(values, docker_http_proxy='http://proxy.example:3128'))
    assert '_ansible_no_log' not in plain
    # A refusal is never hidden: its messages carry no secret.
    refused = run({'rules': 'docker'}, dict(values, docker_log_max_size='lots'))
    assert refused['failed'] is True and '_ansible_no_log' not in refused and 'vault-secret-77' not in str(refused)


# The host playbook's first check: every role the play imports, before the first of them changes the host.
HOST_PLAYBOOK_ROLES = ('preflight', 'proxy', 'service_account', 'selinux', 'firewall', 'timesync', 'tls_certificate',
                       'docker', 'mariadb', 'clamav', 'openvpn', 'dicom_service', 'hardening')


def fake_role(path, role_vars=None):
    spec = pathlib.Path(path) / 'meta' / 'argument_specs.yml'
    specs = (yaml.safe_load(spec.read_text()) or {}).get('argument_specs') if spec.exists() else {}
    return MagicMock(**{'get_role_path.return_value': path, 'get_vars.return_value': dict(role_vars or {}),
                        '_get_role_argspecs.return_value': specs})


def fake_play(names, other=(), role_vars=None):
    """A play that imports these roles of the collection (docker twice, as the host playbook does) and others; role_vars:
    {role: the vars of its entry in the play's roles section}."""
    role_vars = role_vars or {}
    roles = [fake_role(str(ROLES / name), role_vars.get(name)) for name in names]
    roles += [fake_role(path) for path in other]
    return MagicMock(roles=roles)


def play_vars(**overrides):
    """Every role's defaults as a play sees them, templates rendered the way the example inventory renders them."""
    values = {}
    for name in HOST_PLAYBOOK_ROLES:
        values.update(defaults(name))
        # vars/main.yml: an imported role's vars are the play's too, and some defaults read them.
        main = ROLES / name / 'vars' / 'main.yml'
        values.update(yaml.safe_load(main.read_text()) or {} if main.exists() else {})
    # The templates that read facts or role vars (vars/main.yml) the test does not load, rendered.
    values.update(mariadb_ipacs_password='from-vault', hardening_admin_group='sudo', timesync_container_mode=True,
                  dicom_service_verify_host='pacs.example', preflight_report_dir='/srv/reports',
                  hardening_lynis_report_dir='/srv/reports', inventory_hostname='pacs.example')
    values.update(overrides)
    # As Ansible loads the roles' defaults: their templates are trusted (the action renders them).
    return {name: trusted(value) for name, value in values.items()}


def trusted(value):
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return trust_as_template(value) if isinstance(value, str) and '{{' in value else value


def run_play(task_vars, names=HOST_PLAYBOOK_ROLES + ('docker',), other=(), role_vars=None):
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False, args={'play': True})
    task.get_play.return_value = fake_play(names, other, role_vars)
    templar = Templar(loader=loader, variables=task_vars)
    return ActionModule(task, MagicMock(), MagicMock(), loader, templar, MagicMock()).run(task_vars=task_vars)


def test_the_play_check_passes_valid_inputs_of_every_role_once():
    result = run_play(play_vars())
    assert not result.get('failed') and result['changed'] is False, result
    assert result['roles'] == list(HOST_PLAYBOOK_ROLES), result['roles']


def test_the_play_check_names_every_bad_input_of_every_role_and_no_secret():
    result = run_play(play_vars(hardening_umask='999', timesync_local_stratum=99, docker_log_max_file=0,
                                mariadb_port='x', tls_certificate_selfsigned_days='many',
                                mariadb_ipacs_password='vault-secret-12'))
    assert result['failed'] is True and result['changed'] is False, result
    assert result['msg'].startswith('Invalid input, nothing was changed: '), result['msg']
    by_role = [error.split(':', 1)[0] for error in result['errors']]
    # In the play's order; the argument spec's messages (mariadb, tls_certificate) as Ansible words them.
    assert by_role == ['timesync', 'tls_certificate', 'docker', 'mariadb', 'hardening'], result['errors']
    assert "argument 'mariadb_port' is of type str" in result['msg']
    assert 'hardening_umask=999 must be three octal digits' in result['msg']
    assert 'vault-secret-12' not in str(result)


def test_the_play_check_needs_no_release_names_and_no_host_read():
    # check_variables() of docker, timesync and hardening leave the package source, the OS family's providers, the
    # OpenSSH release and the lock-out guard (they need the role's OS variables or its host read) to the role's own
    # check; the play check passes without any of those names.
    values = play_vars()
    os_names = set()
    for name in ('docker', 'timesync', 'hardening'):
        for path in (ROLES / name / 'vars').glob('*.yml'):
            if path.name != 'main.yml':
                os_names.update(yaml.safe_load(path.read_text()))
    assert os_names and not os_names & set(values)
    assert not run_play(values, names=('docker', 'timesync', 'hardening')).get('failed')


def test_the_play_check_reads_the_argument_spec_of_a_role_of_another_collection(tmp_path):
    (tmp_path / 'meta').mkdir()
    (tmp_path / 'meta' / 'argument_specs.yml').write_text(
        'argument_specs:\n  main:\n    options:\n      other_port: {type: int, required: true}\n')
    result = run_play(play_vars(), names=('firewall',), other=(str(tmp_path),))
    assert result['failed'] is True and result['errors'] == [
        '%s: missing required arguments: other_port' % tmp_path.name], result
    assert not run_play(play_vars(other_port=2), names=('firewall',), other=(str(tmp_path),)).get('failed')
    # A role without an argument spec has nothing to check.
    (tmp_path / 'meta' / 'argument_specs.yml').unlink()
    assert not run_play(play_vars(), names=('firewall',), other=(str(tmp_path),)).get('failed')


def test_the_play_check_and_one_roles_rules_are_not_asked_together():
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False, args={'play': True, 'rules': 'mariadb'})
    with pytest.raises(AnsibleActionFail, match='not both'):
        ActionModule(task, MagicMock(), MagicMock(), loader, Templar(loader=loader), MagicMock()).run(task_vars={})


def test_the_play_check_reads_a_roles_entry_vars_and_extra_vars_win(monkeypatch):
    # playbooks/o3_stack.yml gives preflight its own vars in the roles section: they are what the role runs with.
    bad = {'preflight': {'preflight_concurrent_users': 0}}
    result = run_play(play_vars(), names=('preflight', 'firewall'), role_vars=bad)
    assert result['failed'] is True and [error.split(':', 1)[0] for error in result['errors']] == ['preflight'], result
    good = {'preflight': {'preflight_concurrent_users': 25}}
    assert not run_play(play_vars(preflight_concurrent_users=0), names=('preflight',), role_vars=good).get('failed')
    # -e wins over the role's vars, as in Ansible.
    from ansible import context
    from ansible.module_utils.common.collections import ImmutableDict
    monkeypatch.setattr(context, 'CLIARGS', ImmutableDict(extra_vars=('{"preflight_concurrent_users": 0}',)))
    assert run_play(play_vars(), names=('preflight',), role_vars=good)['failed'] is True
