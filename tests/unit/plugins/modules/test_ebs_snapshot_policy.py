# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for pacsops.server.ebs_snapshot_policy.

moto 5.2.5 answers every DLM call with HTTP 500, so the module runs against a real botocore DLM
client wrapped in botocore's Stubber: each expected call is checked against the DLM service
model (operation, parameter names, types, patterns) and against the exact parameters given here,
and ``assert_no_pending_responses`` proves no expected call was skipped. An unexpected call
(for instance a create in check mode) makes the Stubber raise.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from ansible.module_utils import basic

# The collection is linked at .cache/collections by tools/bootstrap.sh; find it without PYTHONPATH too.
_COLLECTIONS = str(Path(__file__).resolve().parents[4] / ".cache" / "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

# pylint: disable=wrong-import-position
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.pacsops.server.plugins.modules import ebs_snapshot_policy

ROLE_ARN = "arn:aws:iam::123456789012:role/ipacs-dlm"
POLICY_ID = "policy-0123456789abcdef0"
POLICY_ARN = f"arn:aws:dlm:eu-central-1:123456789012:policy/{POLICY_ID}"
NAME = "ipacs-prod daily snapshots"


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture
def dlm(monkeypatch):
    """A stubbed DLM client that the module gets from AnsibleAWSModule.client()."""
    client = boto3.client(
        "dlm",
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stubber = Stubber(client)

    def fake_client(self, service, retry_decorator=None, **kwargs):
        assert service == "dlm"
        return RetryingBotoClientWrapper(client, retry_decorator)

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    with stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def run(args, check_mode=False, diff=True):
    args = dict(args, region="eu-central-1", _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(ExitJson) as exc:
            ebs_snapshot_policy.main()
    return exc.value.args[0]


def fail(args):
    args = dict(args, region="eu-central-1")
    with patch_module_args(args):
        with pytest.raises(FailJson) as exc:
            ebs_snapshot_policy.main()
    return exc.value.args[0]


def module_args(**overrides):
    args = {
        "name": NAME,
        "execution_role_arn": ROLE_ARN,
        "resource_type": "INSTANCE",
        "target_tags": {"backup_policy": "ipacs-prod-daily"},
        "snapshot_time": "03:00",
        "retain_count": 7,
        "tags_to_add": {"created_by": "dlm"},
        "tags": {"environment": "prod"},
    }
    args.update(overrides)
    return args


def policy_details(time="03:00", count=7, resource="INSTANCE"):
    return {
        "PolicyType": "EBS_SNAPSHOT_MANAGEMENT",
        "ResourceTypes": [resource],
        "TargetTags": [{"Key": "backup_policy", "Value": "ipacs-prod-daily"}],
        "Schedules": [
            {
                "Name": "daily",
                "CopyTags": True,
                "TagsToAdd": [{"Key": "created_by", "Value": "dlm"}],
                "CreateRule": {"Interval": 24, "IntervalUnit": "HOURS", "Times": [time]},
                "RetainRule": {"Count": count},
            }
        ],
    }


def aws_policy(state="ENABLED", tags=None, **details):
    """A policy as GetLifecyclePolicy returns it (DLM adds Location/ResourceLocations)."""
    body = policy_details(**details)
    body["ResourceLocations"] = ["CLOUD"]
    body["Schedules"][0]["CreateRule"]["Location"] = "CLOUD"
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    return {
        "PolicyId": POLICY_ID,
        "Description": NAME,
        "State": state,
        "ExecutionRoleArn": ROLE_ARN,
        "DateCreated": now,
        "DateModified": now,
        "PolicyDetails": body,
        "Tags": {"environment": "prod"} if tags is None else tags,
        "PolicyArn": POLICY_ARN,
    }


def expect_list(stubber, found=True, extra=()):
    policies = list(extra)
    if found:
        policies.append(
            {"PolicyId": POLICY_ID, "Description": NAME, "State": "ENABLED", "PolicyType": "EBS_SNAPSHOT_MANAGEMENT"}
        )
    stubber.add_response("get_lifecycle_policies", {"Policies": policies}, {})


def expect_get(stubber, policy):
    stubber.add_response("get_lifecycle_policy", {"Policy": policy}, {"PolicyId": POLICY_ID})


def test_create(dlm):
    expect_list(dlm, found=False, extra=[{"PolicyId": "policy-other", "Description": "other", "State": "ENABLED"}])
    dlm.add_response(
        "create_lifecycle_policy",
        {"PolicyId": POLICY_ID},
        {
            "ExecutionRoleArn": ROLE_ARN,
            "Description": NAME,
            "State": "ENABLED",
            "PolicyDetails": policy_details(),
            "Tags": {"environment": "prod"},
        },
    )
    expect_get(dlm, aws_policy())
    result = run(module_args())
    assert result["changed"] is True
    assert result["policy_id"] == POLICY_ID
    assert result["policy"]["snapshot_time"] == "03:00"
    assert result["policy"]["retain_count"] == 7
    assert result["policy"]["policy_arn"] == POLICY_ARN
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["target_tags"] == {"backup_policy": "ipacs-prod-daily"}


def test_create_check_mode_makes_no_change(dlm):
    expect_list(dlm, found=False)
    result = run(module_args(), check_mode=True)
    assert result["changed"] is True
    assert result["policy_id"] is None
    assert result["policy"]["state"] == "enabled"
    assert result["diff"]["after"]["interval_hours"] == 24


def test_no_op(dlm):
    expect_list(dlm)
    expect_get(dlm, aws_policy())
    result = run(module_args())
    assert result["changed"] is False
    assert "diff" not in result
    assert result["policy_id"] == POLICY_ID
    assert result["policy"]["tags"] == {"environment": "prod"}


def test_no_op_check_mode(dlm):
    expect_list(dlm)
    expect_get(dlm, aws_policy())
    assert run(module_args(), check_mode=True)["changed"] is False


def test_update_schedule_retention_state_and_tags(dlm):
    expect_list(dlm)
    expect_get(dlm, aws_policy(time="01:30", count=3, tags={"environment": "test", "old": "x"}))
    dlm.add_response(
        "update_lifecycle_policy",
        {},
        {
            "PolicyId": POLICY_ID,
            "ExecutionRoleArn": ROLE_ARN,
            "State": "DISABLED",
            "Description": NAME,
            "PolicyDetails": policy_details(time="04:15", count=14),
        },
    )
    dlm.add_response("untag_resource", {}, {"ResourceArn": POLICY_ARN, "TagKeys": ["old"]})
    dlm.add_response("tag_resource", {}, {"ResourceArn": POLICY_ARN, "Tags": {"environment": "prod"}})
    expect_get(dlm, aws_policy(state="DISABLED", time="04:15", count=14))
    result = run(module_args(state="disabled", snapshot_time="04:15", retain_count=14))
    assert result["changed"] is True
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (before["snapshot_time"], after["snapshot_time"]) == ("01:30", "04:15")
    assert (before["retain_count"], after["retain_count"]) == (3, 14)
    assert (before["state"], after["state"]) == ("enabled", "disabled")
    assert (before["tags"], after["tags"]) == ({"environment": "test", "old": "x"}, {"environment": "prod"})
    assert result["policy"]["state"] == "disabled"


def test_update_check_mode_makes_no_change(dlm):
    expect_list(dlm)
    expect_get(dlm, aws_policy(count=3))
    result = run(module_args(), check_mode=True)
    assert result["changed"] is True
    assert result["policy"]["retain_count"] == 7
    assert result["diff"]["before"]["retain_count"] == 3


def test_tags_only_without_purge(dlm):
    expect_list(dlm)
    expect_get(dlm, aws_policy(tags={"owner": "ops"}))
    dlm.add_response("tag_resource", {}, {"ResourceArn": POLICY_ARN, "Tags": {"environment": "prod"}})
    expect_get(dlm, aws_policy(tags={"owner": "ops", "environment": "prod"}))
    result = run(module_args(purge_tags=False))
    assert result["changed"] is True
    assert result["policy"]["tags"] == {"owner": "ops", "environment": "prod"}


def test_delete(dlm):
    expect_list(dlm)
    expect_get(dlm, aws_policy())
    dlm.add_response("delete_lifecycle_policy", {}, {"PolicyId": POLICY_ID})
    result = run({"name": NAME, "state": "absent"})
    assert result["changed"] is True
    assert result["diff"]["after"] == {}
    assert result["diff"]["before"]["name"] == NAME


def test_delete_check_mode_and_absent_no_op(dlm):
    expect_list(dlm)
    expect_get(dlm, aws_policy())
    assert run({"name": NAME, "state": "absent"}, check_mode=True)["changed"] is True
    expect_list(dlm, found=False)
    result = run({"name": NAME, "state": "absent"})
    assert result["changed"] is False
    assert result["policy"] == {}


def test_duplicate_names_fail(dlm):
    expect_list(dlm, extra=[{"PolicyId": "policy-twin", "Description": NAME, "State": "ENABLED"}])
    result = fail(module_args())
    assert "2 DLM snapshot policies" in result["msg"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"snapshot_time": "3:00"}, "snapshot_time must be HH:MM"),
        ({"snapshot_time": "24:00"}, "snapshot_time must be HH:MM"),
        ({"retain_count": 0}, "retain_count must be between 1 and 1000"),
        ({"name": "bad/name"}, "name must match"),
        ({"target_tags": {}}, "target_tags must name at least one tag"),
    ],
)
def test_bad_input_fails_before_any_call(dlm, overrides, message):
    # No response is queued: any DLM call would make the Stubber raise instead of FailJson.
    result = fail(module_args(**overrides))
    assert message in result["msg"]


def test_aws_error_is_reported(dlm):
    dlm.add_client_error("get_lifecycle_policies", service_error_code="AccessDeniedException", http_status_code=403)
    result = fail(module_args())
    assert "Could not read DLM policy" in result["msg"]
    json.dumps(result, default=str)
