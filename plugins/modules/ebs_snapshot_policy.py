#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ebs_snapshot_policy
version_added: 0.1.0
short_description: Manage a daily EBS snapshot policy in Amazon Data Lifecycle Manager
description:
  - Creates, updates, enables, disables or deletes an Amazon Data Lifecycle Manager (DLM)
    policy of type C(EBS_SNAPSHOT_MANAGEMENT) that snapshots the volumes (or instances) carrying
    the given tags once a day at a fixed UTC time and keeps a fixed number of snapshots.
  - DLM policies have no name; the module identifies the policy by its description, O(name).
    Two snapshot policies with the same description make the module fail instead of guessing.
  - The module owns the whole policy; an update replaces the policy details with exactly one
    daily schedule built from the options (extra schedules, cross-region copies or fast snapshot
    restore set elsewhere are removed).
  - Supports check mode and diff mode (the diff shows the policy before and after, flattened).
author:
  - pacsops maintainers (@pacsops)
options:
  name:
    description:
      - The policy's description, used as its name. Letters, digits, spaces, C(_) and C(-) only.
    type: str
    required: true
  state:
    description:
      - V(enabled) and V(disabled) create or update the policy in that DLM state.
      - V(absent) deletes the policy.
    type: str
    choices: [enabled, disabled, absent]
    default: enabled
  execution_role_arn:
    description:
      - ARN of the IAM role DLM assumes to create and delete snapshots, for example a role trusting
        C(dlm.amazonaws.com) with the managed policy C(service-role/AWSDataLifecycleManagerServiceRole).
      - Required unless O(state=absent).
    type: str
  resource_type:
    description:
      - V(VOLUME) snapshots each tagged volume; V(INSTANCE) takes a multi-volume snapshot set of each
        tagged instance.
    type: str
    choices: [VOLUME, INSTANCE]
    default: VOLUME
  target_tags:
    description:
      - Tags (key/value) that select the resources to snapshot. Required unless O(state=absent).
    type: dict
  schedule_name:
    description:
      - Name of the policy's single schedule.
    type: str
    default: daily
  snapshot_time:
    description:
      - Time of day (UTC, C(HH:MM)) when DLM starts the daily snapshots; DLM starts them within the
        following hour.
    type: str
    default: "03:00"
  retain_count:
    description:
      - Number of snapshots to keep per resource (1-1000); with a daily schedule, the days of history.
    type: int
    default: 7
  copy_tags:
    description:
      - Copy the source resource's tags to its snapshots.
    type: bool
    default: true
  tags_to_add:
    description:
      - Tags added to every snapshot the policy creates.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - The policy's tags (O(tags), O(purge_tags)) are tags on the DLM policy itself, not on snapshots;
    see O(tags_to_add) and O(copy_tags) for those.
"""

EXAMPLES = r"""
- name: Snapshot the iPACS volumes every day at 03:00 UTC and keep a week of snapshots
  pacsops.server.ebs_snapshot_policy:
    name: ipacs-prod daily snapshots
    execution_role_arn: arn:aws:iam::123456789012:role/ipacs-prod-dlm
    resource_type: VOLUME
    target_tags:
      backup_policy: ipacs-prod-daily
    snapshot_time: "03:00"
    retain_count: 7
    tags_to_add:
      created_by: dlm
    tags:
      environment: prod

- name: Pause the policy (snapshots already taken are kept)
  pacsops.server.ebs_snapshot_policy:
    name: ipacs-prod daily snapshots
    state: disabled
    execution_role_arn: arn:aws:iam::123456789012:role/ipacs-prod-dlm
    target_tags:
      backup_policy: ipacs-prod-daily

- name: Delete the policy
  pacsops.server.ebs_snapshot_policy:
    name: ipacs-prod daily snapshots
    state: absent
"""

RETURN = r"""
policy_id:
  description: ID of the policy; null when it does not exist or would only be created in check mode.
  returned: always
  type: str
  sample: policy-0123456789abcdef0
policy:
  description:
    - The policy after the module ran (in check mode, as it would be), flattened; empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: The policy's description.
      type: str
      sample: ipacs-prod daily snapshots
    state:
      description: V(enabled) or V(disabled) (DLM may also report V(error)).
      type: str
      sample: enabled
    execution_role_arn:
      description: ARN of the role DLM uses.
      type: str
      sample: arn:aws:iam::123456789012:role/ipacs-prod-dlm
    resource_type:
      description: V(VOLUME) or V(INSTANCE).
      type: str
      sample: VOLUME
    target_tags:
      description: Tags that select the resources.
      type: dict
      sample: {"backup_policy": "ipacs-prod-daily"}
    schedule_name:
      description: Name of the (first) schedule.
      type: str
      sample: daily
    schedule_count:
      description: Number of schedules in the policy (1 after the module changed it).
      type: int
      sample: 1
    interval_hours:
      description: Hours between snapshots (24 for daily).
      type: int
      sample: 24
    snapshot_time:
      description: Start time, UTC.
      type: str
      sample: "03:00"
    retain_count:
      description: Snapshots kept per resource.
      type: int
      sample: 7
    copy_tags:
      description: Whether source tags are copied to snapshots.
      type: bool
      sample: true
    tags_to_add:
      description: Tags added to every snapshot.
      type: dict
      sample: {"created_by": "dlm"}
    tags:
      description: Tags on the policy.
      type: dict
      sample: {"environment": "prod"}
    policy_arn:
      description: ARN of the policy (not in check mode when the policy would be created).
      type: str
      sample: arn:aws:dlm:eu-central-1:123456789012:policy/policy-0123456789abcdef0
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.pacsops.server.plugins.module_utils import aws_dlm

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule


def read_current(module, client):
    """The existing policy (DLM 'Policy' dict) named module.params['name'], or None."""
    name = module.params["name"]
    try:
        ids = aws_dlm.find_policy_ids(client, name)
        if len(ids) > 1:
            module.fail_json(msg=f"{len(ids)} DLM snapshot policies are named {name!r}: {', '.join(ids)}", policy_ids=ids)
        if not ids:
            return None
        return aws_dlm.get_policy(client, ids[0])
    except is_boto3_error_code("ResourceNotFoundException"):
        # deleted between the list and the read
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not read DLM policy {name!r}")


def ensure_absent(module, client, current):
    result = {"changed": False, "policy_id": None, "policy": {}}
    if current is None:
        return result
    result["changed"] = True
    if module._diff:
        result["diff"] = {"before": aws_dlm.policy_to_view(current), "after": {}}
    if not module.check_mode:
        try:
            aws_dlm.delete_policy(client, current["PolicyId"])
        except is_boto3_error_code("ResourceNotFoundException"):
            pass
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg=f"Could not delete DLM policy {current['PolicyId']}")
    return result


def ensure_present(module, client, current):
    params = module.params
    before = aws_dlm.policy_to_view(current) if current else {}
    after = aws_dlm.desired_view(params, before.get("tags"))
    policy_id = current["PolicyId"] if current else None
    result = {"changed": False, "policy_id": policy_id}

    try:
        if current is None:
            result["changed"] = True
            if not module.check_mode:
                policy_id = aws_dlm.create_policy(client, after)
        else:
            if aws_dlm.policy_changed(before, after):
                result["changed"] = True
                if not module.check_mode:
                    aws_dlm.update_policy(client, policy_id, after)
            tags_to_set, tags_to_remove = compare_aws_tags(before["tags"], after["tags"], purge_tags=True)
            if tags_to_set or tags_to_remove:
                result["changed"] = True
                if not module.check_mode:
                    aws_dlm.update_tags(client, current["PolicyArn"], tags_to_set, tags_to_remove)
        if result["changed"] and not module.check_mode:
            current = aws_dlm.get_policy(client, policy_id)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Could not create or update DLM policy {params['name']!r}")

    if current is not None and not (module.check_mode and result["changed"]):
        policy = aws_dlm.policy_to_view(current)
        policy["policy_arn"] = current.get("PolicyArn")
    else:
        policy = dict(after)
    result["policy_id"] = policy_id
    result["policy"] = policy
    if module._diff and result["changed"]:
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="enabled", choices=["enabled", "disabled", "absent"]),
        execution_role_arn=dict(type="str"),
        resource_type=dict(type="str", default="VOLUME", choices=["VOLUME", "INSTANCE"]),
        target_tags=dict(type="dict"),
        schedule_name=dict(type="str", default="daily"),
        snapshot_time=dict(type="str", default="03:00"),
        retain_count=dict(type="int", default=7),
        copy_tags=dict(type="bool", default=True),
        tags_to_add=dict(type="dict", default={}),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[
            ("state", "enabled", ["execution_role_arn", "target_tags"]),
            ("state", "disabled", ["execution_role_arn", "target_tags"]),
        ],
        supports_check_mode=True,
    )

    # Inputs DLM would reject fail here, before the first API call.
    errors = aws_dlm.validate_params(module.params)
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client("dlm", retry_decorator=AWSRetry.jittered_backoff())
    current = read_current(module, client)
    if module.params["state"] == "absent":
        result = ensure_absent(module, client, current)
    else:
        result = ensure_present(module, client, current)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
