# -*- coding: utf-8 -*-

# Copyright: pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Host side of the data volumes: find each declared volume, decide what it needs.

Plain functions over a root directory (``/`` on a host, a fabricated tree in the unit tests) and
over the JSON of ``lsblk -J -b`` and ``wipefs --no-act --json``: no regex over tool text.

Data safety is the point of this file: ``plan_volume`` asks for a file system only on a device
that is blank by both tools (no partition in lsblk, no signature of any kind in wipefs), and the
module probes again with wipefs right before mkfs.
"""

from __future__ import annotations

import fcntl
import os
import struct

# udev's name for an EBS volume on a Nitro instance: the NVMe serial is the volume ID without '-'.
EBS_BY_ID = "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_"
MANAGED_FS = ("xfs", "ext4")
LSBLK_COLUMNS = "NAME,PATH,SIZE,TYPE,FSTYPE,UUID,LABEL,MOUNTPOINT,PKNAME"
# A file system is grown when the device is this much bigger: mkfs and the grow tools round the
# size down to whole blocks/groups, while an EBS volume grows by at least 1 GiB.
GROW_SLACK_BYTES = 64 * 1024 * 1024
# Labels longer than this are refused by mkfs.
LABEL_MAX = {"xfs": 12, "ext4": 16}
# 000/003: the database and image stores want noatime; nofail keeps a missing volume from
# stopping the boot (the host stays reachable to repair it).
REQUIRED_OPTIONS = ("nofail",)

EXT4_MAGIC = 0xEF53
EXT4_INCOMPAT_64BIT = 0x80
XFS_MAGIC = b"XFSB"
# _IOR('X', 100, struct xfs_fsop_geom_v1): the geometry of a mounted XFS file system (112 bytes).
XFS_IOC_FSGEOMETRY_V1 = (2 << 30) | (112 << 16) | (ord("X") << 8) | 100


def _inside(root, path):
    return os.path.join(root, path.lstrip("/"))


def _outside(root, full):
    return "/" + os.path.relpath(full, root).lstrip("./") if root != "/" else full


def resolve(root, path):
    """The device path a (by-id) link points to, as the host sees it."""
    return _outside(root, os.path.realpath(_inside(root, path)))


def ebs_serial(volume_id):
    return volume_id.replace("-", "")


def xen_name(device_name):
    """/dev/sdf as a Xen (pre-Nitro) instance names it: /dev/xvdf."""
    base = os.path.basename(device_name)
    return "/dev/xvd" + base[2:] if base.startswith("sd") else device_name


def find_device(spec, root="/"):
    """The block device of a declared volume (a host path), or None.

    By, in order: an explicit ``device``; the EBS volume ID (udev's by-id link, else the NVMe
    serial in /sys); the attachment's ``device_name`` as Xen or the kernel names it.
    """
    if spec.get("device"):
        path = spec["device"]
        return resolve(root, path) if os.path.exists(_inside(root, path)) else None
    if spec.get("volume_id"):
        serial = ebs_serial(spec["volume_id"])
        link = EBS_BY_ID + serial
        if os.path.exists(_inside(root, link)):
            return resolve(root, link)
        sys_block = _inside(root, "/sys/block")
        for name in sorted(os.listdir(sys_block)) if os.path.isdir(sys_block) else []:
            serial_file = os.path.join(sys_block, name, "device", "serial")
            if name.startswith("nvme") and os.path.isfile(serial_file):
                with open(serial_file) as handle:
                    if handle.read().strip() == serial:
                        return "/dev/" + name
    if spec.get("device_name"):
        for path in (spec["device_name"], xen_name(spec["device_name"])):
            if os.path.exists(_inside(root, path)):
                return resolve(root, path)
    return None


def describe(spec):
    name = spec.get("name") or spec["mount_point"]
    ident = spec.get("volume_id") or spec.get("device") or spec.get("device_name")
    return f"data volume {name!r} ({ident}, {spec['mount_point']})"


def signatures(wipefs_json):
    """The signatures wipefs --no-act --json found (it prints nothing at all when there are none)."""
    return (wipefs_json or {}).get("signatures", [])


def with_signature_fs(node, sigs):
    """The lsblk node, with fstype/uuid taken from wipefs when lsblk has none (no udev database,
    as in a container): only when the one signature on the node is a managed file system."""
    if node.get("fstype") or len(sigs) != 1 or sigs[0].get("type") not in MANAGED_FS:
        return node
    return dict(node, fstype=sigs[0]["type"], uuid=sigs[0].get("uuid"), label=sigs[0].get("label"))


def _fs_of(node):
    return node.get("fstype") if node.get("fstype") in MANAGED_FS and node.get("uuid") else None


def mount_options(spec):
    options = [o for o in spec.get("mount_options") or ["defaults"] if o]
    for required in REQUIRED_OPTIONS:
        if required not in options:
            options.append(required)
    return ",".join(options)


def fstab_line(uuid, spec, fs_type):
    return f"UUID={uuid} {spec['mount_point']} {fs_type} {mount_options(spec)} 0 2"


def _unescape(field):
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")


def fstab_update(text, line, mount_point):
    """fstab text with the entry for mount_point set to line; the same text when it already is."""
    lines = text.splitlines()
    out, placed = [], False
    for existing in lines:
        fields = existing.split()
        if fields and not fields[0].startswith("#") and len(fields) > 1 and _unescape(fields[1]) == mount_point:
            if not placed:
                out.append(line)
                placed = True
            continue
        out.append(existing)
    if not placed:
        out.append(line)
    new = "\n".join(out) + "\n"
    return text if new == text else new


def ext4_size(superblock):
    """Bytes of an ext4 file system from its superblock (the 1024 bytes at offset 1024), or None."""
    if len(superblock) < 0x158 or struct.unpack_from("<H", superblock, 0x38)[0] != EXT4_MAGIC:
        return None
    blocks = struct.unpack_from("<I", superblock, 0x4)[0]
    if struct.unpack_from("<I", superblock, 0x60)[0] & EXT4_INCOMPAT_64BIT:
        blocks |= struct.unpack_from("<I", superblock, 0x150)[0] << 32
    return blocks * (1024 << struct.unpack_from("<I", superblock, 0x18)[0])


def xfs_size(superblock):
    """Bytes of an XFS file system from its on-disk superblock (offset 0), or None."""
    if superblock[:4] != XFS_MAGIC:
        return None
    blocksize, dblocks = struct.unpack_from(">IQ", superblock, 4)
    return blocksize * dblocks


def xfs_mounted_size(mount_point):
    """Bytes of a mounted XFS file system, from the kernel (its on-disk superblock may lag)."""
    fd = os.open(mount_point, os.O_RDONLY)
    try:
        geometry = fcntl.ioctl(fd, XFS_IOC_FSGEOMETRY_V1, bytes(112))
    finally:
        os.close(fd)
    blocksize = struct.unpack_from("=I", geometry, 0)[0]
    datablocks = struct.unpack_from("=Q", geometry, 32)[0]
    return blocksize * datablocks


def read_fs_size(root, target, fs_type, mount_point=None):
    """Current file system size in bytes (None when it cannot be read)."""
    if fs_type == "xfs" and mount_point:
        return xfs_mounted_size(_inside(root, mount_point))
    with open(_inside(root, target), "rb") as handle:
        if fs_type == "ext4":
            handle.seek(1024)
            return ext4_size(handle.read(1024))
        return xfs_size(handle.read(512))


def partition_end_gap(root, disk_node, part_node):
    """Bytes between the partition's end and the disk's end (what growpart would add)."""
    start_file = _inside(root, f"/sys/class/block/{part_node['name']}/start")
    with open(start_file) as handle:
        start = int(handle.read().strip()) * 512
    return int(disk_node["size"]) - (start + int(part_node["size"]))


def plan_volume(spec, device, disk_node, sigs, fstab_text, root="/", fs_size=None, mount_point_entries=0):
    """What one volume needs. disk_node: the device's lsblk JSON node (with children).

    Returns a dict with ``refusal`` (a message, nothing may change) or the steps: mkfs, growpart,
    grow_fs, fstab (new text or None), mount, remount, seed (copy what the empty mount point
    holds into a new file system before mounting over it).
    """
    step = {
        "name": spec.get("name"), "volume_id": spec.get("volume_id"), "device": device, "target": device,
        "mount_point": spec["mount_point"], "fs_type": None, "uuid": None, "refusal": None,
        "mkfs": False, "growpart": None, "grow_fs": False, "fstab": None, "mount": False, "remount": False,
        "seed": False, "actions": [], "note": None,
    }
    children = disk_node.get("children") or []
    parts = [c for c in children if c.get("type") == "part"]
    target_node = None
    if _fs_of(disk_node) and not parts:
        target_node = disk_node
    elif parts:
        with_fs = [p for p in parts if _fs_of(p)]
        if len(with_fs) != 1:
            step["refusal"] = (
                f"{describe(spec)}: {device} has {len(parts)} partition(s) and {len(with_fs)} with an xfs/ext4 file "
                "system; not touching it (declare the partition as device, or clear it by hand)"
            )
            return step
        target_node = with_fs[0]
        if target_node is parts[-1] and partition_end_gap(root, disk_node, target_node) > GROW_SLACK_BYTES:
            step["growpart"] = (device, target_node["name"])
    elif sigs or children or disk_node.get("fstype"):
        kinds = sorted({s.get("type", "?") for s in sigs} | ({disk_node["fstype"]} if disk_node.get("fstype") else set()))
        step["refusal"] = (
            f"{describe(spec)}: {device} is not blank ({', '.join(kinds) or 'holders'}) and holds no xfs/ext4 file "
            "system this role manages; it is never formatted, clear it by hand if it really is free"
        )
        return step
    mounted_at = None
    if target_node is None:
        fs_type = spec.get("fs_type") or "xfs"
        label = spec.get("label") or ""
        if len(label) > LABEL_MAX[fs_type]:
            step["refusal"] = f"{describe(spec)}: label {label!r} is longer than {LABEL_MAX[fs_type]} characters ({fs_type})"
            return step
        step.update(mkfs=True, fs_type=fs_type, mount=True, seed=mount_point_entries > 0)
        step["actions"].append(f"create {fs_type} on blank {device}")
        if step["seed"]:
            step["actions"].append(f"copy the {mount_point_entries} entries of {spec['mount_point']} into it")
    else:
        step.update(target=target_node["path"], fs_type=target_node["fstype"], uuid=target_node["uuid"])
        mounted_at = target_node.get("mountpoint")
        if mounted_at and mounted_at != spec["mount_point"]:
            step["refusal"] = f"{describe(spec)}: {step['target']} is mounted at {mounted_at}, not {spec['mount_point']}"
            return step
        step["mount"] = not mounted_at
        target_bytes = int(target_node["size"])
        if step["growpart"]:
            step["actions"].append(f"grow partition {target_node['name']} to the end of {device}")
            step["grow_fs"] = True
        elif fs_size is not None and target_bytes - fs_size > GROW_SLACK_BYTES:
            step["grow_fs"] = True
        if step["grow_fs"]:
            step["actions"].append(f"grow the {step['fs_type']} file system on {step['target']} online")
        if step["fs_type"] != (spec.get("fs_type") or step["fs_type"]):
            step["note"] = f"kept the existing {step['fs_type']} file system (declared {spec['fs_type']}; never reformatted)"
    if step["uuid"]:
        new = fstab_update(fstab_text, fstab_line(step["uuid"], spec, step["fs_type"]), spec["mount_point"])
        if new != fstab_text:
            step["fstab"] = new
            step["remount"] = bool(mounted_at)
            step["actions"].append(f"set the /etc/fstab entry of {spec['mount_point']} (by UUID, {mount_options(spec)})")
    else:
        step["actions"].append(f"add an /etc/fstab entry for {spec['mount_point']} (by UUID, {mount_options(spec)})")
    if step["mount"]:
        step["actions"].append(f"mount {spec['mount_point']}")
    elif step["remount"]:
        step["actions"].append(f"remount {spec['mount_point']} with {mount_options(spec)}")
    return step


def changed(step):
    return bool(step["mkfs"] or step["growpart"] or step["grow_fs"] or step["fstab"] or step["mount"] or step["remount"])
