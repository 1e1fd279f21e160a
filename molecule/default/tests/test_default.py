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
    # The report lands on the controller, under reports/ of the directory Molecule runs from.
    import json
    import pathlib

    name = host.backend.get_hostname()
    report_dir = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "reports"
    data = json.loads((report_dir / f"{name}.json").read_text())
    markdown = (report_dir / f"{name}.md").read_text()
    checks = {c["name"]: c for c in data["checks"]}
    cpu = next(c for n, c in checks.items() if "cpu" in n.lower() or "core" in n.lower())
    cores = int(host.run("nproc").stdout)
    assert cpu["status"] == ("fail" if cores < 4 else "pass"), cpu
    assert data["ready"] is (cores >= 4 and all(c["status"] != "fail" for c in data["checks"]))
    assert "NOT READY" in markdown or cores >= 4


def test_firewall_opens_only_the_declared_services(host):
    assert host.service("firewalld").is_running
    opened = host.run("firewall-cmd --zone=public --list-all").stdout
    services = next(line for line in opened.splitlines() if line.strip().startswith("services:"))
    assert set(services.split(":")[1].split()) >= {"ssh", "http", "https"}
    ports = next(line for line in opened.splitlines() if line.strip().startswith("ports:"))
    assert "3306" not in ports, "the database port must not be exposed"


def test_mariadb_serves_the_declared_schemas_on_localhost_only(host):
    assert host.service("mariadb").is_enabled and host.service("mariadb").is_running
    schemas = host.run("mariadb -N -e 'SHOW DATABASES'").stdout.split()
    assert {"public_pacs", "public_view"} <= set(schemas)
    assert host.socket("tcp://127.0.0.1:3306").is_listening
    assert not host.socket("tcp://0.0.0.0:3306").is_listening
