# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_state reads a host once per run while nothing has changed it (plugin_utils/host_reads.py).

The program is run for real on this machine, against files under tmp_path, as the host would run it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.pacsops.server.plugins.action.host_state import ActionModule
from ansible_collections.pacsops.server.plugins.action.pacs_preflight import ActionModule as PreflightAction
from ansible_collections.pacsops.server.plugins.action.url_check import ActionModule as UrlCheckAction
from ansible_collections.pacsops.server.plugins.callback.host_reads import CallbackModule
from ansible_collections.pacsops.server.plugins.plugin_utils import host_reads


def execute_on_this_machine(command, sudoable=True, in_data=None):
    proc = subprocess.run([sys.executable, '-I', '-'], input=in_data, capture_output=True, check=False, cwd='/')
    return {'rc': proc.returncode, 'stdout': proc.stdout.decode(), 'stderr': proc.stderr.decode()}


@pytest.fixture
def tracker(tmp_path):
    saved = host_reads.TRACKER
    host_reads.TRACKER = host_reads.Tracker(str(tmp_path / 'plans'))
    yield host_reads.TRACKER
    host_reads.TRACKER = saved


@pytest.fixture
def tree(tmp_path):
    (tmp_path / 'etc').mkdir()
    for name in ('a.conf', 'b.conf', 'c.conf'):
        (tmp_path / 'etc' / name).write_text(name + '\n')
    (tmp_path / 'etc' / 'environment').write_text('HTTPS_PROXY=http://user:sekrit@proxy:3128\n')
    cache = tmp_path / 'local-tmp'
    cache.mkdir(mode=0o700)
    return tmp_path


class Run:
    """Tasks of one run on one host: each task is a new action plugin, as each task is a new worker."""

    def __init__(self, tree, host='pacs1', plan=None):
        self.tree = tree
        self.host = host
        self.facts = {'discovered_interpreter_python': sys.executable}
        if plan is not None:
            host_reads.save_plan(host_reads.TRACKER.plan_dir, host, dict(host_reads.empty_plan(), **plan))
        self.remote_calls = []

    @property
    def plan(self):
        return host_reads.load_plan(host_reads.TRACKER.plan_dir, self.host)

    def path(self, name):
        return str(self.tree / 'etc' / name)

    def task(self, args, delegate_to=None, action=ActionModule, path='roles/r/tasks/main.yml:1'):
        loader = DataLoader()
        task = MagicMock(async_val=0, check_mode=False, diff=False, delegate_to=delegate_to, args=args)
        task.get_path.return_value = path
        connection = MagicMock()
        connection._shell.build_module_command.side_effect = lambda env, shebang, cmd: 'python -'
        plugin = action(task, connection, MagicMock(), loader, Templar(loader=loader), MagicMock())
        plugin.CACHE_DIRECTORY = str(self.tree / 'local-tmp')
        plugin._execute_module = MagicMock(return_value={'changed': False, 'from': 'module'})
        plugin._is_pipelining_enabled = MagicMock(return_value=True)
        plugin._compute_environment_string = MagicMock(return_value='')

        def execute(command, sudoable=True, in_data=None):
            self.remote_calls.append(in_data.decode())
            return execute_on_this_machine(command, sudoable, in_data)

        plugin._low_level_execute_command = MagicMock(side_effect=execute)
        return plugin.run(task_vars={'inventory_hostname': self.host, 'ansible_facts': dict(self.facts)})


def alone(tree, args):
    """What a read of args alone returns: the module's answer without any kept read."""
    saved = host_reads.TRACKER
    host_reads.TRACKER = None
    try:
        return Run(tree).task(args)
    finally:
        host_reads.TRACKER = saved


def without_marker(result):
    return dict((key, value) for key, value in result.items() if key != 'answered_from_first_read')


def test_a_converged_run_reads_the_host_once_and_answers_as_a_read_of_its_own(tracker, tree):
    first = Run(tree)
    first.task({'files': [first.path('a.conf')]})
    first.task({'files': [first.path('b.conf')], 'memory': True})
    plan = first.plan
    assert plan['files'] == sorted([first.path('a.conf'), first.path('b.conf')]) and plan['memory'] is True
    plan_file = os.path.join(tracker.plan_dir, host_reads._name('pacs1') + '.json')
    assert stat.S_IMODE(os.stat(plan_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tracker.plan_dir).st_mode) == 0o700

    # The next run: a new tracker (a new ansible-playbook, a new private temporary directory), the same plans.
    host_reads.TRACKER = host_reads.Tracker(tracker.plan_dir)
    os.remove(host_reads._path(str(tree / 'local-tmp'), 'pacs1'))
    run = Run(tree)
    a = run.task({'files': [run.path('a.conf')]})
    b = run.task({'files': [run.path('b.conf')], 'memory': True})
    assert len(run.remote_calls) == 1
    assert run.path('b.conf') in run.remote_calls[0], 'the first read reads the planned files too'
    assert without_marker(a) == alone(tree, {'files': [run.path('a.conf')]})
    assert without_marker(b) == alone(tree, {'files': [run.path('b.conf')], 'memory': True})
    assert list(b['files']) == [run.path('b.conf')]
    assert 'answered_from_first_read' not in a and b['answered_from_first_read'] is True
    assert run.plan == plan, 'the plan did not grow'


def test_a_change_on_the_host_makes_the_next_task_read_it_again(tracker, tree):
    run = Run(tree, plan={'files': [str(tree / 'etc' / 'b.conf')]})
    run.task({'files': [run.path('a.conf')]})
    (tree / 'etc' / 'b.conf').write_text('changed by a task\n')
    tracker.note('pacs1')
    b = run.task({'files': [run.path('b.conf')]})
    assert len(run.remote_calls) == 2
    assert b['files'][run.path('b.conf')]['size'] == len('changed by a task\n')
    assert run.path('a.conf') not in run.remote_calls[1], 'after a change, a task reads its own request only'


def test_a_change_by_a_delegated_task_counts_for_every_host(tracker, tree):
    tracker.note('controller', everywhere=True)
    assert tracker.count('pacs1') == 1 and tracker.count('pacs2') == 1


def test_another_host_is_never_answered_from_this_hosts_read(tracker, tree):
    plan = {'files': [str(tree / 'etc' / 'a.conf')]}
    Run(tree, host='pacs1', plan=plan).task({'files': [str(tree / 'etc' / 'a.conf')]})
    other = Run(tree, host='pacs2', plan=plan)
    other.task({'files': [other.path('a.conf')]})
    assert len(other.remote_calls) == 1


def test_a_request_for_something_new_reads_again_with_what_was_asked_before(tracker, tree):
    run = Run(tree)
    run.task({'files': [run.path('a.conf')]})
    run.task({'files': [run.path('b.conf')]})
    run.task({'files': [run.path('a.conf'), run.path('b.conf')]})
    assert len(run.remote_calls) == 2
    assert run.path('a.conf') in run.remote_calls[1]


def test_file_texts_are_never_kept_nor_answered_from_the_kept_read(tracker, tree):
    run = Run(tree, plan={'files': [str(tree / 'etc' / 'a.conf')]})
    environment = run.path('environment')
    first = run.task({'files': [environment], 'contents': [environment]})
    assert 'sekrit' in first['files'][environment]['content']
    kept_file = host_reads._path(str(tree / 'local-tmp'), 'pacs1')
    assert 'sekrit' not in open(kept_file).read()
    assert stat.S_IMODE(os.stat(kept_file).st_mode) == 0o600
    assert run.plan['files'] == [run.path('a.conf')], 'a request for texts is not planned'
    run.task({'files': [run.path('a.conf')]})
    assert len(run.remote_calls) == 1, 'the planned file was read with the request for texts'
    run.task({'files': [environment], 'contents': [environment]})
    assert len(run.remote_calls) == 2
    assert run.path('a.conf') not in run.remote_calls[1], 'after the first read, a request for texts reads itself only'


def test_a_planned_item_that_cannot_be_read_does_not_fail_the_task(tracker, tree, monkeypatch):
    run = Run(tree, plan={'units': ['bad unit']})
    calls = []

    def fail_the_union(command, sudoable=True, in_data=None):
        calls.append(in_data.decode())
        if 'bad unit' in calls[-1]:
            return {'rc': 0, 'stdout': json.dumps([{'failed': True, 'msg': 'systemctl show failed'}]), 'stderr': ''}
        return execute_on_this_machine(command, sudoable, in_data)

    monkeypatch.setattr(run, 'remote_calls', calls)
    loader = DataLoader()
    task = MagicMock(async_val=0, check_mode=False, diff=False, delegate_to=None, args={'files': [run.path('a.conf')]})
    plugin = ActionModule(task, MagicMock(), MagicMock(), loader, Templar(loader=loader), MagicMock())
    plugin.CACHE_DIRECTORY = str(tree / 'local-tmp')
    plugin._is_pipelining_enabled = MagicMock(return_value=True)
    plugin._compute_environment_string = MagicMock(return_value='')
    plugin._low_level_execute_command = MagicMock(side_effect=fail_the_union)
    result = plugin.run(task_vars={'inventory_hostname': 'pacs1', 'ansible_facts': dict(run.facts)})
    assert not result.get('failed') and result['files'][run.path('a.conf')]['exists'] is True
    assert len(calls) == 2 and 'bad unit' not in calls[1]
    assert host_reads.load(str(tree / 'local-tmp'), 'pacs1', 0) is None


def test_without_the_callback_every_task_reads_the_host(tree):
    saved = host_reads.TRACKER
    host_reads.TRACKER = None
    try:
        run = Run(tree)
        run.task({'files': [run.path('a.conf')]})
        result = run.task({'files': [run.path('a.conf')]})
    finally:
        host_reads.TRACKER = saved
    assert len(run.remote_calls) == 2 and 'answered_from_first_read' not in result


def test_a_delegated_task_is_not_answered_from_the_kept_read(tracker, tree):
    run = Run(tree, plan={'files': [str(tree / 'etc' / 'a.conf')]})
    run.task({'files': [run.path('a.conf')]})
    assert run.task({'files': [run.path('a.conf')]}, delegate_to='other')['from'] == 'module'


def callback_result(host, changed=False, delegate_to=None):
    return SimpleNamespace(host=SimpleNamespace(get_name=lambda: host), task=SimpleNamespace(delegate_to=delegate_to),
                           _result={'changed': changed})


def test_a_plan_that_cannot_be_written_only_makes_reads_remote(tracker, tree):
    (tree / 'plans-blocked').write_text('a file where the directory should be')
    tracker.plan_dir = str(tree / 'plans-blocked' / 'plans')
    run = Run(tree)
    first = run.task({'files': [run.path('a.conf')]})
    assert not first.get('failed') and first['files'][run.path('a.conf')]['exists'] is True
    assert run.plan == host_reads.empty_plan()
    assert not [name for name in os.listdir(tree / 'local-tmp') if name.endswith('.new')]


def test_a_missing_or_malformed_plan_is_an_empty_one(tmp_path):
    assert host_reads.load_plan(str(tmp_path / 'none'), 'pacs1') == host_reads.empty_plan()
    (tmp_path / (host_reads._name('pacs1') + '.json')).write_text('{"files": "not a list", "memory": "yes"}')
    assert host_reads.load_plan(str(tmp_path), 'pacs1') == host_reads.empty_plan()


def test_the_callback_counts_what_may_have_changed_a_host():
    saved = host_reads.TRACKER
    try:
        callback = CallbackModule()
        assert host_reads.TRACKER is callback.tracker
        assert callback.tracker.plan_dir.endswith(os.path.join('pacsops', 'host_reads'))
        callback.v2_runner_on_ok(callback_result('pacs1'))
        assert callback.tracker.count('pacs1') == 0
        callback.v2_runner_on_ok(callback_result('pacs1', changed=True))
        callback.v2_runner_on_failed(callback_result('pacs1'), ignore_errors=True)
        callback.v2_runner_on_unreachable(callback_result('pacs1'))
        assert callback.tracker.count('pacs1') == 3 and callback.tracker.count('pacs2') == 0
        callback.v2_runner_on_ok(callback_result('pacs1', changed=True, delegate_to='localhost'))
        assert callback.tracker.count('pacs2') == 1
    finally:
        host_reads.TRACKER = saved


# The other light calls: the run's first light call on a host makes those its tasks made in earlier runs.
CLOSED = 'http://127.0.0.1:9/'  # the discard port: nothing listens, the connection is refused at once


def checks(run, password=''):
    return run.task({'targets': [{'name': 'install server', 'url': CLOSED}], 'timeout': 2, 'proxy_password': password},
                    action=UrlCheckAction, path='roles/proxy/tasks/check.yml:5')


def preflight(run):
    return run.task({'profile': 'ipacs', 'fail_on_unmet': False}, action=PreflightAction,
                    path='roles/preflight/tasks/check.yml:4')


def next_run(tracker, tree):
    """A new ansible-playbook: a new tracker and private temporary directory, the same plans."""
    host_reads.TRACKER = host_reads.Tracker(tracker.plan_dir)
    for name in os.listdir(tree / 'local-tmp'):
        os.remove(tree / 'local-tmp' / name)
    return Run(tree)


def second_run(tracker, tree):
    """A run that planned preflight's measurement and the URL checks, then the next run after its first light call."""
    first = Run(tree)
    preflight(first)
    checks(first)
    run = next_run(tracker, tree)
    preflight(run)
    return run


def test_the_first_light_call_of_a_run_makes_the_calls_and_the_read_its_tasks_made_before(tracker, tree):
    first = Run(tree)
    preflight(first)
    first.task({'files': [first.path('a.conf')]})
    checks(first)
    assert len(first.remote_calls) == 3
    calls_file = os.path.join(tracker.plan_dir, host_reads._name('pacs1') + '.calls.json')
    assert stat.S_IMODE(os.stat(calls_file).st_mode) == 0o600

    run = next_run(tracker, tree)
    measured = preflight(run)
    a = run.task({'files': [run.path('a.conf')]})
    reached = checks(run)
    assert len(run.remote_calls) == 1, 'one program made the three calls'
    assert 'answered_from_first_read' not in measured and measured['profile'] == 'ipacs'
    assert a['answered_from_first_read'] is True and reached['answered_from_first_read'] is True
    assert without_marker(a) == alone(tree, {'files': [run.path('a.conf')]})
    assert reached['results'][0]['reachable'] is False and reached['results'][0]['failure'] == 'connect'
    assert without_marker(reached) == without_marker(checks(Run(tree)))  # a call of its own answers the same


def test_a_call_with_a_no_log_value_is_never_planned_nor_kept(tracker, tree):
    first = Run(tree)
    preflight(first)
    checks(first, password='sekrit-proxy-password')
    assert 'sekrit' not in json.dumps(host_reads.load_calls(tracker.plan_dir, 'pacs1'))
    assert [call[0].rsplit('.', 1)[1] for call in host_reads.load_calls(tracker.plan_dir, 'pacs1')] == ['preflight']

    run = next_run(tracker, tree)
    preflight(run)
    reached = checks(run, password='sekrit-proxy-password')
    assert len(run.remote_calls) == 2 and 'answered_from_first_read' not in reached
    assert not any('sekrit' in open(tree / 'local-tmp' / name).read() for name in os.listdir(tree / 'local-tmp'))


def test_after_a_change_on_the_host_a_planned_call_is_made_again(tracker, tree):
    run = second_run(tracker, tree)
    host_reads.TRACKER.note('pacs1')  # the tracker of this run
    reached = checks(run)
    assert len(run.remote_calls) == 2 and 'answered_from_first_read' not in reached


def test_a_call_planned_with_other_parameters_is_not_an_answer(tracker, tree):
    run = second_run(tracker, tree)
    changed = run.task({'targets': [{'name': 'install server', 'url': CLOSED}], 'timeout': 3},
                       action=UrlCheckAction, path='roles/proxy/tasks/check.yml:5')
    assert len(run.remote_calls) == 2 and 'answered_from_first_read' not in changed
    assert [call[1].get('timeout') for call in host_reads.load_calls(tracker.plan_dir, 'pacs1')
            if call[0].endswith('url_check')] == [3], 'the task keeps one slot in the plan, with its latest call'


def test_a_planned_call_that_fails_is_not_kept_and_its_task_makes_it_again(tracker, tree):
    first = Run(tree)
    preflight(first)
    checks(first)
    # The plan is only a list of calls: one made unusable here fails in the first read, alone.
    slots = json.load(open(os.path.join(tracker.plan_dir, host_reads._name('pacs1') + '.calls.json')))
    for slot in slots:
        if slot[1][0].endswith('url_check'):
            slot[1][1]['targets'] = 'not a list'
    host_reads._write(os.path.join(tracker.plan_dir, host_reads._name('pacs1') + '.calls.json'), slots)
    run = next_run(tracker, tree)
    measured = preflight(run)
    reached = checks(run)
    assert not measured.get('failed') and not reached.get('failed')
    assert len(run.remote_calls) == 2 and 'answered_from_first_read' not in reached


def test_a_planned_call_that_failed_in_the_first_read_is_made_again_by_its_task(tracker, tree, monkeypatch):
    first = Run(tree)
    preflight(first)
    checks(first)
    run = next_run(tracker, tree)
    real = execute_on_this_machine

    def url_check_fails_once(command, sudoable=True, in_data=None):
        result = real(command, sudoable, in_data)
        results = json.loads(result['stdout'])
        if len(results) > 1:  # the first read: the planned url check (its last call) fails there, this time
            results[-1] = {'failed': True, 'msg': 'URLError: temporary failure'}
        return dict(result, stdout=json.dumps(results))

    monkeypatch.setitem(globals(), 'execute_on_this_machine', url_check_fails_once)
    preflight(run)
    reached = checks(run)
    assert len(run.remote_calls) == 2 and not reached.get('failed') and 'answered_from_first_read' not in reached
