# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's logic on the host as one small Python program, without AnsiballZ: reads, and probes.

Why: a module call through AnsiballZ costs about 0.5 s here however little it does. The host spends
0.25 s of it compiling ``ansible.module_utils.basic`` from a zip, and the controller parses that
module's imports. host_state, pacs_preflight and url_check only read, and their logic
(``plugins/module_utils/<name>.py``) uses only the standard library. So their action plugins send
that logic, the module_utils it imports and the validated options as one program on the
interpreter's stdin. This is the pipelining path, through the same connection and become. Measured
on the demo host: 0.16 s per call instead of 0.55 s.

Both paths run the same function, ``module_result(params, runner, which)`` in the module_utils. The
module calls it with AnsibleModule's ``run_command`` and ``get_bin_path``; the program here calls it
with ``subprocess`` and ``shutil.which``. The options are validated on the controller against the
module's own ``ARGUMENT_SPEC``. Values of ``no_log`` options are masked in the result, as
AnsibleModule masks them.

A module that changes the host (``PROBE = True``: mariadb_accounts) gets the same path as a probe: the
program runs ``module_result`` in check mode, and only when that reports a change (outside check mode)
does the module itself run, read again and change the host. On a converged host that is one light call.

The module itself runs instead (``LightReadAction`` falls back) when the light path cannot be used:
no interpreter known yet (the first task of a play discovers it), pipelining off, a delegated task,
or module_utils that import Ansible.
"""

from __future__ import annotations

import ast
import copy
import importlib
import json

from ansible import constants as C
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.pacsops.server.plugins.plugin_utils import host_reads

PACKAGE = 'ansible_collections.pacsops.server.plugins.module_utils'

# The program run on the host. It installs an import hook that serves the shipped module_utils from memory
# (their parent packages as empty packages), calls module_result and prints its JSON on stdout; given several
# calls (the first read of a run, see host_reads), it makes them (those waiting on the network in threads) and
# prints the list of results in order.
PROGRAM = r'''
import importlib, importlib.util, json, os, shutil, subprocess, sys
SOURCES = %(sources)r
PACKAGES = %(packages)r
# A finder and loader by protocol, not by subclassing importlib.abc: importing importlib.abc pulls in
# importlib.resources, pathlib, tempfile and typing, 0.1 s of the host's CPU on every call.
class _Shipped(object):
    def find_spec(self, name, path=None, target=None):
        if name in SOURCES or name in PACKAGES:
            return importlib.util.spec_from_loader(name, self, is_package=name in PACKAGES)
        return None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        if module.__name__ in SOURCES:
            exec(compile(SOURCES[module.__name__], '<pacsops %%s>' %% module.__name__, 'exec'), module.__dict__)
sys.meta_path.insert(0, _Shipped())
def runner(argv):
    env = dict(os.environ, LC_ALL='C')
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except OSError as exc:
        return 127, '', str(exc)
    out, err = proc.communicate()
    return proc.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')
def call(entry, params, options):
    try:
        return importlib.import_module(entry).module_result(params, runner, shutil.which, **options)
    except Exception as exc:
        return {'failed': True, 'msg': '%%s: %%s' %% (type(exc).__name__, exc)}
CALLS = json.loads(%(calls)r)
results = [None] * len(CALLS)
def make(index):
    results[index] = call(*CALLS[index])
# Calls whose module_utils declare THREAD_SAFE (url_check: it waits on the network) run in threads, started
# first; the others one after the other meanwhile.
threads = {}
if len(CALLS) > 1:
    import threading
    for index, (entry, _params, _options) in enumerate(CALLS):
        try:
            concurrent = getattr(importlib.import_module(entry), 'THREAD_SAFE', False) is True
        except Exception:
            concurrent = False
        if concurrent:
            threads[index] = threading.Thread(target=make, args=(index,))
            threads[index].start()
for index in range(len(CALLS)):
    if index not in threads:
        make(index)
for thread in threads.values():
    thread.join()
sys.stdout.write(json.dumps(results if %(many)r else results[0]))
'''


class NotShippable(Exception):
    """The module_utils import something other than the standard library and this collection's module_utils."""


def _imports(source):
    """The modules a source imports at any depth of its tree (also inside try/except and functions)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def collect_sources(entry):
    """``{module name: source}`` of ``entry`` and of every module_utils of this collection it imports."""
    sources = {}
    pending = [entry]
    while pending:
        name = pending.pop()
        if name in sources:
            continue
        module = importlib.import_module(name)
        with open(module.__file__, encoding='utf-8') as handle:
            sources[name] = handle.read()
        for imported in _imports(sources[name]):
            if imported.startswith(PACKAGE + '.'):
                pending.append(imported)
            elif imported == 'ansible' or imported.startswith(('ansible.', 'ansible_collections.')):
                raise NotShippable('%s imports %s' % (name, imported))
    return sources


def build_program(entry, params, options=None):
    """The Python program that prints ``entry``'s ``module_result(params, ..., **options)`` as JSON on the host."""
    return build_calls_program([(entry, params, options or {})], many=False)


def build_calls_program(calls, many=True):
    """The program that makes each ``(entry, params, options)`` call in order and prints the list of results."""
    sources, packages = {}, set()
    for entry, _params, _options in calls:
        sources.update(collect_sources(entry))
        parts = entry.split('.')
        packages.update('.'.join(parts[:index]) for index in range(1, len(parts)))
    return PROGRAM % {
        'sources': sources,
        'packages': sorted(packages),
        'calls': json.dumps([[entry, params, options or {}] for entry, params, options in calls]),
        'many': many,
    }


def _host_spec(spec):
    """The argument spec with ``path`` read as ``str``: on the controller, ``path`` would expand ``~`` there."""
    spec = copy.deepcopy(spec)
    for option in spec.values():
        if option.get('type') == 'path':
            option['type'] = 'str'
        if option.get('elements') == 'path':
            option['elements'] = 'str'
        if isinstance(option.get('options'), dict):
            option['options'] = _host_spec(option['options'])
    return spec


class LightReadAction(ActionBase):
    """Action plugin base of a read-only module whose module_utils define ARGUMENT_SPEC and module_result."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    MODULE = None        # the module's FQCN, run when the light path cannot be used
    MODULE_UTILS = None  # the full name of the module_utils holding ARGUMENT_SPEC and module_result
    # A module that changes the host: the program runs module_result in check mode (a probe), and the module
    # itself runs only when the probe reports a change outside check mode. On a converged host that is one
    # light call instead of an AnsiballZ one.
    PROBE = False

    def interpreter(self, task_vars):
        """The host's Python, when it is known without discovery; None otherwise."""
        if self._task.delegate_to:
            return None
        value = task_vars.get('ansible_python_interpreter')
        if value is not None:
            value = self._templar.template(value)
        else:
            value = (task_vars.get('ansible_facts') or {}).get('discovered_interpreter_python')
        value = str(value or '')
        return value if value.startswith('/') else None

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp

        module_utils = importlib.import_module(self.MODULE_UTILS)
        validation, params = self.validate_argument_spec(argument_spec=_host_spec(module_utils.ARGUMENT_SPEC),
                                                         required_if=getattr(module_utils, 'REQUIRED_IF', None))
        options = {'check_mode': True, 'diff': bool(self._task.diff)} if self.PROBE else {}
        # A call with a no_log value is never planned nor kept on the controller.
        data = self.read_once(params, task_vars, options, plannable=not validation._no_log_values)
        if data is None:
            result.update(self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars))
            return result
        if self.PROBE and data.get('changed') and not data.get('failed') and not self._task.check_mode:
            # Something differs: the module reads again and changes it (its result is the task's).
            data = self._execute_module(module_name=self.MODULE, module_args=self._task.args, task_vars=task_vars)
        # As AnsibleModule does: no value of a no_log option in the result, wherever it appears.
        result.update(remove_values(data, validation._no_log_values))
        return result

    # The run's private temporary directory on the controller, where the first read's answers are kept.
    CACHE_DIRECTORY = None

    def read_once(self, params, task_vars, options=None, plannable=True):
        """This call's result: from the run's first read on the host when it made the same call and nothing has
        changed the host since (plugin_utils/host_reads.py), else read here. While nothing has changed the host, the
        first light call of the run on it is that first read."""
        tracker = host_reads.TRACKER
        host = task_vars.get('inventory_hostname')
        if tracker is None or not host or self._task.delegate_to or not plannable:
            return self.read(params, task_vars, options)
        directory = self.CACHE_DIRECTORY or C.DEFAULT_LOCAL_TMP
        count = tracker.count(host)
        call = (self.MODULE_UTILS, params, options or {})
        answers = host_reads.load_answers(directory, host, count)
        key = host_reads.call_key(call)
        if answers is not None and key in answers:
            return dict(answers[key], answered_from_first_read=True)
        data = None
        if count == 0 and answers is None:
            data = self.first_read(call, task_vars, host, directory, count)
            if data is not None and data.get('failed'):
                data = None  # the program failed as a whole, or this call did: make it alone, as without a plan
        if data is None:
            data = self.read(params, task_vars, options)
        if data is not None and not data.get('failed'):
            host_reads.plan_call(tracker.plan_dir, host, '%s %s' % (self.MODULE, self._task.get_path()), call)
        return data

    def first_read(self, own, task_vars, host, directory, count):
        """The run's first light call on the host, while nothing has changed it: ``own``, the host_state read of the
        host's plan and the calls its tasks made in earlier runs, in one program. Keeps the plan's read and the
        other answers for the later tasks (a failed one is not kept: its task makes it again) and returns own's
        result; None when the light path cannot be used."""
        plan_dir = host_reads.TRACKER.plan_dir
        calls = [own]
        if own[0] != host_reads.HOST_STATE:
            plan = host_reads.load_plan(plan_dir, host)
            if host_reads.planned(plan):
                calls.append((host_reads.HOST_STATE, host_reads.union_params(host_state_defaults(), plan), {}))
        own_key = host_reads.call_key(own)
        others = [call for call in host_reads.load_calls(plan_dir, host) if host_reads.call_key(call) != own_key]
        results = self.read_calls(calls + others, task_vars)
        if results is None:
            return None
        if len(calls) > 1 and not results[1].get('failed'):
            host_reads.store(directory, host, count, results[1])
        answers = dict((host_reads.call_key(call), result) for call, result in zip(others, results[len(calls):])
                       if not result.get('failed'))
        host_reads.store_answers(directory, host, count, answers)
        return results[0]

    def read(self, params, task_vars, options=None):
        """``module_result(params, ..., **options)`` of the program run on the host, or None when the light path
        cannot be used (the module then runs with the task's arguments)."""
        results = self.read_calls([(self.MODULE_UTILS, params, options or {})], task_vars)
        return None if results is None else results[0]

    def read_calls(self, calls, task_vars):
        """The results of ``calls`` (``(module_utils entry, params, options)``) made by one program on the host, in
        order; each a failure when the program failed as a whole. None when the light path cannot be used."""
        interpreter = self.interpreter(task_vars)
        try:
            program = build_calls_program(calls) if interpreter else None
        except NotShippable:
            program = None
        if program is None or not self._is_pipelining_enabled('new'):
            return None

        command = self._connection._shell.build_module_command(self._compute_environment_string(), '#!' + interpreter, '-')
        res = self._low_level_execute_command(command, sudoable=True, in_data=program.encode('utf-8'))
        try:
            data = json.loads(res.get('stdout') or '')
        except ValueError:
            data = None
        if isinstance(data, list) and len(data) == len(calls) and all(isinstance(item, dict) for item in data):
            return data
        failure = {
            'failed': True,
            'msg': 'the %s program failed on the host (rc %s)' % (self.MODULE, res.get('rc')),
            'rc': res.get('rc'),
            'module_stdout': res.get('stdout', ''),
            'module_stderr': res.get('stderr', ''),
        }
        return [dict(failure) for _call in calls]


def host_state_defaults():
    """host_state's parameters when a task gives none (what a plan's read starts from)."""
    module_utils = importlib.import_module(host_reads.HOST_STATE)
    return ArgumentSpecValidator(_host_spec(module_utils.ARGUMENT_SPEC)).validate({}).validated_parameters
