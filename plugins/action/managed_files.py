# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the templates of pacsops.server.managed_files on the controller, then run the module once."""

from __future__ import annotations

import os
import subprocess

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader

try:  # ansible-core 2.19 and later: render as the template action does
    from ansible.template import trust_as_template
    from ansible._internal._templating._template_vars import generate_ansible_template_vars
except ImportError:  # older: through the template lookup
    trust_as_template = None

from ansible_collections.pacsops.server.plugins.module_utils.managed_files import (
    FILE_OPTIONS, ManagedFilesError, converge, known_to_match)


def run_command(argv):
    """A validate command on the controller: (rc, stdout, stderr), as AnsibleModule.run_command returns them."""
    try:
        process = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        return 127, '', str(exc)
    return process.returncode, process.stdout, process.stderr


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_diff = True

    def render(self, src, task_vars):
        """Render a role template as the ansible.builtin.template action does (same search path and variables).

        Not through the template lookup: it deep-copies every variable of the play for each template (measured
        here: the larger part of a re-run's controller time). A template only reads them, so a shallow copy,
        as the template action makes, is enough.
        """
        if trust_as_template is None:
            lookup = lookup_loader.get('template', loader=self._loader, templar=self._templar)
            return str(lookup.run([src], variables=task_vars)[0])
        # Found where the template lookup finds it: the role's templates/ first (ansible_search_path).
        paths = list(task_vars.get('ansible_search_path') or [self._loader.get_basedir()])
        try:
            source = self._loader.path_dwim_relative_stack(paths, 'templates', src, is_role='role_path' in task_vars)
        except AnsibleError as exc:
            raise AnsibleActionFail(to_text(exc))
        searchpath = [os.path.dirname(source)]
        for path in paths:
            searchpath.extend([os.path.join(path, 'templates'), path])
        variables = task_vars.copy()
        variables.update(generate_ansible_template_vars(
            path=src, fullpath=source, include_ansible_managed='ansible_managed' not in variables))
        templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
        rendered = templar.template(trust_as_template(self._loader.get_text_file_contents(source)), escape_backslashes=False)
        return '' if rendered is None else str(rendered)

    def desired_files(self, files, task_vars):
        if not isinstance(files, list):
            raise AnsibleActionFail('files must be a list of dicts')
        desired = []
        for entry in files:
            if not isinstance(entry, dict):
                raise AnsibleActionFail('files: each entry must be a dict, got %r' % (entry,))
            entry = dict(entry)
            src = entry.pop('src', None)
            if src is not None:
                if entry.get('content') is not None:
                    raise AnsibleActionFail('%s: src and content are mutually exclusive' % entry.get('path'))
                entry['content'] = self.render(src, task_vars)
            desired.append(entry)
        return desired

    def on_controller(self):
        """Whether the files are this process's own: a local connection (delegate_to: localhost) without become."""
        return getattr(self._connection, 'transport', None) == 'local' and not self._connection.become

    def converge_here(self, files):
        """The module's work done in this process, for controller-side files: no module to start.

        The entries are checked against the module's own argument spec first, as the module would.
        """
        checked = ArgumentSpecValidator(dict(files=dict(type='list', elements='dict', options=FILE_OPTIONS))).validate(
            dict(files=files))
        if checked.error_messages:
            raise AnsibleActionFail('; '.join(checked.error_messages))
        try:
            result = converge(checked.validated_parameters['files'], run_command, check_mode=self._task.check_mode)
        except (ManagedFilesError, OSError) as exc:
            raise AnsibleActionFail(to_text(exc))
        diff = result.pop('diff')
        if self._task.diff:
            result['diff'] = diff
        return result

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        module_args = dict(self._task.args)
        known = module_args.pop('current', None) or {}
        if not isinstance(known, dict):
            raise AnsibleActionFail('current must be the files dict of a host_state result')
        desired = self.desired_files(module_args.get('files'), task_vars or {})
        # Files the host_state read already shows as wanted are not sent: on a converged host the
        # task makes no round trip at all.
        to_send = [entry for entry in desired if not known_to_match(entry, known.get(entry.get('path')))]
        if not to_send:
            result.update(changed=False, changed_files=[], files=dict((entry['path'], []) for entry in desired),
                          msg='all files match the state read before')
            return result
        if self.on_controller():
            result.update(self.converge_here(to_send))
            return result
        module_args['files'] = to_send
        result.update(self._execute_module(module_name='pacsops.server.managed_files',
                                           module_args=module_args, task_vars=task_vars))
        return result
