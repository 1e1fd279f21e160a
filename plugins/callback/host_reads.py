# -*- coding: utf-8 -*-
# Copyright (c) 2026 pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_reads
type: aggregate
short_description: Lets pacsops.server.host_state read a host once per run while nothing has changed it
version_added: 0.2.0
description:
  - Counts, per host, the task results that may have changed the host; changed, failed (also with
    C(ignore_errors)) and unreachable results. A changed result of a delegated task counts for every host.
  - M(pacsops.server.host_state) uses the count. While it is zero on a host, the first host_state task
    reads, besides its own request, what the host's host_state tasks asked for in earlier runs (the host's
    plan, in O(plan_dir)). The later host_state tasks are answered from that read as long as the count has
    not changed, without a remote call. After any change they read the host again.
  - On a converged host the host playbook then reads the host once instead of once per role.
  - Without this callback every host_state task reads the host.
  - It prints nothing. Enable it with C(callbacks_enabled = pacsops.server.host_reads) in C(ansible.cfg);
    this repository's C(ansible.cfg) does so for C(make demo) and the tests.
options:
  plan_dir:
    description:
      - Where the plans are kept on the controller, one small JSON file per host (names hashed) listing the
        paths, units, packages, users, groups and interfaces its host_state tasks asked for. A plan only
        says what to read at once; a missing or stale one makes the first read smaller or larger, never
        a result wrong.
      - Default C(pacsops/host_reads) under the Ansible home directory (E(ANSIBLE_HOME), C(~/.ansible)).
    type: path
    env:
      - name: PACSOPS_HOST_READS_PLAN_DIR
    ini:
      - section: callback_host_reads
        key: plan_dir
notes:
  - A task that changes a host but reports C(changed=false) (for example a C(command) with
    C(changed_when=false)) is not counted. Do not place such a task between two host_state tasks that
    read what it changes, or report its change.
"""

import os

from ansible import constants as C
from ansible.plugins.callback import CallbackBase

from ansible_collections.pacsops.server.plugins.plugin_utils import host_reads


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "pacsops.server.host_reads"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = host_reads.Tracker(os.path.join(C.ANSIBLE_HOME, "pacsops", "host_reads"))
        # Workers are forked from this process: each sees the counts as they were when its task started.
        host_reads.TRACKER = self.tracker

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        if self.get_option("plan_dir"):
            self.tracker.plan_dir = self.get_option("plan_dir")

    def _note(self, result):
        # ansible-core 2.19 names them host and task; the older names are deprecated there.
        host = getattr(result, "host", None) or result._host
        task = getattr(result, "task", None) or result._task
        self.tracker.note(host.get_name(), everywhere=bool(getattr(task, "delegate_to", None)))

    def v2_runner_on_ok(self, result):
        if result._result.get("changed", False):
            self._note(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._note(result)

    def v2_runner_on_unreachable(self, result):
        self._note(result)
