"""ClamAV offline mode: clamd on the operator's signature, the scheduled scan and its exclusions."""

import base64
import hashlib
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

# The EICAR test string, in two halves so that this file is not itself a test "virus".
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Eicar-Test-Signature.pacsops"
SCAN_LOG = "/var/log/pacsops-clamav-scan.log"
# Where the test drops an EICAR file, and whether the scheduled scan must report it.
PLACEMENTS = {
    "/home/ipacs/demo/incoming/eicar.com": True,  # scanned: /home
    "/tmp/pacsops-eicar.com": True,  # scanned: /tmp
    "/home/ipacs/demo/storage/eicar.com": False,  # excluded: the image store (002)
    "/var/lib/docker/eicar.com": False,  # excluded: the Docker data root
    "/var/lib/mysql/eicar.com": False,  # excluded: the database directory
    "/srv/pacs.cache/eicar.com": False,  # excluded: clamav_exclude_extra_paths
    "/srv/pacsXcache/eicar.com": True,  # scanned: the "." of the exclusion matches only a dot
}


def _is_clamav_host(host):
    return host.backend.get_hostname() == "pacsops-clamav-debian12"


@pytest.fixture
def clamav_host(host):
    if not _is_clamav_host(host):
        pytest.skip("on-site antivirus host")
    return host


def test_eicar_string_is_the_real_one():
    # A wrong test string would make every detection check below meaningless.
    assert len(EICAR) == 68
    assert hashlib.md5(EICAR.encode()).hexdigest() == "44d88612fea8a8f36de82e1278abb02f"


def test_clamd_runs_on_the_operator_signature(clamav_host):
    host = clamav_host
    assert host.service("clamav-daemon").is_running
    assert host.service("clamav-daemon").is_enabled
    # Only the operator's signature is there: no main.* or daily.* (Debian's unit condition).
    assert host.run("ls /var/lib/clamav/main.* /var/lib/clamav/daily.*").rc != 0
    sig = host.file("/var/lib/clamav/pacsops-test.hdb")
    assert sig.content_string.strip() == f"{hashlib.md5(EICAR.encode()).hexdigest()}:68:{SIGNATURE}"
    ping = host.run("clamdscan --ping 3:1")
    assert ping.rc == 0, ping.stdout + ping.stderr


def test_freshclam_configured_for_the_private_mirror_and_off(clamav_host):
    host = clamav_host
    conf = host.file("/etc/clamav/freshclam.conf")
    # The proxy password is in the file: not world-readable.
    assert conf.mode == 0o640 and conf.user == "root" and conf.group == "clamav"
    lines = conf.content_string.splitlines()
    assert "PrivateMirror http://clamav-mirror.pacs.example:8080/clamav" in lines
    assert "HTTPProxyServer proxy.pacs.example" in lines
    assert "HTTPProxyPort 3128" in lines
    assert "HTTPProxyUsername pacs-av" in lines
    # Offline site: freshclam would only fail against mirrors it cannot reach.
    freshclam = host.service("clamav-freshclam")
    assert not freshclam.is_running and not freshclam.is_enabled


def test_scan_timer_is_scheduled(clamav_host):
    host = clamav_host
    timer = host.service("pacsops-clamav-scan.timer")
    assert timer.is_enabled and timer.is_running
    nxt = host.run("systemctl show -P NextElapseUSecRealtime pacsops-clamav-scan.timer").stdout.strip()
    assert nxt, "the timer has no next run"


def test_scheduled_scan_detects_scanned_paths_and_skips_exclusions(clamav_host):
    host = clamav_host
    payload = base64.b64encode(EICAR.encode()).decode()
    for path in PLACEMENTS:
        put = host.run(f"mkdir -p $(dirname {path}) && echo {payload} | base64 -d > {path}")
        assert put.rc == 0, put.stderr
    host.run(f"rm -f {SCAN_LOG}")
    # Run the timer's service now instead of waiting for the schedule.
    host.run("systemctl start pacsops-clamav-scan.service")
    result = host.run("systemctl show -P Result pacsops-clamav-scan.service").stdout.strip()
    status = host.run("systemctl show -P ExecMainStatus pacsops-clamav-scan.service").stdout.strip()
    # clamdscan exits 1 when it found something: the unit shows as failed for monitoring.
    assert (result, status) == ("exit-code", "1"), (result, status)
    log = host.file(SCAN_LOG).content_string
    for path, detected in PLACEMENTS.items():
        line = f"{path}: {SIGNATURE}.UNOFFICIAL FOUND"
        assert (line in log) == detected, f"{path}: expected detected={detected}\n{log}"
    assert f"Infected files: {sum(PLACEMENTS.values())}" in log, log


def test_onsite_host_records_the_fact_and_installs_nothing(host):
    fact = host.file("/etc/ansible/facts.d/pacsops_antivirus.fact")
    if _is_clamav_host(host):
        # ClamAV is in charge: no on-site record.
        assert not fact.exists
        return
    assert json.loads(fact.content_string) == {"provider": "onsite", "note": "Hospital IT endpoint protection"}
    for package in ("clamav-daemon", "clamav-freshclam", "clamdscan"):
        assert not host.package(package).is_installed, package


def test_bad_input_fails_before_any_change():
    # A scan path that would inject a command into the unit's ExecStart line.
    result = pacsops_testlib.run_playbook(
        "converge.yml", "--limit", "pacsops-clamav-debian12", "-e", '{"clamav_scan_paths": ["/srv/$(reboot)"]}'
    )
    assert result.returncode != 0
    # Molecule's environment sends failures to stderr.
    output = result.stdout + result.stderr
    assert "clamav_scan_paths entries ['/srv/$(reboot)']" in output, output[-3000:]
    assert pacsops_testlib.recap(result.stdout)["pacsops-clamav-debian12"]["changed"] == 0


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()


def test_clamav_installed_before_the_role_runs_after_one_converge():
    # A host where ClamAV was installed before the role (by the customer's IT, or in the image): the role finds
    # the packages and configures them. Its drop-ins (clamd's start condition, the offline signature) must be
    # loaded before clamd starts, in that one run; the next run changes nothing. Last in this file: it turns the
    # on-site host into a ClamAV host.
    onsite = "pacsops-clamav-onsite"
    install = subprocess.run(
        ["docker", "exec", onsite, "sh", "-c",
         "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends"
         " clamav-daemon clamav-freshclam clamdscan"],
        capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    switch = ("--limit", onsite, "-e", '{"clamav_onsite_av": false}')
    first = pacsops_testlib.run_playbook("converge.yml", *switch)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    active = subprocess.run(["docker", "exec", onsite, "systemctl", "is-active", "clamav-daemon"],
                            capture_output=True, text=True, check=False)
    assert active.stdout.strip() == "active", first.stdout[-4000:]
    second = pacsops_testlib.run_playbook("converge.yml", *switch)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    assert pacsops_testlib.recap(second.stdout)[onsite]["changed"] == 0, second.stdout[-4000:]
