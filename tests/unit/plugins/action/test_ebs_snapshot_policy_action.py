# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin's merge: group/amazon.aws.aws defaults fill only what the task lacks."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.action import ebs_snapshot_policy as action


def test_group_defaults_merged_outermost_first():
    module_defaults = [
        {"group/amazon.aws.aws": {"region": "eu-west-1", "profile": "site"}},
        {"ansible.builtin.copy": {"mode": "0644"}},
        {"group/amazon.aws.aws": {"region": "eu-west-3"}},  # an inner block overrides the play
    ]
    assert action.amazon_aws_group_defaults(module_defaults, dict) == {"region": "eu-west-3", "profile": "site"}
    assert action.amazon_aws_group_defaults(None, dict) == {}


def test_group_defaults_given_as_a_template():
    # module_defaults: {group/amazon.aws.aws: "{{ connection }}"}, as roles/aws_instance does
    variables = {"connection": {"region": "eu-central-1", "endpoint_url": "http://127.0.0.1:1"}}

    def resolve(value):
        return variables[value.strip("{} ")] if isinstance(value, str) else value

    module_defaults = [{"group/amazon.aws.aws": "{{ connection }}"}]
    assert action.amazon_aws_group_defaults(module_defaults, resolve) == variables["connection"]


def test_task_arguments_win():
    args = action.with_group_defaults({"name": "daily", "region": "ca-central-1"},
                                      {"region": "eu-west-3", "endpoint_url": "http://127.0.0.1:1"})
    assert args == {"name": "daily", "region": "ca-central-1", "endpoint_url": "http://127.0.0.1:1"}
