"""storage: data volumes found by EBS volume ID, formatted only when blank, mounted by UUID, grown online.

Loop devices on the Docker host stand in for the EBS volumes (molecule.yml). Checked from the host
where a user looks: findmnt/df/blkid, the files on the volumes, and the Docker host's own losetup for
growing a volume as ModifyVolume does.
"""
import json
import os
import subprocess
import sys

import pytest
import testinfra

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
BACKING = "/var/tmp/pacsops-storage"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIStoragePrepareKey admin@prepare"


@pytest.fixture(scope="module")
def host():
    return testinfra.get_host(f"ansible://pacsops-storage-host?ansible_inventory={INVENTORY}")


def mount_of(host, path):
    found = json.loads(host.check_output(f"findmnt -J -b -o SOURCE,TARGET,FSTYPE,OPTIONS,SIZE --mountpoint {path}"))
    return found["filesystems"][0]


def test_blank_volume_got_xfs_mounted_by_uuid_with_nofail(host):
    home = mount_of(host, "/home")
    assert (home["source"], home["fstype"]) == ("/dev/loop120", "xfs")
    uuid = host.check_output("blkid -p -s UUID -o value /dev/loop120")
    fstab = host.file("/etc/fstab").content_string.splitlines()
    assert f"UUID={uuid} /home xfs defaults,nofail 0 2" in fstab
    assert host.check_output("blkid -p -s LABEL -o value /dev/loop120") == "home"


def test_files_in_home_were_copied_onto_the_new_volume(host):
    # the AMI's login user keeps its SSH key once /home is the new file system
    assert host.file("/home/admin/.ssh/authorized_keys").content_string.strip() == KEY


def test_volume_with_data_is_kept_not_reformatted(host):
    db = mount_of(host, "/srv/pacs-db")
    assert (db["source"], db["fstype"]) == ("/dev/loop121", "ext4")
    assert "noatime" in db["options"].split(",")
    assert host.file("/srv/pacs-db/keep-me.txt").content_string == "study 1.2.840.113619 must survive\n"


def test_rerun_keeps_the_data(host):
    host.check_output("echo written-after-converge > /srv/pacs-db/later.txt && echo x > /home/admin/later.txt")
    result = pacsops_testlib.run_playbook("converge.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert pacsops_testlib.recap(result.stdout)["pacsops-storage-host"]["changed"] == 0, result.stdout[-3000:]
    assert host.file("/srv/pacs-db/keep-me.txt").exists
    assert host.file("/srv/pacs-db/later.txt").content_string == "written-after-converge\n"
    assert host.file("/home/admin/later.txt").exists


def test_device_that_is_not_blank_is_refused_and_untouched(host):
    result = pacsops_testlib.run_playbook("refuse.yml")
    assert result.returncode != 0
    # ansible-core 2.19 prints a task's failure on stderr ([ERROR]) and the result on stdout.
    output = result.stdout + result.stderr
    assert "data volume 'bad' (vol-0570a9e000000122a, /srv/bad): /dev/loop122 is not blank (dos)" in output, (
        output[-3000:]
    )
    signatures = json.loads(host.check_output("wipefs -n -J /dev/loop122"))["signatures"]
    assert [s["type"] for s in signatures] == ["dos"]
    assert not host.mount_point("/srv/bad").exists


def test_grown_volume_grows_online_and_shows_in_df(host):
    before = int(mount_of(host, "/home")["size"])
    # what ModifyVolume does to an EBS volume: the device gets bigger under the mounted file system
    subprocess.run(["truncate", "-s", "768M", f"{BACKING}/home.img"], check=True)
    subprocess.run(["losetup", "-c", "/dev/loop120"], check=True)
    result = pacsops_testlib.run_playbook("converge.yml", "-v")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "grow the xfs file system on /dev/loop120 online" in result.stdout
    after = int(host.check_output("df -B1 --output=size /home | tail -1"))
    assert after - before > 200 * 1024 * 1024, (before, after)
    assert host.file("/home/admin/.ssh/authorized_keys").exists
    again = pacsops_testlib.run_playbook("converge.yml")
    assert pacsops_testlib.recap(again.stdout)["pacsops-storage-host"]["changed"] == 0, again.stdout[-3000:]


def test_check_mode_is_clean_on_the_converged_host():
    pacsops_testlib.assert_check_mode_clean()
