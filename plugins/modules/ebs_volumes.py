#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ebs_volumes
version_added: 0.2.0
short_description: Make an EC2 instance's EBS data volumes follow their declaration
description:
  - Compares the EBS volumes attached to one instance, by device name, with the declared list and
    converges them, every run.
  - A declared volume missing from the instance is created (encrypted, in the instance's
    availability zone, with O(tags)) and attached.
  - A larger declared size, another volume type, IOPS or throughput is applied in place with
    C(ModifyVolume); with O(wait=true) the module returns once the modification is C(optimizing)
    or C(completed), when the instance sees the new size (the file system still has to grow,
    see M(pacsops.server.data_volumes)).
  - A smaller declared size, or a type change EBS cannot make in place (from or to the
    previous-generation C(standard) type), fails the module before any change, naming the volume.
  - Every declared volume gets the keys of O(tags) with their values (tags changed by hand are set
    back); other tags on the volume are kept.
  - Attached volumes that are not declared (the root volume, volumes added by hand) are left alone.
  - Supports check mode (the C(actions) result lists what would be done) and diff mode.
author:
  - pacsops maintainers (@pacsops)
options:
  instance_id:
    description: ID of the instance whose volumes are managed.
    type: str
    required: true
  volumes:
    description: The declared data volumes.
    type: list
    elements: dict
    required: true
    suboptions:
      device_name:
        description: Device name of the attachment, for example C(/dev/sdf); identifies the volume.
        type: str
        required: true
      name:
        description: Short name used in messages and results (for example C(home)).
        type: str
      size:
        description: Size in GiB. May grow; a smaller size than the volume's is refused.
        type: int
        required: true
      volume_type:
        description: EBS volume type.
        type: str
        default: gp3
        choices: [gp2, gp3, io1, io2, st1, sc1, standard]
      iops:
        description: Provisioned IOPS (gp3, io1, io2; required for io1 and io2). Unset keeps the volume's value.
        type: int
      throughput:
        description: Throughput in MiB/s (gp3 only). Unset keeps the volume's value.
        type: int
      mount_point:
        description: Not used on AWS; returned with the volume for the host side (M(pacsops.server.data_volumes)).
        type: str
      fs_type:
        description: Not used on AWS; returned with the volume for the host side.
        type: str
      label:
        description: Not used on AWS; returned with the volume for the host side.
        type: str
      mount_options:
        description: Not used on AWS; returned with the volume for the host side.
        type: list
        elements: str
  tags:
    description: Tags every declared volume carries (values restored when changed by hand).
    type: dict
    default: {}
  kms_key_id:
    description: KMS key for volumes the module creates; empty uses the account's default EBS key.
    type: str
    default: ""
  wait:
    description: Wait for new volumes to attach and for modifications to reach C(optimizing).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each volume.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Grow /home to 750 GiB and add a 2 TiB image store
  pacsops.server.ebs_volumes:
    instance_id: i-0123456789abcdef0
    volumes:
      - device_name: /dev/sdf
        name: home
        size: 750
      - device_name: /dev/sdg
        name: images
        size: 2048
        volume_type: gp3
        throughput: 250
    tags:
      backup_policy: ipacs-prod-daily
  register: data_volumes
"""

RETURN = r"""
volumes:
  description: The declared volumes after the run (in check mode, as they would be), in declaration order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The declared name.
      type: str
      sample: home
    device_name:
      description: Device name of the attachment.
      type: str
      sample: /dev/sdf
    volume_id:
      description: Volume ID; null for a volume that would be created in check mode.
      type: str
      sample: vol-0123456789abcdef0
    size:
      description: Size, GiB.
      type: int
      sample: 750
    volume_type:
      description: Volume type.
      type: str
      sample: gp3
    iops:
      description: IOPS (null for types without provisioned IOPS).
      type: int
      sample: 3000
    throughput:
      description: Throughput, MiB/s (gp3 only).
      type: int
      sample: 125
    encrypted:
      description: Whether the volume is encrypted.
      type: bool
      sample: true
    availability_zone:
      description: Availability zone of the volume.
      type: str
      sample: eu-central-1a
    tags:
      description: Tags of the volume.
      type: dict
      sample: {"backup_policy": "ipacs-prod-daily"}
    mount_point:
      description: The declared mount point (passed through for the host side).
      type: str
      sample: /home
    fs_type:
      description: The declared file system (passed through).
      type: str
      sample: xfs
    label:
      description: The declared label (passed through).
      type: str
      sample: home
    mount_options:
      description: The declared mount options (passed through).
      type: list
      elements: str
      sample: [defaults]
host_volumes:
  description:
    - The volumes with a mount point, with only the keys M(pacsops.server.data_volumes) takes (name, volume_id,
      device_name, mount_point, fs_type, label, mount_options); C(volume_id) is missing for a volume that would be
      created in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "home", "volume_id": "vol-0123456789abcdef0", "device_name": "/dev/sdf", "mount_point": "/home"}]
actions:
  description: One line per change made (in check mode, per change that would be made).
  returned: always
  type: list
  elements: str
  sample: ["modify data volume 'home' (/dev/sdf, vol-0123456789abcdef0): Size 750"]
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.pacsops.server.plugins.module_utils import ebs_volumes

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

POLL_SECONDS = 5


def read_state(module, client):
    instance_id = module.params["instance_id"]
    try:
        reservations = client.describe_instances(InstanceIds=[instance_id])["Reservations"]
        instances = [i for r in reservations for i in r["Instances"]]
        if not instances:
            module.fail_json(msg=f"instance {instance_id} not found")
        instance = instances[0]
        ids = [m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", []) if "Ebs" in m]
        volumes = client.describe_volumes(VolumeIds=ids)["Volumes"] if ids else []
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Could not read instance {instance_id} and its volumes")
    return instance, volumes


def read_modifications(module, client, volume_ids):
    try:
        return client.describe_volumes_modifications(VolumeIds=volume_ids)["VolumesModifications"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Could not read the modifications of {', '.join(volume_ids)}")


def wait_for(module, check, what):
    """Polls check() until it returns True or wait_timeout passes."""
    deadline = time.monotonic() + module.params["wait_timeout"]
    while not check():
        if time.monotonic() > deadline:
            module.fail_json(msg=f"timed out after {module.params['wait_timeout']} s waiting for {what}")
        time.sleep(POLL_SECONDS)


def create_and_attach(module, client, item):
    spec, view = item["spec"], item["view"]
    params = ebs_volumes.create_volume_params(spec, view, module.params["tags"], module.params["kms_key_id"])
    volume_id = client.create_volume(**params)["VolumeId"]
    view["volume_id"] = volume_id

    def state():
        return client.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["State"]

    wait_for(module, lambda: state() == "available", f"{ebs_volumes.label(spec, volume_id)} to be available")
    client.attach_volume(Device=spec["device_name"], InstanceId=module.params["instance_id"], VolumeId=volume_id)
    if module.params["wait"]:
        wait_for(module, lambda: state() == "in-use", f"{ebs_volumes.label(spec, volume_id)} to be attached")


def modify(module, client, item):
    volume_id = item["volume_id"]
    client.modify_volume(VolumeId=volume_id, **item["changes"])
    if not module.params["wait"]:
        return

    def usable():
        mods = client.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
        newest = sorted(mods, key=lambda m: str(m.get("StartTime", "")))[-1]
        try:
            return ebs_volumes.modification_done(newest)
        except ValueError as e:
            module.fail_json(msg=f"EBS could not modify {ebs_volumes.label(item['spec'], volume_id)}: {e}")

    wait_for(module, usable, f"{ebs_volumes.label(item['spec'], volume_id)} to reach optimizing")


def apply(module, client, the_plan):
    try:
        for item in the_plan["modify"]:
            modify(module, client, item)
        for item in the_plan["tag"]:
            client.create_tags(
                Resources=[item["volume_id"]],
                Tags=[{"Key": k, "Value": v} for k, v in sorted(item["tags"].items())],
            )
        for item in the_plan["create"]:
            create_and_attach(module, client, item)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Could not converge the data volumes")


def main():
    volume_spec = dict(
        device_name=dict(type="str", required=True),
        name=dict(type="str"),
        size=dict(type="int", required=True),
        volume_type=dict(type="str", default="gp3", choices=["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"]),
        iops=dict(type="int"),
        throughput=dict(type="int"),
        mount_point=dict(type="str"),
        fs_type=dict(type="str"),
        label=dict(type="str"),
        mount_options=dict(type="list", elements="str"),
    )
    argument_spec = dict(
        instance_id=dict(type="str", required=True),
        volumes=dict(type="list", elements="dict", required=True, options=volume_spec),
        tags=dict(type="dict", default={}),
        kms_key_id=dict(type="str", default="", no_log=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    specs = module.params["volumes"]
    tags = {str(k): str(v) for k, v in module.params["tags"].items()}
    module.params["tags"] = tags

    errors = ebs_volumes.validate_specs(specs)
    if errors:
        module.fail_json(msg="; ".join(errors))

    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    instance, volumes = read_state(module, client)
    the_plan = ebs_volumes.plan(specs, tags, instance, volumes)
    if the_plan["modify"]:
        # Only when something must change: the re-run of a converged instance stays two calls.
        ids = [item["volume_id"] for item in the_plan["modify"]]
        the_plan = ebs_volumes.plan(specs, tags, instance, volumes, read_modifications(module, client, ids))
    if the_plan["refusals"]:
        module.fail_json(msg="; ".join(the_plan["refusals"]), refusals=the_plan["refusals"], changed=False)

    result = {
        "changed": ebs_volumes.changed(the_plan),
        "actions": ebs_volumes.summary(the_plan),
        "volumes": the_plan["volumes"],
    }
    if module._diff and result["changed"]:
        result["diff"] = {"before": the_plan["before"], "after": the_plan["after"]}
    if result["changed"] and not module.check_mode:
        apply(module, client, the_plan)
        instance, volumes = read_state(module, client)
        by_id = {v["VolumeId"]: v for v in volumes}
        result["volumes"] = [
            ebs_volumes.volume_view(by_id[view["volume_id"]], view["device_name"], view["name"])
            if view["volume_id"] in by_id else view
            for view in the_plan["volumes"]
        ]
    host_keys = ("mount_point", "fs_type", "label", "mount_options")
    for view, spec in zip(result["volumes"], specs):
        view.update({k: spec.get(k) for k in host_keys})
    # What pacsops.server.data_volumes takes, for the volumes that have a mount point.
    result["host_volumes"] = [
        {k: v for k, v in view.items() if k in ("name", "volume_id", "device_name") + host_keys and v is not None}
        for view in result["volumes"] if view.get("mount_point")
    ]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
