# -*- coding: utf-8 -*-
# Copyright (c) 2026 pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: role_summary
type: aggregate
short_description: One line per role at the end of a run, with its task results and wall time
version_added: 0.2.0
description:
  - At the end of a playbook run, prints one line per role (in the order the roles first ran)
    with the number of task results that were ok, changed, failed and skipped (and ignored or
    unreachable when there were any), summed over all hosts, and the role's wall time.
  - A role's wall time is the sum of the wall times of its tasks and handlers, each measured from
    the task's start to the start of the next task (or the end of the run).
  - Tasks outside any role are counted under C((play)).
  - Enable it with C(callbacks_enabled = pacsops.server.role_summary) in C(ansible.cfg) or
    E(ANSIBLE_CALLBACKS_ENABLED); C(tools/demo.sh) does so for C(make demo).
options:
  path:
    description:
      - Also write the summary lines to this file on the controller (replaced on every run), so a
        wrapper script can print them later, for example after a report.
    type: path
    env:
      - name: PACSOPS_ROLE_SUMMARY_PATH
    ini:
      - section: callback_role_summary
        key: path
"""

import time

from ansible.plugins.callback import CallbackBase

NO_ROLE = "(play)"
COUNTERS = ("ok", "changed", "failed", "skipped")
# Shown only when not zero.
RARE_COUNTERS = ("ignored", "unreachable")


def role_name(task):
    """The role a task belongs to, without the collection prefix, or NO_ROLE."""
    role = getattr(task, "_role", None)
    if role is None:
        return NO_ROLE
    return role.get_name(include_role_fqcn=False)


def format_line(name, counts, seconds, width):
    counters = " ".join(f"{key}={counts[key]}" for key in COUNTERS)
    counters += "".join(f" {key}={counts[key]}" for key in RARE_COUNTERS if counts[key])
    return f"{name:<{width}}  {counters}  {seconds:6.1f}s"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "pacsops.server.role_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, clock=time.monotonic, **kwargs):
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._roles = {}  # name -> {"ok": n, ..., "seconds": s}, in first-run order
        self._current = None  # (role name, start time) of the running task

    def _role(self, name):
        return self._roles.setdefault(name, dict.fromkeys(COUNTERS + RARE_COUNTERS, 0) | {"seconds": 0.0})

    def _close_task(self):
        if self._current is not None:
            name, started = self._current
            self._role(name)["seconds"] += self._clock() - started
            self._current = None

    def _start_task(self, task):
        self._close_task()
        name = role_name(task)
        self._role(name)
        self._current = (name, self._clock())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start_task(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start_task(task)

    def _count(self, result, key):
        self._role(role_name(result._task))[key] += 1

    def v2_runner_on_ok(self, result):
        self._count(result, "changed" if result._result.get("changed", False) else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")

    def summary_lines(self):
        if not self._roles:
            return []
        width = max(len(name) for name in self._roles)
        return [format_line(name, counts, counts["seconds"], width) for name, counts in self._roles.items()]

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        lines = self.summary_lines()
        self._display.banner("ROLE SUMMARY")
        for line in lines:
            self._display.display(line)
        path = self.get_option("path")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in lines))
