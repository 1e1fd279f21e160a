# -*- coding: utf-8 -*-
# Copyright: pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs pacsops.server.ebs_snapshot_policy with the module_defaults of group/amazon.aws.aws too.

ansible-core fills a task's arguments from the module_defaults of the groups that list the module,
and a group's members come only from the collection that defines it: amazon.aws.aws cannot list a
module of this collection. A play that sets `module_defaults: group/amazon.aws.aws: {region: ...}`
expects every AWS module to use it, so this action plugin adds that group's defaults to the
arguments the task does not already have (from the task itself, the module's own defaults or
group/pacsops.server.aws, which all take precedence), then runs the module.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

AMAZON_AWS_GROUP = "group/amazon.aws.aws"


def amazon_aws_group_defaults(module_defaults, resolve):
    """The merged group/amazon.aws.aws entries of a task's module_defaults (a list of dicts, outermost
    first). An entry may be a template that gives the dict ("{{ connection }}"): resolve() templates it."""
    merged = {}
    for defaults in module_defaults or []:
        entry = defaults.get(AMAZON_AWS_GROUP)
        if entry:
            merged.update(resolve(entry) or {})
    return merged


def with_group_defaults(task_args, group_defaults):
    """Task arguments win; the group's defaults only fill what is missing."""
    args = {key: value for key, value in group_defaults.items() if key not in task_args}
    args.update(task_args)
    return args


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        group_defaults = amazon_aws_group_defaults(self._task.module_defaults, self._templar.template)
        args = with_group_defaults(self._task.args, group_defaults)
        result.update(self._execute_module(
            module_name="pacsops.server.ebs_snapshot_policy", module_args=args, task_vars=task_vars))
        return result
