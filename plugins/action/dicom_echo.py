# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs pacsops.server.dicom_echo in the controller's process when the task runs on the controller.

The C-ECHO is usually made from the controller (`delegate_to: localhost`). As a module, that costs an
AnsiballZ build, a new Python and pynetdicom's import on every run: measured 1.7 s on the demo host
for an association of about 10 ms. Here the worker that runs the task opens the association itself,
with the module's own code (module_utils/dicom_association.py: the same options, checks, result and
failures). Everywhere else (another host, become, async, no pynetdicom in the controller's Python)
the module runs as before.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.pacsops.server.plugins.module_utils.dicom_association import (
    ECHO_ARGUMENT_SPEC,
    ECHO_REQUIRED_BY,
    HAS_PYNETDICOM,
    echo_task,
)

MODULE = 'pacsops.server.dicom_echo'


def runs_in_process(transport, become, async_val, has_pynetdicom=HAS_PYNETDICOM):
    """True when the module would run on the controller as the controller's user, so that running its
    code here gives the same result: a local connection, no become, not async, pynetdicom importable."""
    return transport == 'local' and not become and not async_val and has_pynetdicom


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if not runs_in_process(self._connection.transport, self._play_context.become, self._task.async_val):
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(module_name=MODULE, module_args=self._task.args,
                                                             task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        # Bad options fail here as the module's argument parsing fails them (AnsibleActionFail).
        dummy, params = self.validate_argument_spec(ECHO_ARGUMENT_SPEC, required_by=ECHO_REQUIRED_BY)
        result.update(echo_task(params))
        result['invocation'] = dict(module_args=params)
        return result
