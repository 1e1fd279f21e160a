# -*- coding: utf-8 -*-

# Copyright: pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers for Amazon Data Lifecycle Manager (DLM) snapshot policies.

DLM policies have no name: the module uses the policy's Description as its name. A policy is
reduced to a flat "view" (snake_case, one daily schedule) so that the policy read from AWS and
the policy the user asked for compare with ``==`` and read well in a diff.
"""

from __future__ import annotations

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

POLICY_TYPE = "EBS_SNAPSHOT_MANAGEMENT"
# DLM's own patterns (botocore service model): CreateRule.Times and PolicyDescription.
TIME_PATTERN = re.compile(r"^(0[0-9]|1[0-9]|2[0-3]):[0-5][0-9]$")
NAME_PATTERN = re.compile(r"^[0-9A-Za-z _-]{1,500}$")
# The guide asks for daily snapshots; DLM expresses "daily" as every 24 hours.
DAILY_INTERVAL_HOURS = 24
MAX_RETAIN_COUNT = 1000

# Keys of a view that describe the policy itself (tags are compared separately).
POLICY_KEYS = (
    "state",
    "execution_role_arn",
    "resource_type",
    "target_tags",
    "schedule_name",
    "schedule_count",
    "interval_hours",
    "snapshot_time",
    "retain_count",
    "copy_tags",
    "tags_to_add",
)


def validate_params(params):
    """Returns a list of error messages for inputs DLM would reject (checked before any call)."""
    errors = []
    if not NAME_PATTERN.match(params["name"] or ""):
        errors.append(f"name must match [0-9A-Za-z _-]{{1,500}} (DLM description), got {params['name']!r}")
    if params["state"] == "absent":
        return errors
    if not TIME_PATTERN.match(params["snapshot_time"] or ""):
        errors.append(f"snapshot_time must be HH:MM (UTC, 00:00-23:59), got {params['snapshot_time']!r}")
    if not 1 <= params["retain_count"] <= MAX_RETAIN_COUNT:
        errors.append(f"retain_count must be between 1 and {MAX_RETAIN_COUNT}, got {params['retain_count']}")
    if not params["target_tags"]:
        errors.append("target_tags must name at least one tag, or DLM would have nothing to snapshot")
    if not NAME_PATTERN.match(params["schedule_name"] or "") or len(params["schedule_name"]) > 120:
        errors.append(f"schedule_name must match [0-9A-Za-z _-]{{1,120}}, got {params['schedule_name']!r}")
    return errors


def desired_view(params, current_tags=None):
    """The view the module parameters ask for; ``tags`` follows tags/purge_tags semantics."""
    view = {
        "name": params["name"],
        "state": params["state"],
        "execution_role_arn": params["execution_role_arn"],
        "resource_type": params["resource_type"],
        "target_tags": dict(params["target_tags"] or {}),
        "schedule_name": params["schedule_name"],
        "schedule_count": 1,
        "interval_hours": DAILY_INTERVAL_HOURS,
        "snapshot_time": params["snapshot_time"],
        "retain_count": params["retain_count"],
        "copy_tags": params["copy_tags"],
        "tags_to_add": dict(params["tags_to_add"] or {}),
    }
    current_tags = dict(current_tags or {})
    wanted = params.get("tags")
    if wanted is None:
        view["tags"] = current_tags
    elif params.get("purge_tags", True):
        view["tags"] = dict(wanted)
    else:
        view["tags"] = dict(current_tags, **wanted)
    return view


def policy_to_view(policy):
    """Flattens a DLM LifecyclePolicy (get_lifecycle_policy's 'Policy') into a view."""
    details = policy.get("PolicyDetails") or {}
    schedules = details.get("Schedules") or []
    schedule = schedules[0] if schedules else {}
    create_rule = schedule.get("CreateRule") or {}
    interval = create_rule.get("Interval")
    if interval is not None and create_rule.get("IntervalUnit") != "HOURS":
        interval = None
    times = create_rule.get("Times") or [None]
    resource_types = details.get("ResourceTypes") or [None]
    return {
        "name": policy.get("Description"),
        "state": (policy.get("State") or "").lower(),
        "execution_role_arn": policy.get("ExecutionRoleArn"),
        "resource_type": resource_types[0],
        "target_tags": boto3_tag_list_to_ansible_dict(details.get("TargetTags") or []),
        "schedule_name": schedule.get("Name"),
        "schedule_count": len(schedules),
        "interval_hours": interval,
        "snapshot_time": times[0],
        "retain_count": (schedule.get("RetainRule") or {}).get("Count"),
        "copy_tags": bool(schedule.get("CopyTags", False)),
        "tags_to_add": boto3_tag_list_to_ansible_dict(schedule.get("TagsToAdd") or []),
        "tags": dict(policy.get("Tags") or {}),
    }


def view_to_policy_details(view):
    """The PolicyDetails structure create/update_lifecycle_policy take for a view."""
    return {
        "PolicyType": POLICY_TYPE,
        "ResourceTypes": [view["resource_type"]],
        "TargetTags": ansible_dict_to_boto3_tag_list(view["target_tags"]),
        "Schedules": [
            {
                "Name": view["schedule_name"],
                "CopyTags": view["copy_tags"],
                "TagsToAdd": ansible_dict_to_boto3_tag_list(view["tags_to_add"]),
                "CreateRule": {
                    "Interval": view["interval_hours"],
                    "IntervalUnit": "HOURS",
                    "Times": [view["snapshot_time"]],
                },
                "RetainRule": {"Count": view["retain_count"]},
            }
        ],
    }


def policy_changed(before, after):
    """True when the policy body (not its tags) differs between two views."""
    return any(before.get(key) != after.get(key) for key in POLICY_KEYS)


def find_policy_ids(client, name):
    """IDs of the snapshot policies whose Description is ``name`` (GetLifecyclePolicies has no paging)."""
    summaries = client.get_lifecycle_policies(aws_retry=True).get("Policies", [])
    return [
        s["PolicyId"]
        for s in summaries
        if s.get("Description") == name and s.get("PolicyType", POLICY_TYPE) == POLICY_TYPE
    ]


def get_policy(client, policy_id):
    return client.get_lifecycle_policy(PolicyId=policy_id, aws_retry=True)["Policy"]


def create_policy(client, view):
    kwargs = {
        "ExecutionRoleArn": view["execution_role_arn"],
        "Description": view["name"],
        "State": view["state"].upper(),
        "PolicyDetails": view_to_policy_details(view),
    }
    if view["tags"]:
        kwargs["Tags"] = view["tags"]
    return client.create_lifecycle_policy(aws_retry=True, **kwargs)["PolicyId"]


def update_policy(client, policy_id, view):
    client.update_lifecycle_policy(
        PolicyId=policy_id,
        ExecutionRoleArn=view["execution_role_arn"],
        State=view["state"].upper(),
        Description=view["name"],
        PolicyDetails=view_to_policy_details(view),
        aws_retry=True,
    )


def update_tags(client, policy_arn, tags_to_set, tags_to_remove):
    if tags_to_remove:
        client.untag_resource(ResourceArn=policy_arn, TagKeys=list(tags_to_remove), aws_retry=True)
    if tags_to_set:
        client.tag_resource(ResourceArn=policy_arn, Tags=dict(tags_to_set), aws_retry=True)


def delete_policy(client, policy_id):
    client.delete_lifecycle_policy(PolicyId=policy_id, aws_retry=True)
