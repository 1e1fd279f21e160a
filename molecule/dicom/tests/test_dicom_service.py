"""The DICOM archive seen from the probes (DICOM associations) and on the hosts (user, files, unit).

Probe-in (172.30.80.20) is inside the allowed source network, probe-out (172.30.81.20) outside.
MODALITY_IN is allowed from probe-in's address; OLD_DEVICE is allowed and blocked (the block list
wins); STRANGER is unknown.
"""
import os
import re
import sys
import time

import pytest
import testinfra

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

testinfra_hosts = ["pacsops-dicom-debian12", "pacsops-dicom-debian13"]

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
INSIDE = {"pacsops-dicom-debian12": "172.30.80.10", "pacsops-dicom-debian13": "172.30.80.11"}
OUTSIDE = {"pacsops-dicom-debian12": "172.30.81.10", "pacsops-dicom-debian13": "172.30.81.11"}
ARCHIVE_AE = "HOSPITAL_PACS"
PORT = 11112
STORAGE = "/var/lib/dicom-server/data"

# Writes N small CT images of one new study (pydicom 2.3 from Debian) and prints the study UID.
MAKE_IMAGES = r"""
import os, sys
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out, count, patient = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
study, series = generate_uid(), generate_uid()
for i in range(count):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID = "PACSOPS^TEST", patient
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.Modality, ds.InstanceNumber = "CT", i + 1
    ds.Rows = ds.Columns = 64
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = bytes((i + x) % 256 for x in range(64 * 64 * 2))
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(os.path.join(out, "img%03d.dcm" % i), write_like_original=False)
print(study)
"""


def probe(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


@pytest.fixture(scope="module")
def probe_in():
    return probe("pacsops-dicom-probe-in")


@pytest.fixture(scope="module")
def probe_out():
    return probe("pacsops-dicom-probe-out")


@pytest.fixture
def address(host):
    return INSIDE[host.backend.get_hostname()]


def echo(prober, address, calling_ae, timeout=5):
    return prober.run(f"echoscu -to {timeout} -ta {timeout} -aet {calling_ae} -aec {ARCHIVE_AE} {address} {PORT}")


def find_studies(prober, address, patient_id):
    """C-FIND at study level for one patient; returns the study UIDs the archive answers."""
    result = prober.run(
        f"findscu -S -aet MODALITY_IN -aec {ARCHIVE_AE} -k QueryRetrieveLevel=STUDY -k PatientID={patient_id} "
        f"-k StudyInstanceUID -k NumberOfStudyRelatedInstances {address} {PORT}")
    assert result.rc == 0, result.stderr
    return re.findall(r"\(0020,000d\) UI \[([0-9.]+)\]", result.stderr + result.stdout)


@pytest.fixture(scope="module")
def stored_study(probe_in):
    """One study of 5 images stored on each host from the allowed modality: {host: study UID}."""
    stored = {}
    for name, address in INSIDE.items():
        made = probe_in.run(f"python3 -c %s /tmp/img-{name} 5 PID-{name}", MAKE_IMAGES)
        assert made.rc == 0, made.stderr
        sent = probe_in.run(f"storescu +sd -aet MODALITY_IN -aec {ARCHIVE_AE} {address} {PORT} /tmp/img-{name}/")
        assert sent.rc == 0, sent.stderr
        stored[name] = made.stdout.strip()
    return stored


def test_allowed_modality_echoes(host, probe_in, address):
    result = echo(probe_in, address, "MODALITY_IN")
    assert result.rc == 0, result.stderr


def test_store_then_find_returns_the_study(host, probe_in, address, stored_study):
    name = host.backend.get_hostname()
    assert find_studies(probe_in, address, f"PID-{name}") == [stored_study[name]]


@pytest.mark.parametrize("calling_ae", ["OLD_DEVICE", "STRANGER"])
def test_blocked_and_unknown_calling_ae_rejected(host, probe_in, address, calling_ae):
    result = echo(probe_in, address, calling_ae)
    assert result.rc != 0
    assert "Association Rejected" in result.stderr, result.stderr


def test_wrong_called_ae_rejected(host, probe_in, address):
    result = probe_in.run(f"echoscu -to 5 -aet MODALITY_IN -aec OTHER_PACS {address} {PORT}")
    assert result.rc != 0
    assert "Association Rejected" in result.stderr, result.stderr


def test_outside_network_gets_no_connection(host, probe_out):
    address = OUTSIDE[host.backend.get_hostname()]
    # The firewall answers with ICMP admin-prohibited (REJECT zone): no TCP connection at all.
    result = probe_out.run(
        "python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(3); s.connect((sys.argv[1], int(sys.argv[2])))'"
        f" {address} {PORT}")
    assert result.rc != 0
    assert "ConnectionRefusedError" not in result.stderr or "No route" in result.stderr or "refused" in result.stderr
    assert echo(probe_out, address, "MODALITY_IN", timeout=3).rc != 0


def test_runs_as_orthanc_with_hardening(host):
    service = host.service("orthanc")
    assert service.is_running and service.is_enabled
    pid = host.check_output("systemctl show -p MainPID --value orthanc")
    assert host.check_output(f"ps -o user= -p {pid}").strip() == "orthanc"
    show = host.check_output(
        "systemctl show orthanc -p NoNewPrivileges -p ProtectSystem -p ProtectHome -p PrivateTmp -p LimitNOFILE "
        "-p Restart -p Environment -p CapabilityBoundingSet -p ReadWritePaths")
    for expected in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                     "LimitNOFILE=65536", "Restart=on-failure", "TCP_NODELAY=1", "CapabilityBoundingSet=\n",
                     "ReadWritePaths=/var/lib/dicom-server /var/log/dicom-server"):
        assert expected in show + "\n", show
    # Recorded for the closing note; systemd-analyze prints "Overall exposure level for ...: 2.1 OK".
    score = host.run("systemd-analyze security orthanc.service --no-pager | tail -1")
    print(f"{host.backend.get_hostname()}: {score.stdout.strip()}")
    assert re.search(r"exposure level for orthanc.service: [0-9.]+ (OK|SAFE)", score.stdout), score.stdout


def test_files_and_directories(host):
    for path, mode, owner, group in [
        ("/etc/dicom-server", 0o750, "root", "orthanc"),
        ("/etc/dicom-server/orthanc.json", 0o640, "root", "orthanc"),
        ("/etc/dicom-server/credentials.json", 0o640, "root", "orthanc"),
        ("/var/lib/dicom-server", 0o750, "orthanc", "orthanc"),
        (STORAGE, 0o750, "orthanc", "orthanc"),
        ("/var/log/dicom-server", 0o750, "orthanc", "orthanc"),
    ]:
        f = host.file(path)
        assert (f.mode, f.user, f.group) == (mode, owner, group), path
    sysctl = host.file("/etc/sysctl.d/60-dicom-service.conf").content_string
    assert "net.core.rmem_max = 16777216" in sysctl and "fs.file-max = 2097152" in sysctl
    # The SQLite index sits in the storage directory: one path to back up.
    assert host.file(f"{STORAGE}/index").exists


def test_never_ran_on_the_package_configuration(host):
    # Started by its package, Orthanc would first run on /etc/orthanc (any calling AE title on 4242, storing
    # what it is sent) and create its storage under /var/lib/orthanc. The role keeps the package from
    # starting it: the archive's first start is on the role's configuration.
    assert not host.file("/var/lib/orthanc/db-v6").exists


def test_secrets_not_in_config_readable_by_others(host):
    assert "molecule-only-http-password" not in host.file("/etc/dicom-server/orthanc.json").content_string
    assert host.file("/etc/dicom-server/credentials.json").mode == 0o640


def test_survives_kill_and_keeps_data_across_restart(host, probe_in, address, stored_study):
    name = host.backend.get_hostname()
    before = host.check_output("systemctl show -p MainPID --value orthanc")
    host.run(f"kill -9 {before}")
    for _ in range(40):
        time.sleep(0.5)
        now = host.check_output("systemctl show -p MainPID --value orthanc")
        if now not in ("0", before) and echo(probe_in, address, "MODALITY_IN").rc == 0:
            break
    else:
        pytest.fail("orthanc was not restarted after kill -9")
    assert find_studies(probe_in, address, f"PID-{name}") == [stored_study[name]]
    host.run("systemctl restart orthanc")
    for _ in range(40):
        if echo(probe_in, address, "MODALITY_IN").rc == 0:
            break
        time.sleep(0.5)
    assert find_studies(probe_in, address, f"PID-{name}") == [stored_study[name]]


def test_rerun_and_check_mode_change_nothing_and_keep_data(host, probe_in, address, stored_study):
    if host.backend.get_hostname() != "pacsops-dicom-debian12":
        pytest.skip("one playbook run covers every host")
    pid = host.check_output("systemctl show -p MainPID --value orthanc")
    rerun = pacsops_testlib.run_playbook("converge.yml")
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    assert all(r["changed"] == 0 for r in pacsops_testlib.recap(rerun.stdout).values()), rerun.stdout[-3000:]
    assert host.check_output("systemctl show -p MainPID --value orthanc") == pid, "the re-run restarted orthanc"
    pacsops_testlib.assert_check_mode_clean()
    for name, addr in INSIDE.items():
        assert find_studies(probe_in, addr, f"PID-{name}") == [stored_study[name]]
