#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: data_volumes
version_added: 0.2.0
short_description: Find, format (blank devices only), mount and grow data volumes on the host
description:
  - For each declared volume, finds its block device by EBS volume ID (the NVMe serial udev
    publishes as C(/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol...) on Nitro instances, or
    C(/sys/block/nvme*/device/serial)), by an explicit O(volumes[].device), or by the attachment's
    device name (C(/dev/sdf) or Xen's C(/dev/xvdf)).
  - Creates a file system B(only on a blank device), one with no partition (C(lsblk -J)) and no signature of
    any kind (C(wipefs --no-act --json)), probed again right before C(mkfs). A device holding
    anything else is refused, naming the volume; an existing xfs or ext4 file system is always kept.
  - When the new file system is mounted over a directory that already holds files (C(/home) with
    the AMI's login user), those files are first copied into it.
  - Sets the C(/etc/fstab) entry of the mount point to the file system's UUID, the declared
    options and C(nofail), and mounts it (remounts when only the options changed).
  - Grows the partition (C(growpart), when the file system is on the disk's last partition) and the
    file system online (C(resize2fs) or C(xfs_growfs)) when the device is larger than it.
  - Supports check mode (C(actions) lists what would be done) and diff mode (C(/etc/fstab)).
author:
  - pacsops maintainers (@pacsops)
options:
  volumes:
    description: The declared data volumes.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Short name used in messages (for example C(home)).
        type: str
      volume_id:
        description: EBS volume ID; the device is found by it.
        type: str
      device:
        description: Block device path, instead of O(volumes[].volume_id) (non-EBS hosts, tests).
        type: path
      device_name:
        description: EBS attachment device name, the fallback when the volume ID is not visible (Xen instances).
        type: str
      mount_point:
        description: Where the file system is mounted.
        type: path
        required: true
      fs_type:
        description: File system created on a blank device; an existing one is kept whatever this says.
        type: str
        default: xfs
        choices: [xfs, ext4]
      label:
        description: File system label given at creation (xfs at most 12 characters, ext4 16).
        type: str
        default: ""
      mount_options:
        description: Mount options; C(nofail) is always added.
        type: list
        elements: str
        default: [defaults]
  fstab:
    description: The fstab file.
    type: path
    default: /etc/fstab
"""

EXAMPLES = r"""
- name: Format (if blank), mount and grow /home and the image store
  pacsops.server.data_volumes:
    volumes:
      - name: home
        volume_id: vol-0123456789abcdef0
        mount_point: /home
        fs_type: xfs
        label: home
      - name: images
        volume_id: vol-0fedcba9876543210
        mount_point: /var/lib/dicom-server
        fs_type: ext4
        mount_options: [defaults, noatime]
"""

RETURN = r"""
volumes:
  description: One entry per declared volume (in check mode, as it would be).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The declared name.
      type: str
      sample: home
    volume_id:
      description: The declared EBS volume ID.
      type: str
      sample: vol-0123456789abcdef0
    device:
      description: Block device found for the volume.
      type: str
      sample: /dev/nvme1n1
    target:
      description: Device holding the file system (the device or its partition).
      type: str
      sample: /dev/nvme1n1
    fs_type:
      description: File system type.
      type: str
      sample: xfs
    uuid:
      description: File system UUID (null when it would be created in check mode).
      type: str
      sample: 0b6f5a0e-8a43-4a57-9c4f-2a1e6f1c5d2e
    mount_point:
      description: Mount point.
      type: str
      sample: /home
    actions:
      description: What was done (in check mode, would be done) to this volume.
      type: list
      elements: str
      sample: ["create xfs on blank /dev/nvme1n1", "mount /home"]
    note:
      description: Why something declared was not applied (an existing file system of another type is kept).
      type: str
      sample: null
actions:
  description: All volumes' actions, one line each.
  returned: always
  type: list
  elements: str
  sample: ["home: grow the xfs file system on /dev/nvme1n1 online"]
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils import data_volumes as lib

# The host's root; unit tests point it at a fabricated tree.
ROOT = "/"


def _json(module, cmd, allow_empty=False):
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        module.fail_json(msg=f"{' '.join(cmd)} failed: {err.strip() or out.strip()}", rc=rc)
    if allow_empty and not out.strip():
        return {}
    return json.loads(out)


def read_disk(module, device):
    tree = _json(module, ["lsblk", "-J", "-b", "-o", lib.LSBLK_COLUMNS, device])
    return tree["blockdevices"][0]


def read_signatures(module, device):
    return lib.signatures(_json(module, ["wipefs", "--no-act", "--json", device], allow_empty=True))


def mount_point_entries(mount_point):
    path = os.path.join(ROOT, mount_point.lstrip("/"))
    return len(os.listdir(path)) if os.path.isdir(path) else 0


def plan(module, spec, fstab_text):
    device = lib.find_device(spec, ROOT)
    if device is None:
        return {"name": spec.get("name"), "refusal": f"{lib.describe(spec)}: no block device found for it on this host"}
    disk = read_disk(module, device)
    sigs = read_signatures(module, device)
    disk = lib.with_signature_fs(disk, sigs)
    if disk.get("children"):
        disk["children"] = [
            c if c.get("fstype") or c.get("type") != "part" else lib.with_signature_fs(c, read_signatures(module, c["path"]))
            for c in disk["children"]
        ]
    fs_size = None
    node = disk if lib._fs_of(disk) else next((c for c in disk.get("children") or [] if lib._fs_of(c)), None)
    if node is not None:
        fs_size = lib.read_fs_size(ROOT, node["path"], node["fstype"], node.get("mountpoint"))
    return lib.plan_volume(
        spec, device, disk, sigs, fstab_text, root=ROOT, fs_size=fs_size,
        mount_point_entries=mount_point_entries(spec["mount_point"]),
    )


def run(module, cmd):
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        module.fail_json(msg=f"{' '.join(cmd)} failed: {err.strip() or out.strip()}", rc=rc, stdout=out, stderr=err)
    return out


def make_fs(module, spec, step):
    # The last word before mkfs: a signature that appeared since the plan stops it.
    if read_signatures(module, step["device"]) or read_disk(module, step["device"]).get("children"):
        module.fail_json(msg=f"{lib.describe(spec)}: {step['device']} is no longer blank; not formatting it")
    label = ["-L", spec["label"]] if spec.get("label") else []
    quiet = ["-q"] if step["fs_type"] == "ext4" else []
    run(module, [f"mkfs.{step['fs_type']}"] + quiet + label + [step["device"]])
    # udev may not have seen the new file system yet; read its UUID from the device itself.
    step["uuid"] = run(module, ["blkid", "-p", "-s", "UUID", "-o", "value", step["device"]]).strip()


def seed(module, step):
    """Copies what the mount point holds (the AMI's login user in /home) into the new file system."""
    source = os.path.join(ROOT, step["mount_point"].lstrip("/"))
    scratch = tempfile.mkdtemp(prefix="pacsops-seed-")
    run(module, ["mount", step["target"], scratch])
    try:
        run(module, ["cp", "-a", source + "/.", scratch + "/"])
    finally:
        run(module, ["umount", scratch])
        os.rmdir(scratch)


def grow(module, step):
    if step["growpart"]:
        disk, part = step["growpart"]
        with open(os.path.join(ROOT, "sys/class/block", part, "partition")) as handle:
            number = handle.read().strip()
        run(module, ["growpart", disk, number])
    if step["fs_type"] == "xfs":
        run(module, ["xfs_growfs", step["mount_point"]])
    else:
        run(module, ["resize2fs", step["target"]])


def apply(module, spec, step, fstab_path):
    if step["mkfs"]:
        make_fs(module, spec, step)
    mount_point = os.path.join(ROOT, step["mount_point"].lstrip("/"))
    if step["seed"]:
        seed(module, step)
    if step["mkfs"] or step["fstab"] is not None:
        # From the file as it is now: an earlier volume of this run may have added its own line.
        current = _read(fstab_path)
        text = lib.fstab_update(current, lib.fstab_line(step["uuid"], spec, step["fs_type"]), spec["mount_point"])
        if text != current:
            _write_fstab(module, fstab_path, text)
    if step["mount"]:
        os.makedirs(mount_point, mode=0o755, exist_ok=True)
        run(module, ["mount", step["mount_point"]])
    elif step["remount"]:
        run(module, ["mount", "-o", "remount", step["mount_point"]])
    if step["grow_fs"]:
        grow(module, step)


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return ""


def _write_fstab(module, path, text):
    backup = path + ".pacsops-bak"
    if os.path.exists(path) and not os.path.exists(backup):
        shutil.copy2(path, backup)
    module.atomic_move(_temp_with(text, path), path)


def _temp_with(text, path):
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".fstab-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(temp, 0o644)
    return temp


def main():
    volume_spec = dict(
        name=dict(type="str"),
        volume_id=dict(type="str"),
        device=dict(type="path"),
        device_name=dict(type="str"),
        mount_point=dict(type="path", required=True),
        fs_type=dict(type="str", default="xfs", choices=["xfs", "ext4"]),
        label=dict(type="str", default=""),
        mount_options=dict(type="list", elements="str", default=["defaults"]),
    )
    module = AnsibleModule(
        argument_spec=dict(
            volumes=dict(type="list", elements="dict", required=True, options=volume_spec),
            fstab=dict(type="path", default="/etc/fstab"),
        ),
        supports_check_mode=True,
    )
    specs = module.params["volumes"]
    missing = [lib.describe(s) for s in specs if not (s.get("volume_id") or s.get("device") or s.get("device_name"))]
    if missing:
        module.fail_json(msg=f"{', '.join(missing)}: give volume_id, device or device_name")
    fstab_path = os.path.join(ROOT, module.params["fstab"].lstrip("/"))
    fstab_before = _read(fstab_path)

    # Every volume is planned (read only) before the first change, so a refusal stops them all.
    fstab_text = fstab_before
    steps = []
    for spec in specs:
        step = plan(module, spec, fstab_text)
        if step.get("fstab") is not None:
            fstab_text = step["fstab"]
        steps.append(step)
    refusals = [s["refusal"] for s in steps if s.get("refusal")]
    if refusals:
        module.fail_json(msg="; ".join(refusals), refusals=refusals, changed=False)

    changed = any(lib.changed(s) for s in steps)
    if changed and not module.check_mode:
        for spec, step in zip(specs, steps):
            if lib.changed(step):
                apply(module, spec, step, fstab_path)
    keys = ("name", "volume_id", "device", "target", "fs_type", "uuid", "mount_point", "actions", "note")
    result = {
        "changed": changed,
        "volumes": [{k: s.get(k) for k in keys} for s in steps],
        "actions": [f"{s.get('name') or s['mount_point']}: {a}" for s in steps for a in s["actions"]],
    }
    if module._diff and changed:
        result["diff"] = {"before": fstab_before, "after": _read(fstab_path) if not module.check_mode else fstab_text,
                          "before_header": module.params["fstab"], "after_header": module.params["fstab"]}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
