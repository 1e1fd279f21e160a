# -*- coding: utf-8 -*-

# Copyright: pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The plan that makes an instance's EBS data volumes match their declaration.

Pure functions over the dicts EC2 returns (DescribeInstances, DescribeVolumes,
DescribeVolumesModifications): no client here, so the plan is unit-tested without AWS and the
module only runs the plan's calls. Every refusal (shrink, a type change EBS cannot make in place)
is found before the first change, and names the volume.
"""

from __future__ import annotations

# ModifyVolume limits (EC2 User Guide, "Requirements for EBS volume modifications").
THROUGHPUT_TYPES = ("gp3",)
IOPS_TYPES = ("gp3", "io1", "io2")
IOPS_REQUIRED_TYPES = ("io1", "io2")
# st1 and sc1 volumes are at least 125 GiB.
HDD_TYPES = ("st1", "sc1")
HDD_MIN_GIB = 125
# Previous-generation magnetic volumes cannot be modified at all.
UNMODIFIABLE_TYPES = ("standard",)
# A modification is usable (the new size visible to the instance) from "optimizing" on.
MODIFICATION_USABLE = ("optimizing", "completed")
MODIFICATION_FAILED = ("failed",)


def tags_to_dict(tag_list):
    return {t["Key"]: t["Value"] for t in tag_list or []}


def label(spec, volume_id=None):
    """How a message names a volume: its name, device and (when it exists) its ID."""
    text = f"data volume {spec.get('name') or spec['device_name']!r} ({spec['device_name']}"
    if volume_id:
        text += f", {volume_id}"
    return text + ")"


def validate_specs(specs):
    """Errors in the declaration itself (checked before any AWS call)."""
    errors = []
    seen = set()
    for spec in specs:
        name = label(spec)
        if spec["device_name"] in seen:
            errors.append(f"{name}: device_name is declared twice")
        seen.add(spec["device_name"])
        vtype = spec["volume_type"]
        if spec["size"] < 1:
            errors.append(f"{name}: size must be at least 1 GiB, got {spec['size']}")
        if spec.get("iops") is not None and vtype not in IOPS_TYPES:
            errors.append(f"{name}: iops applies to {', '.join(IOPS_TYPES)} only, not {vtype}")
        if spec.get("iops") is None and vtype in IOPS_REQUIRED_TYPES:
            errors.append(f"{name}: a {vtype} volume needs iops")
        if spec.get("throughput") is not None and vtype not in THROUGHPUT_TYPES:
            errors.append(f"{name}: throughput applies to gp3 only, not {vtype}")
        if vtype in HDD_TYPES and spec["size"] < HDD_MIN_GIB:
            errors.append(f"{name}: a {vtype} volume is at least {HDD_MIN_GIB} GiB, got {spec['size']}")
    return errors


def volume_view(volume, device_name, name=None):
    """A volume as the module reports it and diffs it (snake_case, only what it manages)."""
    return {
        "name": name,
        "device_name": device_name,
        "volume_id": volume.get("VolumeId"),
        "size": volume.get("Size"),
        "volume_type": volume.get("VolumeType"),
        "iops": volume.get("Iops"),
        "throughput": volume.get("Throughput"),
        "encrypted": volume.get("Encrypted"),
        "availability_zone": volume.get("AvailabilityZone"),
        "tags": tags_to_dict(volume.get("Tags")),
    }


def desired_view(spec, tags, current=None):
    """The view a volume will have once the plan ran; unset iops/throughput keep the current value."""
    current = current or {}
    vtype = spec["volume_type"]
    iops = spec.get("iops")
    if iops is None and vtype in IOPS_TYPES:
        iops = current.get("iops") if current.get("volume_type") == vtype else None
    throughput = spec.get("throughput")
    if throughput is None and vtype in THROUGHPUT_TYPES:
        throughput = current.get("throughput") if current.get("volume_type") == vtype else None
    merged_tags = dict(current.get("tags") or {})
    merged_tags.update(tags)
    return {
        "name": spec.get("name"),
        "device_name": spec["device_name"],
        "volume_id": current.get("volume_id"),
        "size": spec["size"],
        "volume_type": vtype,
        "iops": iops if vtype in IOPS_TYPES else None,
        "throughput": throughput if vtype in THROUGHPUT_TYPES else None,
        "encrypted": current.get("encrypted", True),
        "availability_zone": current.get("availability_zone"),
        "tags": merged_tags,
    }


def _refusal(spec, before):
    """Why EBS cannot turn the existing volume into the declared one in place, or None."""
    name = label(spec, before["volume_id"])
    if spec["size"] < before["size"]:
        return (
            f"{name} is {before['size']} GiB but declared {spec['size']} GiB: EBS volumes cannot shrink; "
            "declare at least the current size (move the data to a new, smaller volume by hand if needed)"
        )
    if before["volume_type"] != spec["volume_type"]:
        if before["volume_type"] in UNMODIFIABLE_TYPES:
            return (
                f"{name} is a previous-generation {before['volume_type']} volume, which EBS cannot change to "
                f"{spec['volume_type']} in place; restore a snapshot to a new volume instead"
            )
        if spec["volume_type"] in UNMODIFIABLE_TYPES:
            return f"{name}: EBS cannot change a {before['volume_type']} volume to {spec['volume_type']} (magnetic) in place"
    return None


def plan(specs, tags, instance, volumes, modifications=None):
    """The plan for one instance.

    specs: declared volumes (module options); tags: tags every declared volume must carry;
    instance: DescribeInstances' instance dict; volumes: DescribeVolumes' volumes of the instance;
    modifications: DescribeVolumesModifications' list (the newest per volume counts).

    Returns a dict: refusals (messages; when not empty nothing may change), modify, create, tag
    (lists of actions), before and after (device name -> view) and volumes (the after views in
    declaration order).
    """
    by_id = {v["VolumeId"]: v for v in volumes}
    attached = {
        m["DeviceName"]: m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", []) if "Ebs" in m
    }
    latest = {}
    for mod in sorted(modifications or [], key=lambda m: str(m.get("StartTime", ""))):
        latest[mod["VolumeId"]] = mod
    result = {"refusals": [], "modify": [], "create": [], "tag": [], "before": {}, "after": {}, "volumes": []}
    for spec in specs:
        device = spec["device_name"]
        volume_id = attached.get(device)
        if volume_id is None or volume_id not in by_id:
            after = desired_view(spec, tags)
            after["availability_zone"] = instance.get("Placement", {}).get("AvailabilityZone")
            result["create"].append({"spec": spec, "view": after})
            result["after"][device] = after
            result["volumes"].append(after)
            continue
        before = volume_view(by_id[volume_id], device, spec.get("name"))
        after = desired_view(spec, tags, before)
        result["before"][device] = before
        result["after"][device] = after
        result["volumes"].append(after)
        refusal = _refusal(spec, before)
        if refusal:
            result["refusals"].append(refusal)
            continue
        changes = {}
        if after["size"] != before["size"]:
            changes["Size"] = after["size"]
        if after["volume_type"] != before["volume_type"]:
            changes["VolumeType"] = after["volume_type"]
        if after["iops"] is not None and after["iops"] != before["iops"]:
            changes["Iops"] = after["iops"]
        if after["throughput"] is not None and after["throughput"] != before["throughput"]:
            changes["Throughput"] = after["throughput"]
        if changes:
            mod = latest.get(volume_id)
            if mod and mod.get("ModificationState") == "modifying":
                result["refusals"].append(
                    f"{label(spec, volume_id)} is still being modified (since {mod.get('StartTime')}); "
                    "EBS takes one modification at a time, run again once it is optimizing or completed"
                )
                continue
            result["modify"].append({"spec": spec, "volume_id": volume_id, "changes": changes})
        missing = {k: v for k, v in tags.items() if before["tags"].get(k) != v}
        if missing:
            result["tag"].append({"spec": spec, "volume_id": volume_id, "tags": missing})
    return result


def changed(the_plan):
    return bool(the_plan["modify"] or the_plan["create"] or the_plan["tag"])


def summary(the_plan):
    """One line per action, for the module's ``actions`` result (in check mode: what it would do)."""
    lines = []
    for item in the_plan["create"]:
        view = item["view"]
        lines.append(
            f"create {label(item['spec'])}: {view['size']} GiB {view['volume_type']}, attach to the instance"
        )
    for item in the_plan["modify"]:
        text = ", ".join(f"{k} {v}" for k, v in sorted(item["changes"].items()))
        lines.append(f"modify {label(item['spec'], item['volume_id'])}: {text}")
    for item in the_plan["tag"]:
        keys = ", ".join(sorted(item["tags"]))
        lines.append(f"tag {label(item['spec'], item['volume_id'])}: {keys}")
    return lines


def create_volume_params(spec, view, tags, kms_key_id=None):
    """CreateVolume parameters for a declared volume missing from the instance."""
    params = {
        "AvailabilityZone": view["availability_zone"],
        "Size": spec["size"],
        "VolumeType": spec["volume_type"],
        "Encrypted": True,
        "TagSpecifications": [
            {"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
        ],
    }
    if kms_key_id:
        params["KmsKeyId"] = kms_key_id
    if spec.get("iops") is not None:
        params["Iops"] = spec["iops"]
    if spec.get("throughput") is not None:
        params["Throughput"] = spec["throughput"]
    return params


def modification_done(modification):
    """True when the new size is usable; raises ValueError when EBS reports the modification failed."""
    state = modification.get("ModificationState")
    if state in MODIFICATION_FAILED:
        raise ValueError(modification.get("StatusMessage") or "modification failed")
    return state in MODIFICATION_USABLE
