"""Backup and restore proven by a restore: files byte-identical, table checksums equal; rotation to
exactly the declared set; a wrong password and a damaged repository fail loudly and make
restore.yml refuse before it touches anything. The tests run in file order and build on each other."""
import json
import os
import sys

import yaml

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(SCENARIO))
RESTORE = os.path.join(REPO_ROOT, "playbooks", "restore.yml")
BACKUP_NOW = os.path.join(REPO_ROOT, "playbooks", "backup_now.yml")
with open(os.path.join(SCENARIO, "molecule.yml"), encoding="utf-8") as handle:
    GROUP = yaml.safe_load(handle)["provisioner"]["inventory"]["group_vars"]["ipacs_hosts"]
PASSWORD = GROUP["backup_password"]
INSTANCE = "/home/ipacs/main"
REPOSITORY = "/var/backups/pacsops/restic"
STATUS = "/var/lib/pacsops/backup-status.json"
RUNNER = "/usr/local/sbin/pacsops-backup"
TABLES = ["public_pacs.study", "public_pacs.series", "public_view.viewer_log"]


def sh(host, command):
    result = host.run(command)
    assert result.rc == 0, f"{command}: {result.stdout[-2000:]} {result.stderr[-2000:]}"
    return result.stdout


def sql(host, statement):
    return sh(host, f"mariadb --batch --skip-column-names -e {json.dumps(statement)}").strip()


def file_list(host, root=INSTANCE):
    """sha256, mode, owner and path of every file, relative to root: the byte-identity proof."""
    return sh(host, f"cd {root} && find . -type f -exec sha256sum {{}} + | sort -k2 && "
                    f"find . -printf '%m %u:%g %y %p\\n' | sort -k4")


def checksums(host):
    return {table: sql(host, f"CHECKSUM TABLE {table} EXTENDED") for table in TABLES}


def status(host):
    return json.loads(host.file(STATUS).content_string)


def playbook(path, *args):
    result = pacsops_testlib.run_playbook(path, "-v", *args)
    output = result.stdout + result.stderr
    assert PASSWORD not in output, "repository password printed by " + path
    return result, output


def test_secrets_are_root_only(host):
    password = host.file("/etc/pacsops/backup/password")
    assert password.user == "root" and password.mode == 0o600
    assert host.file("/etc/pacsops/backup").mode == 0o700
    assert host.file(REPOSITORY).is_directory and host.file(REPOSITORY + "/config").exists
    for unit in ("pacsops-backup.service", "pacsops-backup-check.service"):
        shown = sh(host, f"systemctl cat {unit}; systemctl show {unit}")
        assert PASSWORD not in shown
    for timer in ("pacsops-backup.timer", "pacsops-backup-check.timer"):
        assert host.service(timer).is_enabled and host.service(timer).is_running
    assert "RandomizedDelaySec=1h" in host.file("/etc/systemd/system/pacsops-backup.timer").content_string


def test_check_mode_clean_and_silent_about_the_password():
    """assert_check_mode_clean, with -v, whose output must not hold the password either."""
    result = pacsops_testlib.run_playbook("converge.yml", "-v", check=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    hosts = pacsops_testlib.recap(result.stdout)
    assert hosts and not any(r["changed"] for r in hosts.values()), output[-4000:]
    assert PASSWORD not in output


def test_backup_destroy_restore_round_trip(host):
    # Files of several sizes and modes, an empty file, a deep path, a file the excludes skip.
    sh(host, f"install -d -o ipacs -g ipacs {INSTANCE}/browser/a/b/c {INSTANCE}/webdisk {INSTANCE}/config && "
             f"head -c 3000000 /dev/urandom > {INSTANCE}/webdisk/big.bin && "
             f"for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom > {INSTANCE}/browser/a/b/c/f$i.dat; done && "
             f": > {INSTANCE}/config/empty && echo 'port=104' > {INSTANCE}/config/ipacs.conf && "
             f"chmod 0640 {INSTANCE}/config/ipacs.conf && chown -R ipacs:ipacs {INSTANCE} && "
             f"echo skip > {INSTANCE}/webdisk/upload.part")
    sql(host, "USE public_pacs; CREATE OR REPLACE TABLE public_pacs.study (id INT PRIMARY KEY AUTO_INCREMENT, uid VARCHAR(64), name VARCHAR(64) "
              "CHARACTER SET utf8mb4) ENGINE=InnoDB; "
              "CREATE OR REPLACE TABLE public_pacs.series (id INT PRIMARY KEY AUTO_INCREMENT, study INT, n INT); "
              "CREATE OR REPLACE TABLE public_view.viewer_log (id BIGINT PRIMARY KEY AUTO_INCREMENT, msg TEXT); "
              "INSERT INTO public_pacs.study (uid, name) SELECT CONCAT('1.2.840.', seq), CONCAT('Müller^', seq) "
              "FROM seq_1_to_500; "
              "INSERT INTO public_pacs.series (study, n) SELECT seq % 500 + 1, seq FROM seq_1_to_2000; "
              "INSERT INTO public_view.viewer_log (msg) SELECT REPEAT('x', seq) FROM seq_1_to_300;")
    sh(host, f"rm {INSTANCE}/webdisk/upload.part")
    files_before = file_list(host)
    sums_before = checksums(host)
    sh(host, f"echo skip > {INSTANCE}/webdisk/upload.part")

    result, output = playbook(BACKUP_NOW)
    assert result.returncode == 0, output[-4000:]
    snapshot = status(host)["backup"]["repositories"]["local"]["snapshot_id"]
    assert f"local: snapshot {snapshot}" in output
    assert status(host)["backup"]["ok"] is True
    assert sorted(status(host)["backup"]["databases"]) == ["public_pacs", "public_view"]

    # Disaster: the instance directory and both databases are gone.
    sh(host, f"rm -rf {INSTANCE}")
    sql(host, "DROP DATABASE public_pacs; DROP DATABASE public_view")

    result, output = playbook(RESTORE)
    assert result.returncode == 0, output[-4000:]
    assert f"restoring snapshot {snapshot}" in output
    assert not host.file(f"{INSTANCE}/webdisk/upload.part").exists  # excluded, so not in the backup
    assert file_list(host) == files_before
    assert checksums(host) == sums_before
    assert host.service("pacs-writer.service").is_running
    assert host.service("pacsops-backup.timer").is_running


def test_restore_to_alternate_path_leaves_live_data_alone(host):
    sh(host, f"echo changed-after-backup > {INSTANCE}/config/ipacs.conf")
    sql(host, "INSERT INTO public_pacs.study (uid) VALUES ('after-backup')")
    live_files, live_sums = file_list(host), checksums(host)
    writer_since = sh(host, "systemctl show -p ActiveEnterTimestampMonotonic pacs-writer.service")

    sh(host, "rm -rf /srv/inspect")
    result, output = playbook(RESTORE, "-e", "restore_target=/srv/inspect")
    assert result.returncode == 0, output[-4000:]
    assert host.file(f"/srv/inspect{INSTANCE}/config/ipacs.conf").content_string == "port=104\n"
    assert file_list(host) == live_files and checksums(host) == live_sums
    assert sh(host, "systemctl show -p ActiveEnterTimestampMonotonic pacs-writer.service") == writer_since


def test_rotation_keeps_exactly_the_declared_set(host):
    """Snapshots with faked dates under their own --host (retention groups by host), then the
    runner's forget with the declared keep-daily 3 / weekly 2 / monthly 2."""
    dates = ["2025-12-15 03:00:00", "2025-12-28 03:00:00", "2026-01-05 03:00:00", "2026-01-10 03:00:00",
             "2026-01-11 03:00:00", "2026-01-17 03:00:00", "2026-01-18 03:00:00", "2026-01-19 03:00:00",
             "2026-01-20 03:00:00", "2026-01-20 15:00:00", "2026-01-21 03:00:00"]
    for date in dates:
        sh(host, f"{RUNNER} restic local backup --host rotation-test --time '{date}' /etc/hostname")
    sh(host, f"{RUNNER} forget")
    kept = json.loads(sh(host, f"{RUNNER} restic local snapshots --json --host rotation-test"))
    # daily: 21st, 20th (15:00), 19th; weekly (ISO weeks): 21st (week 4), 18th (week 3);
    # monthly: January (21st), December (28th).
    assert sorted(s["time"][:16] for s in kept) == [
        "2025-12-28T03:00", "2026-01-18T03:00", "2026-01-19T03:00", "2026-01-20T15:00", "2026-01-21T03:00"]
    assert status(host)["forget"]["ok"] is True
    sh(host, f"{RUNNER} restic local forget --prune " + " ".join(s["id"] for s in kept))


def _refused_without_touching(host, output, result):
    assert result.returncode != 0
    assert "REFUSED, nothing was changed" in output
    assert "Restore the files" not in output.split("REFUSED")[0]


def test_wrong_password_fails_loudly_and_restore_refuses(host):
    live_files, live_sums = file_list(host), checksums(host)
    sh(host, "cp -p /etc/pacsops/backup/password /root/password.keep && "
             "echo not-the-password > /etc/pacsops/backup/password")
    try:
        assert host.run("systemctl start pacsops-backup.service").rc != 0
        assert host.run("systemctl is-failed pacsops-backup.service").stdout.strip() == "failed"
        backup = status(host)["backup"]
        assert backup["ok"] is False and "wrong password" in backup["repositories"]["local"]["error"]
        assert backup["last_success"]  # the last good run is still on record

        result, output = playbook(RESTORE)
        _refused_without_touching(host, output, result)
        assert "does not open the repository" in output
        assert host.service("pacs-writer.service").is_running
        assert file_list(host) == live_files and checksums(host) == live_sums
    finally:
        sh(host, "mv /root/password.keep /etc/pacsops/backup/password && systemctl reset-failed pacsops-backup.service")


def test_damaged_repository_fails_loudly_and_restore_refuses(host):
    live_files, live_sums = file_list(host), checksums(host)
    sh(host, f"cp -a {REPOSITORY} /root/repo.keep && "
             f"for f in {REPOSITORY}/index/*; do chmod u+w $f; head -c 512 /dev/urandom > $f; done")
    try:
        assert host.run("systemctl start pacsops-backup.service").rc != 0
        assert host.run("systemctl is-failed pacsops-backup.service").stdout.strip() == "failed"
        assert status(host)["backup"]["ok"] is False

        result, output = playbook(RESTORE)
        _refused_without_touching(host, output, result)
        assert host.service("pacs-writer.service").is_running
        assert file_list(host) == live_files and checksums(host) == live_sums
    finally:
        sh(host, f"rm -rf {REPOSITORY} && mv /root/repo.keep {REPOSITORY} && "
                 "systemctl reset-failed pacsops-backup.service")
    assert host.run("systemctl start pacsops-backup.service").rc == 0
    assert status(host)["backup"]["ok"] is True
