"""timesync: the iPACS host syncs from the site's own NTP server, alone, without setting the clock."""
import os
import sys
import time

import pytest
import testinfra

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
HOST = "pacsops-timesync-host"
SITE_SERVER = "172.30.40.10"
CAP_SYS_TIME = 25


def _get(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


@pytest.fixture(scope="module")
def ipacs():
    return _get(HOST)


def _wait_for(ipacs, command, predicate, timeout=60):
    """Runs command until predicate(stdout) holds; returns the last stdout."""
    deadline = time.monotonic() + timeout
    while True:
        out = ipacs.run(command).stdout
        if predicate(out) or time.monotonic() > deadline:
            return out
        time.sleep(2)


def _daemon_capabilities(ipacs, daemon):
    pid = ipacs.check_output(f"pidof -s {daemon}")
    bounding = ipacs.check_output(f"awk '/^CapBnd/ {{print $2}}' /proc/{pid}/status")
    return int(bounding, 16), ipacs.check_output(f"tr '\\0' ' ' < /proc/{pid}/cmdline")


def _assert_only(ipacs, service, package):
    others = {"chrony": "chrony", "ntpsec": "ntpsec", "systemd-timesyncd": "systemd-timesyncd"}
    assert ipacs.service(service).is_running and ipacs.service(service).is_enabled
    assert ipacs.package(package).is_installed
    for other_service, other_package in others.items():
        if other_package == package:
            continue
        assert not ipacs.package(other_package).is_installed, other_package
        assert ipacs.run(f"systemctl is-active {other_service}").stdout.strip() != "active", other_service


def test_chrony_runs_with_the_declared_sources(ipacs):
    conf = ipacs.file("/etc/chrony/chrony.conf").content_string
    assert f"server {SITE_SERVER} iburst prefer\n" in conf
    assert "pool pool.ntp.invalid iburst\n" in conf
    assert f"{SITE_SERVER}" in ipacs.check_output("chronyc -n sources")


def test_host_synchronises_from_the_site_server(ipacs):
    # The site server (made by the role: serve_networks + local stratum 8) answers, and chrony selects it (^*).
    out = _wait_for(ipacs, "chronyc -n sources", lambda o: f"^* {SITE_SERVER}" in o)
    assert f"^* {SITE_SERVER}" in out, out


def test_competing_daemons_are_off_and_removed(ipacs):
    _assert_only(ipacs, "chrony", "chrony")


def test_container_mode_cannot_set_the_clock(ipacs):
    bounding, cmdline = _daemon_capabilities(ipacs, "chronyd")
    assert " -x" in cmdline, cmdline
    assert not bounding & (1 << CAP_SYS_TIME), hex(bounding)


def test_site_server_serves_only_the_site_network():
    conf = _get("pacsops-timesync-server").file("/etc/chrony/chrony.conf").content_string
    assert "allow 172.30.40.0/24\n" in conf and "local stratum 8\n" in conf


def test_switching_to_ntpsec_and_back_converges(ipacs):
    limit = ("--limit", HOST)
    result = pacsops_testlib.run_playbook("converge.yml", "-e", "timesync_provider=ntpsec", *limit)
    assert result.returncode == 0, result.stdout[-3000:]
    _assert_only(ipacs, "ntpsec", "ntpsec")
    conf = ipacs.file("/etc/ntpsec/ntp.conf").content_string
    assert f"server {SITE_SERVER} iburst prefer\n" in conf and "disable ntp\n" in conf
    bounding, _ = _daemon_capabilities(ipacs, "ntpd")
    assert not bounding & (1 << CAP_SYS_TIME), hex(bounding)
    # ntpd polls the site server through `restrict default ignore` + `restrict source` (reach != 0).
    peers = _wait_for(ipacs, "ntpq -pn", lambda o: any(
        line.split()[0].lstrip("*+-#") == SITE_SERVER and line.split()[6] != "0"
        for line in o.splitlines() if line.split() and SITE_SERVER in line.split()[0]))
    assert any(SITE_SERVER in line and line.split()[6] != "0" for line in peers.splitlines()), peers

    result = pacsops_testlib.run_playbook("converge.yml", *limit)
    assert result.returncode == 0, result.stdout[-3000:]
    _assert_only(ipacs, "chrony", "chrony")
    out = _wait_for(ipacs, "chronyc -n sources", lambda o: f"^* {SITE_SERVER}" in o)
    assert f"^* {SITE_SERVER}" in out, out


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()
