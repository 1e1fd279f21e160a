# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dicom_echo action plugin: on the controller it gives the module's result without running the module;
anywhere else it runs the module."""

from __future__ import annotations

import json
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

pytest.importorskip('pynetdicom')

from ansible_collections.pacsops.server.tests.unit.plugins.conftest import ARCHIVE_AE  # noqa: E402

from ansible_collections.pacsops.server.plugins.action.dicom_echo import ActionModule, runs_in_process  # noqa: E402
from ansible_collections.pacsops.server.plugins.modules import dicom_echo  # noqa: E402

# Measured, so never the same twice.
TIMINGS = ('rtt_ms', 'association_ms')


def make_action(args, transport='local', become=False, async_val=0, check_mode=False):
    loader = DataLoader()
    task = MagicMock(args=args, async_val=async_val, check_mode=check_mode, diff=False)
    connection = MagicMock(transport=transport, has_native_async=False)
    plugin = ActionModule(task, connection, MagicMock(become=become), loader, Templar(loader=loader), MagicMock())
    plugin._execute_module = MagicMock(return_value={'changed': False, 'ran': 'module'})
    plugin._remove_tmp_path = MagicMock()
    return plugin


def module_result(capsys, args, check_mode=False):
    """What the module itself returns for these arguments."""
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            dicom_echo.main()
    return json.loads(capsys.readouterr().out)


def without_timings(result):
    return {key: value for key, value in result.items() if key not in TIMINGS}


@pytest.mark.parametrize('transport, become, async_val, has_pynetdicom, expected', [
    ('local', False, 0, True, True),
    ('community.docker.docker_api', False, 0, True, False),
    ('ssh', False, 0, True, False),
    ('local', True, 0, True, False),
    ('local', False, 30, True, False),
    ('local', False, 0, False, False),
])
def test_in_process_only_where_the_module_would_run_on_the_controller_as_its_user(
        transport, become, async_val, has_pynetdicom, expected):
    assert runs_in_process(transport, become, async_val, has_pynetdicom) is expected


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('extra, succeeds', [
    ({}, True),
    ({'calling_ae': 'OLD_DEVICE'}, False),
    ({'calling_ae': 'OLD_DEVICE', 'fail_on_reject': False}, True),
    ({'called_ae': 'ANY-SCP'}, False),
    ({'port': 70000}, False),
    ({'calling_ae': 'A_CALLING_AE_THAT_IS_TOO_LONG'}, False),
    ({'tls_cert': '/nonexistent.pem'}, False),
    ({'tls': True, 'tls_ca_cert': '/nonexistent.pem'}, False),
])
def test_in_process_result_is_the_modules(archive, capsys, check_mode, extra, succeeds):
    args = dict({'host': '127.0.0.1', 'port': archive.port, 'called_ae': ARCHIVE_AE}, **extra)
    plugin = make_action(args, check_mode=check_mode)
    result = plugin.run(task_vars={})
    assert not plugin._execute_module.called
    expected = module_result(capsys, args, check_mode=check_mode)
    assert without_timings(result) == without_timings(expected)
    assert bool(result.get('failed')) is not succeeds
    assert [key in result for key in TIMINGS] == [key in expected for key in TIMINGS]


def test_in_process_echo_reaches_the_archive(archive):
    result = make_action({'host': '127.0.0.1', 'port': archive.port, 'called_ae': ARCHIVE_AE}).run(task_vars={})
    assert result['accepted'] is True and result['status'] == 0 and result['changed'] is False
    assert archive.echoes == ['PACSOPS']


def test_nothing_listening_fails_as_the_module_does(closed_port, capsys):
    args = {'host': '127.0.0.1', 'port': closed_port, 'timeout': 2}
    result = make_action(args).run(task_vars={})
    assert result['failed'] is True and result['connected'] is False
    assert without_timings(result) == without_timings(module_result(capsys, args))


@pytest.mark.parametrize('args, fragment', [
    ({}, 'missing required arguments: host'),
    ({'host': 'pacs', 'colour': 'blue'}, 'colour'),
    ({'host': 'pacs', 'port': 'eleven'}, 'port'),
    ({'host': 'pacs', 'tls_key': '/k.pem'}, 'tls_key'),
])
def test_bad_options_fail_before_connecting(args, fragment):
    plugin = make_action(args)
    with pytest.raises(AnsibleActionFail, match=fragment):
        plugin.run(task_vars={})
    assert not plugin._execute_module.called


@pytest.mark.parametrize('transport, become, async_val', [
    ('community.docker.docker_api', False, 0),
    ('local', True, 0),
    ('local', False, 30),
])
def test_elsewhere_the_module_runs(transport, become, async_val):
    args = {'host': 'pacs.example', 'called_ae': 'HOSPITAL_PACS'}
    plugin = make_action(args, transport=transport, become=become, async_val=async_val)
    result = plugin.run(task_vars={'x': 1})
    assert result['ran'] == 'module'
    call = plugin._execute_module.call_args.kwargs
    assert call['module_name'] == 'pacsops.server.dicom_echo'
    assert call['module_args'] == args and call['task_vars'] == {'x': 1}
    assert call['wrap_async'] is bool(async_val)
    assert plugin._remove_tmp_path.called is not bool(async_val)
