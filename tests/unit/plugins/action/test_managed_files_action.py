# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""managed_files action plugin: templates rendered on the controller from the role's templates/ directory."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.pacsops.server.plugins.action.managed_files import ActionModule


@pytest.fixture
def action(tmp_path):
    (tmp_path / 'templates').mkdir()
    (tmp_path / 'templates' / 'app.conf.j2').write_text('server {{ app_server }}\n{% for p in app_ports %}port {{ p }}\n{% endfor %}')
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False)
    plugin = ActionModule(task, MagicMock(), MagicMock(), loader, Templar(loader=loader), MagicMock())
    plugin._execute_module = MagicMock(return_value={'changed': True, 'changed_files': ['/etc/app.conf']})
    return plugin, task, {'ansible_search_path': [str(tmp_path)], 'app_server': 'ntp.example', 'app_ports': [1, 2]}


def test_src_is_rendered_and_sent_as_content(action):
    plugin, task, task_vars = action
    task.args = {'files': [{'path': '/etc/app.conf', 'src': 'app.conf.j2', 'mode': '0644'},
                           {'path': '/etc/plain', 'content': 'x\n'}]}
    result = plugin.run(task_vars=task_vars)
    sent = plugin._execute_module.call_args.kwargs['module_args']['files']
    assert sent == [{'path': '/etc/app.conf', 'content': 'server ntp.example\nport 1\nport 2\n', 'mode': '0644'},
                    {'path': '/etc/plain', 'content': 'x\n'}]
    assert plugin._execute_module.call_args.kwargs['module_name'] == 'pacsops.server.managed_files'
    assert result['changed_files'] == ['/etc/app.conf']


def test_src_and_content_together_fail(action):
    plugin, task, task_vars = action
    task.args = {'files': [{'path': '/etc/a', 'src': 'app.conf.j2', 'content': 'x'}]}
    with pytest.raises(AnsibleActionFail, match='mutually exclusive'):
        plugin.run(task_vars=task_vars)


def test_missing_template_fails(action):
    plugin, task, task_vars = action
    task.args = {'files': [{'path': '/etc/a', 'src': 'nosuch.j2'}]}
    with pytest.raises(Exception, match='nosuch.j2'):
        plugin.run(task_vars=task_vars)


def known(content, mode='0644', owner='root', group='root'):
    import hashlib
    return {'exists': True, 'type': 'file', 'mode': mode, 'owner': owner, 'group': group,
            'checksum': hashlib.sha1(content.encode()).hexdigest()}


def test_files_known_to_match_are_not_sent_and_all_matching_makes_no_call(action):
    plugin, task, task_vars = action
    files = [{'path': '/etc/app.conf', 'src': 'app.conf.j2', 'mode': '0644', 'owner': 'root', 'group': 'root'},
             {'path': '/etc/plain', 'content': 'x\n', 'mode': '644'},
             {'path': '/etc/old', 'state': 'absent'}]
    task.args = {'files': files, 'current': {'/etc/app.conf': known('server ntp.example\nport 1\nport 2\n'),
                                             '/etc/plain': known('x\n'), '/etc/old': {'exists': False}}}
    result = plugin.run(task_vars=task_vars)
    assert not plugin._execute_module.called
    assert result['changed'] is False and result['changed_files'] == []

    task.args = {'files': files, 'current': {'/etc/app.conf': known('server old\n'),
                                             '/etc/plain': known('x\n', mode='0600'), '/etc/old': {'exists': False}}}
    plugin.run(task_vars=task_vars)
    sent = plugin._execute_module.call_args.kwargs['module_args']
    assert [entry['path'] for entry in sent['files']] == ['/etc/app.conf', '/etc/plain']
    assert 'current' not in sent


class NoDeepCopy(list):
    """A variable whose deep copy fails the test: the render must not deep-copy the play's variables."""

    def __deepcopy__(self, memo):
        raise AssertionError('the variables were deep-copied')


def test_render_copies_the_variables_shallowly_and_leaves_them_alone(action):
    plugin, task, task_vars = action
    task_vars['app_ports'] = NoDeepCopy([7])
    before = dict(task_vars)
    task.args = {'files': [{'path': '/etc/app.conf', 'src': 'app.conf.j2'}]}
    plugin.run(task_vars=task_vars)
    assert plugin._execute_module.call_args.kwargs['module_args']['files'][0]['content'] == 'server ntp.example\nport 7\n'
    # The template's own variables (template_path, ansible_managed...) went into the copy only.
    assert task_vars == before


def test_a_block_matching_the_content_read_makes_no_call_and_a_changed_one_is_sent_as_a_block(action):
    plugin, task, task_vars = action
    entry = {'path': '/etc/environment', 'content': 'http_proxy="http://proxy:3128"\n', 'marker': '# {mark} proxy',
             'mode': '0644', 'owner': 'root', 'group': 'root'}
    text = 'PATH="/usr/bin"\n# BEGIN proxy\nhttp_proxy="http://proxy:3128"\n# END proxy\n'
    task.args = {'files': [entry], 'current': {'/etc/environment': dict(known(text), content=text)}}
    assert plugin.run(task_vars=task_vars)['changed'] is False
    assert not plugin._execute_module.called
    old = text.replace('proxy:3128', 'old:3128')
    task.args = {'files': [entry], 'current': {'/etc/environment': dict(known(old), content=old)}}
    plugin.run(task_vars=task_vars)
    # The module merges the block into the live file, not into the text read before.
    assert plugin._execute_module.call_args.kwargs['module_args']['files'] == [entry]


@pytest.fixture
def on_controller(action):
    plugin, task, task_vars = action
    plugin._connection.transport = 'local'
    plugin._connection.become = None
    return plugin, task, task_vars


def test_on_the_controller_the_files_are_written_here_without_a_module(on_controller, tmp_path):
    plugin, task, task_vars = on_controller
    report = tmp_path / 'reports' / 'host.md'
    task.args = {'files': [{'path': str(report), 'src': 'app.conf.j2', 'mode': '0644'}]}
    task.check_mode, task.diff = True, True
    checked = plugin.run(task_vars=task_vars)
    assert checked['changed'] is True and checked['diff'][0]['after'] == 'server ntp.example\nport 1\nport 2\n'
    assert not report.exists()
    task.check_mode, task.diff = False, False
    written = plugin.run(task_vars=task_vars)
    assert written['changed_files'] == [str(report)] and 'diff' not in written
    assert report.read_text() == 'server ntp.example\nport 1\nport 2\n'
    assert oct(report.stat().st_mode & 0o7777) == '0o644'
    again = plugin.run(task_vars=task_vars)
    assert again['changed'] is False and again['files'] == {str(report): []}
    assert not plugin._execute_module.called


def test_on_the_controller_bad_entries_fail_as_the_module_would(on_controller, tmp_path):
    plugin, task, task_vars = on_controller
    task.args = {'files': [{'path': str(tmp_path / 'a'), 'content': 'x', 'state': 'gone'}]}
    with pytest.raises(AnsibleActionFail, match='state'):
        plugin.run(task_vars=task_vars)
    task.args = {'files': [{'path': str(tmp_path / 'a'), 'content': 'x', 'validate': 'false %s'}]}
    with pytest.raises(AnsibleActionFail, match='validation failed'):
        plugin.run(task_vars=task_vars)
    assert not (tmp_path / 'a').exists()


def test_become_or_a_remote_connection_goes_through_the_module(on_controller, tmp_path):
    plugin, task, task_vars = on_controller
    task.args = {'files': [{'path': str(tmp_path / 'a'), 'content': 'x'}]}
    plugin._connection.become = MagicMock()
    plugin.run(task_vars=task_vars)
    assert plugin._execute_module.called and not (tmp_path / 'a').exists()
