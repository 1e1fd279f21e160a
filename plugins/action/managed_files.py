# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the templates of pacsops.server.managed_files on the controller, then run the module once."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader

from ansible_collections.pacsops.server.plugins.module_utils.managed_files import known_to_match


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_diff = True

    def render(self, src, task_vars):
        """Render a role template exactly as the ansible.builtin.template lookup does (same search path)."""
        lookup = lookup_loader.get('template', loader=self._loader, templar=self._templar)
        rendered = lookup.run([src], variables=task_vars)
        return str(rendered[0])

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
        module_args['files'] = to_send
        result.update(self._execute_module(module_name='pacsops.server.managed_files',
                                           module_args=module_args, task_vars=task_vars))
        return result
