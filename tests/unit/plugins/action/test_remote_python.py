# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The light path of the read-only modules: the shipped program, the fallback to the module, the masking."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from unittest.mock import MagicMock

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.pacsops.server.plugins.action.host_state import ActionModule as HostStateAction
from ansible_collections.pacsops.server.plugins.action.url_check import ActionModule as UrlCheckAction
from ansible_collections.pacsops.server.plugins.module_utils import host_state
from ansible_collections.pacsops.server.plugins.plugin_utils.remote_python import (
    build_calls_program,
    NotShippable,
    build_program,
    collect_sources,
)

MU = 'ansible_collections.pacsops.server.plugins.module_utils.'


def run_program(program):
    """Run a program as the host does (its interpreter reading stdin), without this test's import path."""
    proc = subprocess.run([sys.executable, '-I', '-'], input=program.encode(), capture_output=True, check=False, cwd='/')
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def test_host_state_program_returns_what_the_module_returns(tmp_path):
    target = tmp_path / 'app.conf'
    target.write_text('x\n')
    params = dict((name, option.get('default')) for name, option in host_state.ARGUMENT_SPEC.items())
    params.update(files=[str(target), str(tmp_path / 'absent')], memory=True, package_manager='dpkg')
    result = run_program(build_program(MU + 'host_state', params))

    def no_commands(argv):
        raise AssertionError('no unit, package or interface was asked for: %s' % argv)

    expected = host_state.module_result(params, no_commands, lambda name: None)
    assert result == json.loads(json.dumps(expected))
    assert result['files'][str(target)]['checksum'] == hashlib.sha1(b'x\n').hexdigest()
    assert result['files'][str(target)]['exists'] is True
    assert result['files'][str(tmp_path / 'absent')]['exists'] is False
    assert isinstance(result['memtotal_mb'], int)


def test_several_calls_answer_in_order_with_the_network_ones_in_threads(tmp_path):
    # The first read of a run: url_check (THREAD_SAFE: it waits on the network) runs in a thread beside the others;
    # each result is what the call alone returns, in the order of the calls.
    target = tmp_path / 'app.conf'
    target.write_text('x\n')
    state = dict((name, option.get('default')) for name, option in host_state.ARGUMENT_SPEC.items())
    state.update(files=[str(target)], package_manager='dpkg')
    closed = {'targets': [{'name': 'closed', 'url': 'http://127.0.0.1:9/', 'marker': None, 'status_code': [200]}],
              'http_proxy': '', 'https_proxy': '', 'no_proxy': [], 'proxy_username': '', 'proxy_password': '', 'timeout': 2}
    calls = [(MU + 'url_check', closed, {}), (MU + 'host_state', state, {}), (MU + 'url_check', closed, {})]
    program = build_calls_program(calls)
    assert 'threading.Thread' in program
    results = run_program(program)
    assert len(results) == 3
    assert results[1] == run_program(build_program(MU + 'host_state', state))
    assert results[0]['results'][0]['failure'] == results[2]['results'][0]['failure'] == 'connect'
    assert results[0] == run_program(build_program(MU + 'url_check', closed))


def test_the_program_does_not_import_importlib_abc():
    # importlib.abc pulls in importlib.resources, pathlib, tempfile and typing: 0.1 s on every call.
    params = dict((name, option.get('default')) for name, option in host_state.ARGUMENT_SPEC.items())
    params.update(package_manager='dpkg')
    program = build_program(MU + 'host_state', params) + '\nprint(sorted(set(sys.modules) & {"importlib.abc", "typing"}))'
    proc = subprocess.run([sys.executable, '-I', '-'], input=program.encode(), capture_output=True, check=False, cwd='/')
    assert proc.stdout.decode().endswith('[]\n'), proc.stdout.decode()[-200:] + proc.stderr.decode()


def test_program_reports_an_exception_as_a_failure():
    # An exception inside the logic is a failed result with its type, not a crash of the program.
    params = dict((name, option.get('default')) for name, option in host_state.ARGUMENT_SPEC.items())
    params['files'] = 42  # not a list: module_result raises TypeError inside the program
    result = run_program(build_program(MU + 'host_state', params))
    assert result['failed'] is True
    assert 'TypeError' in result['msg']


def test_the_imported_module_utils_are_shipped_with_the_entry():
    sources = collect_sources(MU + 'preflight')
    assert set(sources) == {MU + 'preflight', MU + 'tls_expiry'}


def test_module_utils_importing_ansible_are_not_shipped():
    with pytest.raises(NotShippable, match='aws_dlm imports'):
        collect_sources(MU + 'aws_dlm')


def make_action(cls, args, stdout='{}', rc=0, facts=None, pipelining=True):
    # The program prints the list of its calls' results: one here.
    stdout = '[%s]' % stdout if stdout.startswith('{') else stdout
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False, delegate_to=None, args=args)
    connection = MagicMock()
    connection._shell.build_module_command.side_effect = lambda env, shebang, cmd: '%s %s %s' % (env, shebang[2:], cmd)
    plugin = cls(task, connection, MagicMock(), loader, Templar(loader=loader), MagicMock())
    plugin._execute_module = MagicMock(return_value={'changed': False, 'from': 'module'})
    plugin._low_level_execute_command = MagicMock(return_value={'rc': rc, 'stdout': stdout, 'stderr': 'boom'})
    plugin._is_pipelining_enabled = MagicMock(return_value=pipelining)
    plugin._compute_environment_string = MagicMock(return_value='LANG=C')
    task_vars = {'ansible_facts': facts if facts is not None else {'discovered_interpreter_python': '/usr/bin/python3'}}
    return plugin, task_vars


def test_light_path_sends_the_program_through_become():
    plugin, task_vars = make_action(HostStateAction, {'files': ['/etc/hosts']}, stdout='{"changed": false, "files": {}}')
    result = plugin.run(task_vars=task_vars)
    assert result['files'] == {}
    plugin._execute_module.assert_not_called()
    call = plugin._low_level_execute_command.call_args
    assert call.args[0] == 'LANG=C /usr/bin/python3 -'
    assert call.kwargs['sudoable'] is True
    program = call.kwargs['in_data'].decode()
    assert '/etc/hosts' in program and 'def module_result' in program


@pytest.mark.parametrize('facts, pipelining', [
    ({}, True),
    ({'discovered_interpreter_python': 'auto'}, True),
    (None, False),
])
def test_the_module_runs_when_the_light_path_cannot(facts, pipelining):
    plugin, task_vars = make_action(HostStateAction, {'files': ['/etc/hosts']}, facts=facts, pipelining=pipelining)
    result = plugin.run(task_vars=task_vars)
    assert result['from'] == 'module'
    assert plugin._execute_module.call_args.kwargs['module_name'] == 'pacsops.server.host_state'
    plugin._low_level_execute_command.assert_not_called()


def test_a_delegated_task_runs_the_module():
    plugin, task_vars = make_action(HostStateAction, {})
    plugin._task.delegate_to = 'localhost'
    assert plugin.run(task_vars=task_vars)['from'] == 'module'


def test_paths_are_not_expanded_on_the_controller():
    plugin, task_vars = make_action(HostStateAction, {'files': ['~/.ssh/authorized_keys']})
    plugin.run(task_vars=task_vars)
    assert '~/.ssh/authorized_keys' in plugin._low_level_execute_command.call_args.kwargs['in_data'].decode()


def test_no_log_values_are_masked_in_the_result():
    secret = 'sekrit-proxy-pw'
    stdout = json.dumps({'changed': False, 'results': [{'summary': 'proxy http://u:%s@proxy:3128 refused' % secret}]})
    plugin, task_vars = make_action(UrlCheckAction, {'targets': [{'name': 'x', 'url': 'http://x/'}], 'proxy_password': secret},
                                    stdout=stdout)
    result = plugin.run(task_vars=task_vars)
    assert secret not in json.dumps(result)
    assert '********' in result['results'][0]['summary']


def test_output_that_is_not_json_fails_with_the_output():
    plugin, task_vars = make_action(HostStateAction, {}, stdout='Traceback ...', rc=1)
    result = plugin.run(task_vars=task_vars)
    assert result['failed'] is True
    assert result['rc'] == 1 and result['module_stderr'] == 'boom'
    assert 'pacsops.server.host_state program failed on the host (rc 1)' in result['msg']


def test_options_are_validated_on_the_controller():
    plugin, task_vars = make_action(HostStateAction, {'package_manager': 'apk'})
    with pytest.raises(Exception, match='package_manager'):
        plugin.run(task_vars=task_vars)
    plugin._low_level_execute_command.assert_not_called()


def probe_action(stdout, check_mode=False):
    from ansible_collections.pacsops.server.plugins.action.mariadb_accounts import ActionModule as MariadbAction
    args = {'users': [{'name': 'ipacs', 'password': 'app-secret-1', 'priv': {'ipacs.*': 'ALL'}}]}
    plugin, task_vars = make_action(MariadbAction, args, stdout=stdout)
    plugin._task.check_mode = check_mode
    plugin._execute_module = MagicMock(return_value={'changed': True, 'actions': ['create ipacs'], 'from': 'module'})
    return plugin, task_vars


def test_probe_runs_in_check_mode_and_a_converged_host_needs_no_module():
    plugin, task_vars = probe_action('{"changed": false, "actions": [], "left_alone": []}')
    result = plugin.run(task_vars=task_vars)
    assert result['changed'] is False and 'from' not in result
    plugin._execute_module.assert_not_called()
    program = plugin._low_level_execute_command.call_args.kwargs['in_data'].decode()
    assert '"check_mode": true' in program


def test_probe_that_finds_a_change_runs_the_module():
    plugin, task_vars = probe_action('{"changed": true, "actions": ["create ipacs"]}')
    result = plugin.run(task_vars=task_vars)
    assert result['from'] == 'module'
    assert plugin._execute_module.call_args.kwargs['module_name'] == 'pacsops.server.mariadb_accounts'


def test_probe_in_check_mode_is_the_answer():
    plugin, task_vars = probe_action('{"changed": true, "actions": ["create ipacs"]}', check_mode=True)
    result = plugin.run(task_vars=task_vars)
    assert result['changed'] is True and 'from' not in result
    plugin._execute_module.assert_not_called()


def test_probe_failure_is_returned_without_running_the_module():
    plugin, task_vars = probe_action('{"failed": true, "msg": "cannot connect to MariaDB"}')
    result = plugin.run(task_vars=task_vars)
    assert result['failed'] is True
    plugin._execute_module.assert_not_called()


def test_probe_masks_the_passwords_it_was_given():
    plugin, task_vars = probe_action('{"changed": false, "msg": "app-secret-1 leaked"}')
    assert 'app-secret-1' not in json.dumps(plugin.run(task_vars=task_vars))
