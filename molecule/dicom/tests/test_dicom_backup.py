"""003 backups: the archive backed up by the backup role (restic), lost, restored with restore.yml; then
the probe's C-ECHO succeeds and C-FIND finds exactly the studies stored before, and Orthanc's SQLite
index is whole and names only images that are on disk.

Orthanc holds its index locked exclusively (WAL): the backup runner stops it for the copy of the index
(SQLite's backup API) and starts it again before restic reads the images. A second modality stores a
study while the backup runs, so the backup meets an archive being written to.
"""
import os
import re
import sys
import uuid

import pytest
import testinfra

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402
from test_dicom_service import ARCHIVE_AE, MAKE_IMAGES, PORT, STORAGE, echo  # noqa: E402

testinfra_hosts = ["pacsops-dicom-debian12"]

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
ADDRESS = "172.30.80.10"
PLAYBOOKS = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks")
STUDIES = 3
IMAGES = 4

# On the host: SQLite's own check of the index, and every attachment the index names present in the
# storage directory (Orthanc's layout: <storage>/<uuid[0:2]>/<uuid[2:4]>/<uuid>).
CHECK_INDEX = r"""
import os, sqlite3, sys
storage = sys.argv[1]
db = sqlite3.connect("file:%s/index?mode=ro" % storage, uri=True)
print(db.execute("PRAGMA integrity_check").fetchone()[0])
uuids = [row[0] for row in db.execute("SELECT uuid FROM AttachedFiles")]
missing = [u for u in uuids if not os.path.exists(os.path.join(storage, u[0:2], u[2:4], u))]
print(len(uuids), len(missing))
"""


@pytest.fixture(scope="module")
def probe_in():
    return testinfra.get_host(f"ansible://pacsops-dicom-probe-in?ansible_inventory={INVENTORY}")


def study_uids(prober, patient_id):
    """C-FIND at study level from the allowed modality: the sorted study UIDs of one patient."""
    result = prober.run(
        f"findscu -S -aet MODALITY_IN -aec {ARCHIVE_AE} -k QueryRetrieveLevel=STUDY -k PatientID={patient_id} "
        f"-k StudyInstanceUID {ADDRESS} {PORT}")
    assert result.rc == 0, result.stderr
    return sorted(re.findall(r"\(0020,000d\) UI \[([0-9.]+)\]", result.stderr + result.stdout))


def store(prober, directory, count, patient_id, background=False):
    made = prober.run(f"python3 -c %s {directory} {count} {patient_id}", MAKE_IMAGES)
    assert made.rc == 0, made.stderr
    command = f"storescu +sd -aet MODALITY_IN -aec {ARCHIVE_AE} {ADDRESS} {PORT} {directory}/"
    if background:
        command = f"nohup {command} >/tmp/inflight.log 2>&1 &"
    sent = prober.run(command)
    assert sent.rc == 0, sent.stderr
    return made.stdout.strip()


def index_state(host, probe_in):
    """The index check, with Orthanc stopped: it takes its exclusive lock at its first flush, about 10 s
    after it starts (measured), and a reader then gets "database is locked". Started again, it answers."""
    host.run("systemctl stop orthanc")
    try:
        result = host.run("python3 -c %s %s", CHECK_INDEX, STORAGE)
    finally:
        host.run("systemctl start orthanc")
        probe_in.run(f"for i in $(seq 30); do echoscu -to 2 -aet MODALITY_IN -aec {ARCHIVE_AE} {ADDRESS} {PORT} && break; sleep 1; done")
    assert result.rc == 0, result.stderr
    integrity, counts = result.stdout.split("\n")[:2]
    attached, missing = (int(n) for n in counts.split())
    return integrity, attached, missing


def test_restore_finds_the_same_studies(host, probe_in):
    patient = f"PID-BACKUP-{uuid.uuid4().hex[:8]}"  # a verify run on an already used archive starts clean too
    stored = sorted(store(probe_in, f"/tmp/backup-study{i}", IMAGES, patient) for i in range(STUDIES))
    before = study_uids(probe_in, patient)
    assert before == stored

    # Another modality keeps storing while the backup copies the index.
    store(probe_in, "/tmp/inflight", 150, "PID-INFLIGHT", background=True)
    backup = pacsops_testlib.run_playbook(os.path.join(PLAYBOOKS, "backup_now.yml"), "-e", "backup_now_hosts=dicom_backup_hosts")
    assert backup.returncode == 0, backup.stdout[-3000:]
    probe_in.run("while pidof storescu >/dev/null; do sleep 0.5; done")

    # The archive is lost: service stopped, storage directory (images and the SQLite index) deleted.
    host.run("systemctl stop orthanc")
    host.run(f"rm -rf {STORAGE}")
    assert not host.file(STORAGE).exists

    restore = pacsops_testlib.run_playbook(os.path.join(PLAYBOOKS, "restore.yml"), "-e", "restore_hosts=dicom_backup_hosts")
    assert restore.returncode == 0, restore.stdout[-3000:]
    # restore.yml's own C-ECHO ran (from the controller) and was answered.
    echoed = re.search(r"TASK \[Check the DICOM service answers a C-ECHO\][^\n]*\n(?:(?!TASK \[).*\n)*?ok: \[pacsops-dicom-debian12",
                       pacsops_testlib.ANSI.sub("", restore.stdout))
    assert echoed, restore.stdout[-3000:]

    assert echo(probe_in, ADDRESS, "MODALITY_IN").rc == 0
    assert study_uids(probe_in, patient) == before
    integrity, attached, missing = index_state(host, probe_in)
    print(f"restored index: integrity {integrity}, {attached} attachments, {missing} missing; "
          f"studies of the store during the backup: {len(study_uids(probe_in, 'PID-INFLIGHT'))}")
    assert (integrity, missing) == ("ok", 0)
    assert attached >= STUDIES * IMAGES


def test_backup_snapshot_leaves_out_the_live_index(host):
    """The snapshot holds the runner's online copy of the index, not the live file (which may be torn)."""
    listing = host.run("/usr/local/sbin/pacsops-backup restic local ls latest")
    assert listing.rc == 0, listing.stderr
    paths = listing.stdout.split()
    assert f"{STORAGE}/index" not in paths
    assert "/var/lib/pacsops/backup/sqlite/var_lib_dicom-server_data_index" in paths
