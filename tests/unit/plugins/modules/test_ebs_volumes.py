# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for pacsops.server.ebs_volumes.

The module runs against a real botocore EC2 client wrapped in botocore's Stubber: every call is
checked against the EC2 service model and against the exact parameters given here, an
unexpected call (a ModifyVolume in check mode, a change after a refusal) makes the Stubber raise,
and ``assert_no_pending_responses`` proves no expected call was skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from ansible.module_utils import basic

_COLLECTIONS = str(Path(__file__).resolve().parents[4] / ".cache" / "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

# pylint: disable=wrong-import-position
from ansible.module_utils.testing import patch_module_args

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.pacsops.server.plugins.module_utils import ebs_volumes as lib
from ansible_collections.pacsops.server.plugins.modules import ebs_volumes

INSTANCE = "i-0123456789abcdef0"
HOME = "vol-0000000000000000a"
IMAGES = "vol-0000000000000000b"
NEW = "vol-0000000000000000c"
TAGS = {"backup_policy": "ipacs-prod-daily", "Name": "ipacs-prod"}


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture
def ec2(monkeypatch):
    client = boto3.client("ec2", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    stubber = Stubber(client)

    def fake_client(self, service, retry_decorator=None, **kwargs):
        assert service == "ec2"
        return RetryingBotoClientWrapper(client, retry_decorator)

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(ebs_volumes, "POLL_SECONDS", 0)
    with stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def run(args, check_mode=False, diff=True):
    args = dict(args, region="eu-central-1", _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(ExitJson) as exc:
            ebs_volumes.main()
    return exc.value.args[0]


def fail(args, check_mode=False):
    args = dict(args, region="eu-central-1", _ansible_check_mode=check_mode)
    with patch_module_args(args):
        with pytest.raises(FailJson) as exc:
            ebs_volumes.main()
    return exc.value.args[0]


def spec(device="/dev/sdf", name="home", size=500, **extra):
    return dict(device_name=device, name=name, size=size, **extra)


def args(*volumes, tags=None):
    return {"instance_id": INSTANCE, "volumes": list(volumes) or [spec()], "tags": TAGS if tags is None else tags}


def instance(mapped=None):
    mapped = {"/dev/xvda": "vol-00000000000000000", "/dev/sdf": HOME} if mapped is None else mapped
    return {
        "InstanceId": INSTANCE,
        "Placement": {"AvailabilityZone": "eu-central-1a"},
        "BlockDeviceMappings": [{"DeviceName": d, "Ebs": {"VolumeId": v, "Status": "attached"}} for d, v in mapped.items()],
    }


def volume(volume_id=HOME, size=500, vtype="gp3", tags=None, state="in-use", iops=3000, throughput=125):
    body = {
        "VolumeId": volume_id,
        "Size": size,
        "VolumeType": vtype,
        "Encrypted": True,
        "AvailabilityZone": "eu-central-1a",
        "State": state,
        "Tags": [{"Key": k, "Value": v} for k, v in (TAGS if tags is None else tags).items()],
    }
    if iops is not None:
        body["Iops"] = iops
    if throughput is not None and vtype == "gp3":
        body["Throughput"] = throughput
    return body


def expect_read(ec2, mapped=None, volumes=None):
    inst = instance(mapped)
    ec2.add_response("describe_instances", {"Reservations": [{"Instances": [inst]}]}, {"InstanceIds": [INSTANCE]})
    ids = [m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"]]
    root = volume("vol-00000000000000000", size=30)
    ec2.add_response("describe_volumes", {"Volumes": [root] + (volumes or [volume()])}, {"VolumeIds": ids})


def modification(volume_id=HOME, state="optimizing", size=750):
    return {"VolumeId": volume_id, "ModificationState": state, "TargetSize": size, "OriginalSize": 500}


# --- plan ------------------------------------------------------------------------------------

def test_converged_instance_is_two_reads_and_no_change(ec2):
    expect_read(ec2)
    result = run(args())
    assert result["changed"] is False
    assert result["actions"] == []
    assert result["volumes"][0]["volume_id"] == HOME
    assert "diff" not in result
    assert result["host_volumes"] == []


def test_host_volumes_carry_what_the_host_side_takes(ec2):
    expect_read(ec2)
    result = run(args(spec(mount_point="/home", fs_type="xfs", label="home")))
    assert result["host_volumes"] == [
        {"name": "home", "volume_id": HOME, "device_name": "/dev/sdf", "mount_point": "/home", "fs_type": "xfs", "label": "home"}
    ]


def test_grow_modifies_in_place_and_waits_for_optimizing(ec2):
    expect_read(ec2)
    ec2.add_response("describe_volumes_modifications", {"VolumesModifications": []}, {"VolumeIds": [HOME]})
    ec2.add_response("modify_volume", {"VolumeModification": modification(state="modifying")}, {"VolumeId": HOME, "Size": 750})
    ec2.add_response("describe_volumes_modifications", {"VolumesModifications": [modification(state="modifying")]}, {"VolumeIds": [HOME]})
    ec2.add_response("describe_volumes_modifications", {"VolumesModifications": [modification()]}, {"VolumeIds": [HOME]})
    expect_read(ec2, volumes=[volume(size=750)])
    result = run(args(spec(size=750)))
    assert result["changed"] is True
    assert result["actions"] == [f"modify data volume 'home' (/dev/sdf, {HOME}): Size 750"]
    assert result["volumes"][0]["size"] == 750 and result["volumes"][0]["volume_id"] == HOME
    assert result["diff"]["before"]["/dev/sdf"]["size"] == 500
    assert result["diff"]["after"]["/dev/sdf"]["size"] == 750


def test_grow_in_check_mode_reads_only(ec2):
    expect_read(ec2)
    ec2.add_response("describe_volumes_modifications", {"VolumesModifications": []}, {"VolumeIds": [HOME]})
    result = run(args(spec(size=750)), check_mode=True)
    assert result["changed"] is True
    assert result["volumes"][0]["size"] == 750
    assert result["actions"][0].startswith("modify")


def test_shrink_is_refused_before_any_change_naming_the_volume(ec2):
    expect_read(ec2, mapped={"/dev/sdf": HOME, "/dev/sdg": IMAGES}, volumes=[volume(), volume(IMAGES, size=1000, tags={})])
    ec2.add_response("describe_volumes_modifications", {"VolumesModifications": []}, {"VolumeIds": [IMAGES]})
    # images would grow and be tagged, but home's shrink stops everything: no ModifyVolume, no CreateTags
    result = fail(args(spec(size=400), spec("/dev/sdg", "images", 2000)))
    assert result["changed"] is False
    assert result["msg"].startswith(f"data volume 'home' (/dev/sdf, {HOME}) is 500 GiB but declared 400 GiB")
    assert "cannot shrink" in result["msg"]


def test_type_change_to_magnetic_refused(ec2):
    expect_read(ec2)
    result = fail(args(spec(volume_type="standard")))
    assert "data volume 'home'" in result["msg"] and "magnetic" in result["msg"]


def test_modification_in_progress_refused(ec2):
    expect_read(ec2)
    ec2.add_response(
        "describe_volumes_modifications", {"VolumesModifications": [modification(state="modifying")]}, {"VolumeIds": [HOME]}
    )
    result = fail(args(spec(size=750)))
    assert "still being modified" in result["msg"]


def test_failed_modification_fails_naming_the_volume(ec2):
    expect_read(ec2)
    ec2.add_response("describe_volumes_modifications", {"VolumesModifications": []}, {"VolumeIds": [HOME]})
    ec2.add_response("modify_volume", {"VolumeModification": modification(state="modifying")}, {"VolumeId": HOME, "Size": 750})
    failed = dict(modification(state="failed"), StatusMessage="quota exceeded")
    ec2.add_response("describe_volumes_modifications", {"VolumesModifications": [failed]}, {"VolumeIds": [HOME]})
    result = fail(args(spec(size=750)))
    assert result["msg"] == f"EBS could not modify data volume 'home' (/dev/sdf, {HOME}): quota exceeded"


def test_type_iops_throughput_change(ec2):
    expect_read(ec2, volumes=[volume(vtype="gp2", iops=1500, throughput=None)])
    ec2.add_response("describe_volumes_modifications", {"VolumesModifications": []}, {"VolumeIds": [HOME]})
    result = run(args(spec(volume_type="gp3", iops=6000, throughput=500)), check_mode=True)
    assert result["actions"] == [f"modify data volume 'home' (/dev/sdf, {HOME}): Iops 6000, Throughput 500, VolumeType gp3"]


def test_tag_drift_restored_other_tags_kept(ec2):
    drifted = dict(TAGS, backup_policy="none", owner="radiology")
    expect_read(ec2, volumes=[volume(tags=drifted)])
    ec2.add_response(
        "create_tags", {}, {"Resources": [HOME], "Tags": [{"Key": "backup_policy", "Value": "ipacs-prod-daily"}]}
    )
    expect_read(ec2, volumes=[volume(tags=dict(drifted, backup_policy="ipacs-prod-daily"))])
    result = run(args())
    assert result["changed"] is True
    assert result["actions"] == [f"tag data volume 'home' (/dev/sdf, {HOME}): backup_policy"]
    assert result["volumes"][0]["tags"]["owner"] == "radiology"


def test_tag_drift_in_check_mode(ec2):
    expect_read(ec2, volumes=[volume(tags={})])
    result = run(args(), check_mode=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["/dev/sdf"]["tags"] == {}
    assert result["diff"]["after"]["/dev/sdf"]["tags"] == TAGS


def test_new_volume_created_encrypted_in_the_instance_zone_and_attached(ec2):
    expect_read(ec2)
    ec2.add_response(
        "create_volume",
        {"VolumeId": NEW},
        {
            "AvailabilityZone": "eu-central-1a", "Size": 2000, "VolumeType": "gp3", "Encrypted": True, "Throughput": 250,
            "TagSpecifications": [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in sorted(TAGS.items())]}],
        },
    )
    ec2.add_response("describe_volumes", {"Volumes": [volume(NEW, size=2000, state="creating")]}, {"VolumeIds": [NEW]})
    ec2.add_response("describe_volumes", {"Volumes": [volume(NEW, size=2000, state="available")]}, {"VolumeIds": [NEW]})
    ec2.add_response("attach_volume", {"VolumeId": NEW}, {"Device": "/dev/sdg", "InstanceId": INSTANCE, "VolumeId": NEW})
    ec2.add_response("describe_volumes", {"Volumes": [volume(NEW, size=2000, state="in-use")]}, {"VolumeIds": [NEW]})
    mapped = {"/dev/xvda": "vol-00000000000000000", "/dev/sdf": HOME, "/dev/sdg": NEW}
    expect_read(ec2, mapped=mapped, volumes=[volume(), volume(NEW, size=2000)])
    result = run(args(spec(), spec("/dev/sdg", "images", 2000, throughput=250)))
    assert result["changed"] is True
    assert [v["volume_id"] for v in result["volumes"]] == [HOME, NEW]
    assert result["actions"] == ["create data volume 'images' (/dev/sdg): 2000 GiB gp3, attach to the instance"]


def test_new_volume_in_check_mode_has_no_id(ec2):
    expect_read(ec2)
    result = run(args(spec(), spec("/dev/sdg", "images", 2000)), check_mode=True)
    assert result["changed"] is True
    assert result["volumes"][1]["volume_id"] is None
    assert result["diff"]["after"]["/dev/sdg"]["size"] == 2000


def test_bad_declaration_fails_before_any_call(ec2):
    result = fail(args(spec(iops=3000, volume_type="gp2"), spec(size=100, volume_type="st1")))
    assert "iops applies to gp3, io1, io2 only, not gp2" in result["msg"]
    assert "declared twice" in result["msg"]
    assert "a st1 volume is at least 125 GiB" in result["msg"]


# --- pure helpers --------------------------------------------------------------------------

def test_unset_iops_keeps_the_current_value():
    current = lib.volume_view(volume(iops=6000), "/dev/sdf", "home")
    assert lib.desired_view(spec(volume_type="gp3"), {}, current)["iops"] == 6000


def test_io2_needs_iops():
    assert lib.validate_specs([spec(volume_type="io2")]) == ["data volume 'home' (/dev/sdf): a io2 volume needs iops"]


def test_modification_done_states():
    assert lib.modification_done({"ModificationState": "optimizing"})
    assert lib.modification_done({"ModificationState": "completed"})
    assert not lib.modification_done({"ModificationState": "modifying"})
    with pytest.raises(ValueError):
        lib.modification_done({"ModificationState": "failed"})
