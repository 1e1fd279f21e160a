# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for pacsops.server.data_volumes on a fabricated /sys + /dev tree.

lsblk and wipefs answers are the JSON those tools print on Debian 12 (util-linux 2.38); the
module's commands go to a fake run_command that records them, so each test proves which
commands ran: above all, that mkfs runs only on a blank device.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest

from ansible.module_utils import basic

_COLLECTIONS = str(Path(__file__).resolve().parents[4] / ".cache" / "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

# pylint: disable=wrong-import-position
from ansible.module_utils.testing import patch_module_args

from ansible_collections.pacsops.server.plugins.module_utils import data_volumes as lib
from ansible_collections.pacsops.server.plugins.modules import data_volumes

GIB = 1024 ** 3
VOL = "vol-0123456789abcdef0"
UUID = "0b6f5a0e-8a43-4a57-9c4f-2a1e6f1c5d2e"


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


def _write(root, path, text):
    full = root / path.lstrip("/")
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_text(text)


def nitro_host(root, volumes=None):
    """A Nitro host: nvme0n1 root, then one NVMe disk per EBS volume with udev's by-id link."""
    volumes = volumes if volumes is not None else {"nvme1n1": VOL}
    _write(root, "/sys/block/nvme0n1/device/serial", "vol0aaaaaaaaaaaaaaaa\n")
    _write(root, "/dev/nvme0n1", "")
    byid = root / "dev/disk/by-id"
    byid.mkdir(parents=True, exist_ok=True)
    for name, volume_id in volumes.items():
        _write(root, f"/sys/block/{name}/device/serial", volume_id.replace("-", "") + "\n")
        _write(root, f"/dev/{name}", "")
        (byid / f"nvme-Amazon_Elastic_Block_Store_{volume_id.replace('-', '')}").symlink_to(f"../../{name}")
    _write(root, "/etc/fstab", "# /etc/fstab: static file system information.\nUUID=1111 / ext4 errors=remount-ro 0 1\n")
    (root / "home/admin").mkdir(parents=True)
    return root


def disk(name="nvme1n1", size=500 * GIB, fstype=None, uuid=None, mountpoint=None, children=None):
    node = {"name": name, "path": f"/dev/{name}", "size": size, "type": "disk", "fstype": fstype, "uuid": uuid,
            "label": None, "mountpoint": mountpoint, "pkname": None}
    if children:
        node["children"] = children
    return node


def part(name="nvme1n1p1", size=500 * GIB - 2 * 1024 * 1024, fstype="ext4", uuid=UUID, mountpoint=None):
    return {"name": name, "path": f"/dev/{name}", "size": size, "type": "part", "fstype": fstype, "uuid": uuid,
            "label": None, "mountpoint": mountpoint, "pkname": "nvme1n1"}


def ext4_superblock(blocks, log_block=2, hi=0):
    sb = bytearray(1024)
    struct.pack_into("<I", sb, 0x4, blocks)
    struct.pack_into("<I", sb, 0x18, log_block)
    struct.pack_into("<H", sb, 0x38, lib.EXT4_MAGIC)
    if hi:
        struct.pack_into("<I", sb, 0x60, lib.EXT4_INCOMPAT_64BIT)
        struct.pack_into("<I", sb, 0x150, hi)
    return bytes(sb)


def spec(**extra):
    base = {"name": "home", "volume_id": VOL, "device": None, "device_name": "/dev/sdf", "mount_point": "/home",
            "fs_type": "xfs", "label": "home", "mount_options": ["defaults"]}
    base.update(extra)
    return base


# --- finding the device ------------------------------------------------------------------------

def test_found_by_udev_by_id_link(tmp_path):
    nitro_host(tmp_path, {"nvme2n1": VOL, "nvme1n1": "vol-0fffffffffffffff0"})
    assert lib.find_device(spec(), str(tmp_path)) == "/dev/nvme2n1"


def test_found_by_nvme_serial_without_udev(tmp_path):
    nitro_host(tmp_path, {"nvme3n1": VOL})
    for link in (tmp_path / "dev/disk/by-id").iterdir():
        link.unlink()
    assert lib.find_device(spec(), str(tmp_path)) == "/dev/nvme3n1"


def test_xen_device_name_fallback(tmp_path):
    _write(tmp_path, "/dev/xvdf", "")
    assert lib.find_device(spec(volume_id="vol-0bbbbbbbbbbbbbbbb"), str(tmp_path)) == "/dev/xvdf"


def test_another_volume_is_not_taken(tmp_path):
    nitro_host(tmp_path, {"nvme1n1": "vol-0fffffffffffffff0"})
    assert lib.find_device(spec(device_name=None), str(tmp_path)) is None


# --- the blank rule --------------------------------------------------------------------------

def test_blank_device_gets_a_file_system(tmp_path):
    step = lib.plan_volume(spec(), "/dev/nvme1n1", disk(), [], "", root=str(tmp_path), mount_point_entries=1)
    assert step["refusal"] is None
    assert step["mkfs"] and step["mount"] and step["seed"]
    assert step["actions"][0] == "create xfs on blank /dev/nvme1n1"


@pytest.mark.parametrize("node, sigs, what", [
    (disk(), [{"device": "nvme1n1", "offset": "0x1fe", "type": "dos", "uuid": None}], "dos"),
    (disk(), [{"device": "nvme1n1", "offset": "0x1000", "type": "LVM2_member", "uuid": "x"}], "LVM2_member"),
    (disk(fstype="ntfs", uuid="ABCD"), [{"device": "nvme1n1", "offset": "0x3", "type": "ntfs"}], "ntfs"),
    (disk(fstype="crypto_LUKS", uuid="x"), [], "crypto_LUKS"),
])
def test_device_with_any_signature_is_never_formatted(tmp_path, node, sigs, what):
    step = lib.plan_volume(spec(), "/dev/nvme1n1", node, sigs, "", root=str(tmp_path))
    assert not step["mkfs"]
    assert step["refusal"].startswith("data volume 'home' (vol-0123456789abcdef0, /home): /dev/nvme1n1 is not blank")
    assert what in step["refusal"]


def test_partitions_without_a_file_system_are_refused(tmp_path):
    node = disk(children=[part(fstype=None, uuid=None), part("nvme1n1p2", fstype=None, uuid=None)])
    step = lib.plan_volume(spec(), "/dev/nvme1n1", node, [{"type": "gpt"}], "", root=str(tmp_path))
    assert not step["mkfs"] and "2 partition(s) and 0 with an xfs/ext4" in step["refusal"]


def test_existing_file_system_is_kept_and_mounted_by_uuid(tmp_path):
    node = disk(fstype="ext4", uuid=UUID)
    step = lib.plan_volume(spec(mount_options=["defaults", "noatime"]), "/dev/nvme1n1", node,
                           [{"type": "ext4"}], "", root=str(tmp_path), fs_size=500 * GIB)
    assert not step["mkfs"] and not step["grow_fs"]
    assert step["note"] == "kept the existing ext4 file system (declared xfs; never reformatted)"
    assert step["fstab"] == f"UUID={UUID} /home ext4 defaults,noatime,nofail 0 2\n"
    assert step["mount"] and not step["remount"]


def test_converged_volume_needs_nothing(tmp_path):
    fstab = f"UUID={UUID} /home xfs defaults,nofail 0 2\n"
    node = disk(fstype="xfs", uuid=UUID, mountpoint="/home")
    step = lib.plan_volume(spec(), "/dev/nvme1n1", node, [{"type": "xfs"}], fstab, root=str(tmp_path),
                           fs_size=500 * GIB - 10 * 1024 * 1024)
    assert not lib.changed(step), step["actions"]


def test_grown_device_grows_the_file_system(tmp_path):
    fstab = f"UUID={UUID} /home xfs defaults,nofail 0 2\n"
    node = disk(size=750 * GIB, fstype="xfs", uuid=UUID, mountpoint="/home")
    step = lib.plan_volume(spec(), "/dev/nvme1n1", node, [{"type": "xfs"}], fstab, root=str(tmp_path), fs_size=500 * GIB)
    assert step["grow_fs"] and not step["growpart"] and not step["mount"]
    assert step["actions"] == ["grow the xfs file system on /dev/nvme1n1 online"]


def test_grown_disk_grows_the_last_partition_first(tmp_path):
    _write(tmp_path, "/sys/class/block/nvme1n1p1/start", "2048\n")
    node = disk(size=750 * GIB, children=[part(mountpoint="/home")])
    fstab = f"UUID={UUID} /home ext4 defaults,nofail 0 2\n"
    step = lib.plan_volume(spec(), "/dev/nvme1n1", node, [{"type": "gpt"}], fstab, root=str(tmp_path), fs_size=500 * GIB)
    assert step["growpart"] == ("/dev/nvme1n1", "nvme1n1p1")
    assert step["target"] == "/dev/nvme1n1p1" and step["grow_fs"]


def test_mounted_elsewhere_is_refused(tmp_path):
    node = disk(fstype="xfs", uuid=UUID, mountpoint="/mnt")
    step = lib.plan_volume(spec(), "/dev/nvme1n1", node, [{"type": "xfs"}], "", root=str(tmp_path))
    assert "is mounted at /mnt, not /home" in step["refusal"]


def test_changed_options_remount(tmp_path):
    fstab = f"UUID={UUID} /home xfs defaults,nofail 0 2\n"
    node = disk(fstype="xfs", uuid=UUID, mountpoint="/home")
    step = lib.plan_volume(spec(mount_options=["noatime"]), "/dev/nvme1n1", node, [{"type": "xfs"}], fstab,
                           root=str(tmp_path), fs_size=500 * GIB)
    assert step["remount"] and step["fstab"] == f"UUID={UUID} /home xfs noatime,nofail 0 2\n"


# --- fstab and superblocks ---------------------------------------------------------------------

def test_fstab_entry_replaced_not_duplicated():
    text = "# comment\nUUID=1111 / ext4 errors=remount-ro 0 1\n/dev/sdf /home xfs defaults 0 2\n/dev/sdg /home xfs x 0 0\n"
    new = lib.fstab_update(text, "UUID=abc /home xfs defaults,nofail 0 2", "/home")
    assert new == "# comment\nUUID=1111 / ext4 errors=remount-ro 0 1\nUUID=abc /home xfs defaults,nofail 0 2\n"
    assert lib.fstab_update(new, "UUID=abc /home xfs defaults,nofail 0 2", "/home") is new


def test_ext4_and_xfs_sizes_from_superblocks():
    assert lib.ext4_size(ext4_superblock(131072)) == 512 * 1024 * 1024
    assert lib.ext4_size(ext4_superblock(0, hi=1)) == (1 << 32) * 4096
    assert lib.ext4_size(bytes(1024)) is None
    xfs = b"XFSB" + struct.pack(">IQ", 4096, 262144) + bytes(500)
    assert lib.xfs_size(xfs) == GIB
    assert lib.xfs_size(bytes(512)) is None


# --- the module --------------------------------------------------------------------------------

class FakeHost:
    """run_command stand-in: lsblk/wipefs/blkid answers per device; records every command."""

    def __init__(self, disks, sigs=None, fresh_sigs=None):
        self.disks = disks
        self.sigs = sigs or {}
        self.fresh_sigs = fresh_sigs
        self.commands = []

    def __call__(self, module, cmd, **kwargs):
        self.commands.append(cmd)
        tool, device = cmd[0], cmd[-1]
        if tool == "lsblk":
            return 0, json.dumps({"blockdevices": [self.disks[device]]}), ""
        if tool == "wipefs":
            sigs = self.sigs.get(device, [])
            if self.fresh_sigs is not None and sum(c[0] == "wipefs" for c in self.commands) > 1:
                sigs = self.fresh_sigs
            return 0, (json.dumps({"signatures": sigs}) if sigs else ""), ""
        if tool == "blkid":
            return 0, UUID + "\n", ""
        return 0, "", ""

    def ran(self, tool):
        return [c for c in self.commands if c[0] == tool]


@pytest.fixture
def host(tmp_path, monkeypatch):
    nitro_host(tmp_path)
    monkeypatch.setattr(data_volumes, "ROOT", str(tmp_path))

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def install(fake):
        def run_command(self, cmd, **kwargs):
            return fake(self, cmd, **kwargs)

        monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
        return fake

    return install


def run_module(check_mode=False, volumes=None):
    args = {"volumes": volumes or [spec()], "_ansible_check_mode": check_mode, "_ansible_diff": True}
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as exc:
            data_volumes.main()
    return exc.type, exc.value.args[0]


def test_module_check_mode_on_blank_device_only_reads(host, tmp_path):
    fake = host(FakeHost({"/dev/nvme1n1": disk()}))
    kind, result = run_module(check_mode=True)
    assert kind is ExitJson and result["changed"]
    assert {c[0] for c in fake.commands} == {"lsblk", "wipefs"}
    assert all("--no-act" in c for c in fake.ran("wipefs"))
    assert result["actions"][0] == "home: create xfs on blank /dev/nvme1n1"
    assert "home: copy the 1 entries of /home into it" in result["actions"]


def test_module_formats_seeds_and_mounts_a_blank_device(host, tmp_path):
    fake = host(FakeHost({"/dev/nvme1n1": disk()}))
    kind, result = run_module()
    assert kind is ExitJson and result["changed"]
    assert fake.ran("mkfs.xfs") == [["mkfs.xfs", "-L", "home", "/dev/nvme1n1"]]
    assert ["cp", "-a", str(tmp_path / "home") + "/."] == fake.ran("cp")[0][:3]
    assert fake.ran("mount")[-1] == ["mount", "/home"]
    assert f"UUID={UUID} /home xfs defaults,nofail 0 2" in (tmp_path / "etc/fstab").read_text()
    assert (tmp_path / "etc/fstab.pacsops-bak").exists()


def test_module_never_formats_a_device_that_holds_data(host, tmp_path):
    fake = host(FakeHost({"/dev/nvme1n1": disk()}, sigs={"/dev/nvme1n1": [{"type": "dos", "offset": "0x1fe"}]}))
    kind, result = run_module()
    assert kind is FailJson and result["changed"] is False
    assert "is not blank (dos)" in result["msg"]
    assert not fake.ran("mkfs.xfs") and not fake.ran("mount")


def test_module_stops_when_a_signature_appears_before_mkfs(host, tmp_path):
    fake = host(FakeHost({"/dev/nvme1n1": disk()}, fresh_sigs=[{"type": "xfs", "offset": "0x0"}]))
    kind, result = run_module()
    assert kind is FailJson and "no longer blank" in result["msg"]
    assert not fake.ran("mkfs.xfs")


def test_module_refusal_of_one_volume_changes_no_other(host, tmp_path):
    nitro_host_extra = tmp_path / "dev/nvme2n1"
    nitro_host_extra.write_text("")
    fake = host(FakeHost({"/dev/nvme1n1": disk(), "/dev/nvme2n1": disk("nvme2n1", fstype="ntfs", uuid="AB")}))
    kind, result = run_module(volumes=[spec(), spec(name="images", volume_id=None, device="/dev/nvme2n1",
                                                    mount_point="/srv/images")])
    assert kind is FailJson and "data volume 'images'" in result["msg"]
    assert not fake.ran("mkfs.xfs")


def test_module_missing_volume_fails_naming_it(host, tmp_path):
    host(FakeHost({}))
    kind, result = run_module(volumes=[spec(volume_id="vol-0ccccccccccccccc0", device_name=None)])
    assert kind is FailJson
    assert result["msg"] == "data volume 'home' (vol-0ccccccccccccccc0, /home): no block device found for it on this host"


def test_file_system_seen_by_wipefs_when_lsblk_has_no_udev_data(tmp_path):
    # In a container lsblk prints fstype/uuid null; the wipefs signature tells the file system.
    node = lib.with_signature_fs(disk(mountpoint="/home"), [{"type": "xfs", "uuid": UUID, "offset": "0x0"}])
    fstab = f"UUID={UUID} /home xfs defaults,nofail 0 2\n"
    step = lib.plan_volume(spec(), "/dev/nvme1n1", node, [{"type": "xfs"}], fstab, root=str(tmp_path), fs_size=500 * GIB)
    assert step["refusal"] is None and not lib.changed(step)
    # two signatures (a file system and a partition table) are never read as a file system
    assert lib.with_signature_fs(disk(), [{"type": "xfs"}, {"type": "gpt"}])["fstype"] is None


def test_module_keeps_every_volume_in_fstab(host, tmp_path):
    # a blank volume (its UUID known only after mkfs) and an existing one in the same run
    (tmp_path / "dev/nvme2n1").write_text("")
    other = "1f6f5a0e-8a43-4a57-9c4f-2a1e6f1c5d2f"
    host(FakeHost({"/dev/nvme1n1": disk(), "/dev/nvme2n1": disk("nvme2n1", fstype="ext4", uuid=other)},
                  sigs={"/dev/nvme2n1": [{"type": "ext4", "uuid": other}]}))
    (tmp_path / "dev/nvme2n1").write_bytes(bytes(1024) + ext4_superblock(131072 * 1000))
    kind, result = run_module(volumes=[spec(), spec(name="db", volume_id=None, device="/dev/nvme2n1", mount_point="/srv/db")])
    assert kind is ExitJson, result
    fstab = (tmp_path / "etc/fstab").read_text()
    assert f"UUID={UUID} /home xfs defaults,nofail 0 2" in fstab
    assert f"UUID={other} /srv/db ext4 defaults,nofail 0 2" in fstab
