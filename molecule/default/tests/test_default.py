"""The iPACS host as the example inventory declares it, checked on the host and from outside."""
import os
import sys

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402


def test_service_account_exists_with_locked_password(host):
    user = host.user("ipacs")
    assert user.exists
    assert user.home == "/home/ipacs"
    assert user.shell == "/bin/bash"
    # 000: no system password; "!" (locked) in /etc/shadow.
    shadow = host.run("getent shadow ipacs").stdout.split(":")
    assert shadow[1].startswith("!"), shadow[1]


def test_password_login_is_refused(host):
    # A locked account cannot authenticate with any password.
    status = host.run("passwd -S ipacs").stdout.split()
    assert status[1] == "L", status


def test_home_and_instance_modes(host):
    home = host.file("/home/ipacs")
    assert home.is_directory and home.user == "ipacs" and home.mode == 0o750
    instance = host.file("/home/ipacs/demo")
    assert instance.is_directory and instance.user == "ipacs" and instance.group == "ipacs"
    assert instance.mode == 0o750


def test_authorized_keys_present_and_private(host):
    keys = host.file("/home/ipacs/.ssh/authorized_keys")
    assert keys.exists and keys.user == "ipacs" and keys.mode == 0o600
    assert "demo@pacsops" in keys.content_string
    assert host.file("/home/ipacs/.ssh").mode == 0o700


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()


def test_preflight_report_written_and_cpu_check_failed_on_two_cores(host):
    # The report lands on the controller, in reports/ beside the inventory (preflight_report_dir's default).
    import json
    import pathlib

    name = host.backend.get_hostname()
    report_dir = pathlib.Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent / "reports"
    data = json.loads((report_dir / f"{name}.json").read_text())
    markdown = (report_dir / f"{name}.md").read_text()
    checks = {c["name"]: c for c in data["checks"]}
    cpu = next(c for n, c in checks.items() if "cpu" in n.lower() or "core" in n.lower())
    cores = int(host.run("nproc").stdout)
    assert cpu["status"] == ("fail" if cores < 4 else "pass"), cpu
    assert data["ready"] is (cores >= 4 and all(c["status"] != "fail" for c in data["checks"]))
    assert "NOT READY" in markdown or cores >= 4


def test_firewall_opens_the_declared_ports_and_not_the_database(host):
    assert host.service("firewalld").is_running
    listing = dict(
        line.strip().split(":", 1) for line in host.run("firewall-cmd --zone=public --list-all").stdout.splitlines() if ":" in line
    )
    by_service = {"ssh": "22/tcp", "http": "80/tcp", "https": "443/tcp"}
    opened = set(listing["ports"].split()) | {by_service.get(s, s) for s in listing["services"].split()}
    assert {"22/tcp", "80/tcp", "443/tcp"} <= opened, opened
    assert not any(p.startswith("3306/") for p in opened), "the database port must not be exposed"


def test_mariadb_serves_the_declared_schemas_on_localhost_only(host):
    assert host.service("mariadb").is_enabled and host.service("mariadb").is_running
    schemas = host.run("mariadb -N -e 'SHOW DATABASES'").stdout.split()
    assert {"public_pacs", "public_view"} <= set(schemas)
    assert host.socket("tcp://127.0.0.1:3306").is_listening
    assert not host.socket("tcp://0.0.0.0:3306").is_listening


def test_clamav_runs_on_offline_signatures_and_skips_the_pacs_data(host):
    assert host.service("clamav-daemon").is_running
    clamd = host.file("/etc/clamav/clamd.conf").content_string
    # 002: never scan the image store, the Docker data root or the database.
    for excluded in ("/home/docker", "/var/lib/mysql"):
        assert excluded in clamd, excluded
    assert host.service("clamav-freshclam").is_enabled is False


def test_remote_access_stays_off_until_the_customer_enables_it(host):
    assert host.package("openvpn").is_installed
    assert not host.service("openvpn-client@vendor").is_running
    assert not host.service("openvpn-client@vendor").is_enabled


def _rerun_corrects(host, drift):
    """Drifts this host, re-runs the playbook on it alone; returns its changed count and that of the run after."""
    name = host.backend.get_hostname()
    made = host.run(drift)
    assert made.rc == 0, made.stderr
    result = pacsops_testlib.run_playbook("converge.yml", "--limit", name)
    assert result.returncode == 0, result.stdout[-3000:]
    again = pacsops_testlib.run_playbook("converge.yml", "--limit", name)
    assert again.returncode == 0, again.stdout[-3000:]
    return pacsops_testlib.recap(result.stdout)[name]["changed"], pacsops_testlib.recap(again.stdout)[name]["changed"]


def test_drift_in_a_late_role_is_seen_by_the_one_read_at_the_start(host):
    # The host is read once per run while nothing has changed it (callback pacsops.server.host_reads): the read
    # made by the first role answers the clamav role, ten roles later, and must show it this run's drift (a read
    # kept from the run before would show the file as converged).
    changed, after = _rerun_corrects(host, "chmod 0600 /etc/clamav/clamd.conf")
    assert changed >= 1 and after == 0, (changed, after)
    assert host.file("/etc/clamav/clamd.conf").mode == 0o644


def test_after_a_role_corrects_drift_the_later_roles_read_the_host_again(host):
    # service_account corrects its drift first, so the roles after it read the host again (that they do, and not
    # from the read made before the change, is tested in tests/unit/plugins/action/test_host_state_reads.py);
    # clamav's drift is still corrected in the same run.
    changed, after = _rerun_corrects(host, "chmod 0755 /home/ipacs && chmod 0600 /etc/clamav/clamd.conf")
    assert changed >= 2 and after == 0, (changed, after)
    assert host.file("/home/ipacs").mode == 0o750
    assert host.file("/etc/clamav/clamd.conf").mode == 0o644
