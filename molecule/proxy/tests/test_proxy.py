"""proxy: settings written without leaking the password, and the connectivity check goes through the proxy."""
import json
import os
import sys

import pytest
import testinfra

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PROXY = "http://172.30.70.10:8888"
PASSWORD = "pacsops-secret.1"
TINYPROXY_LOG = "/var/log/tinyproxy/tinyproxy.log"


def _get(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


@pytest.fixture(scope="module")
def ipacs():
    return _get("pacsops-proxy-host")


@pytest.fixture(scope="module")
def gateway():
    return _get("pacsops-proxy-gateway")


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    """The role run once more, verbosely, with its report saved as JSON."""
    path = tmp_path_factory.mktemp("proxy") / "report.json"
    result = pacsops_testlib.run_playbook("report.yml", "-v", env={"PROXY_REPORT": str(path)})
    assert result.returncode == 0, result.stdout[-3000:]
    return result, {entry["name"]: entry for entry in json.loads(path.read_text())}


def test_environment_names_the_proxy_without_the_password(ipacs):
    env = ipacs.file("/etc/environment")
    assert env.mode == 0o644 and env.user == "root"
    content = env.content_string
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        assert f'{name}="{PROXY}"' in content, content
    assert 'no_proxy="localhost,127.0.0.1,::1,.pacsops.local"' in content
    assert PASSWORD not in content and "pacsops-secret" not in content


def test_apt_config_is_readable_and_its_credentials_are_root_only(ipacs):
    conf = ipacs.file("/etc/apt/apt.conf.d/90pacsops-proxy")
    assert conf.mode == 0o644 and f'Acquire::http::Proxy "{PROXY}";' in conf.content_string
    assert "pacsops-secret" not in conf.content_string
    auth = ipacs.file("/etc/apt/auth.conf.d/90pacsops-proxy.conf")
    assert auth.user == "root" and auth.mode == 0o600
    assert f"password {PASSWORD}" in auth.content_string


def test_apt_downloads_through_the_authenticating_proxy(ipacs, gateway):
    before = int(gateway.check_output(f"wc -l < {TINYPROXY_LOG}"))
    update = ipacs.run("apt-get update")
    # apt-get update exits 0 even when an index fails to download: look for the failures themselves.
    output = update.stdout + update.stderr
    assert update.rc == 0 and "Failed to fetch" not in output and "407" not in output, output
    log = "\n".join(gateway.check_output(f"cat {TINYPROXY_LOG}").splitlines()[before:])
    assert "deb.debian.org" in log, log
    assert "172.30.70.20" in log, log


def test_install_server_is_reachable_only_through_the_proxy(ipacs, gateway, report_run):
    _, report = report_run
    assert report["install server"]["reachable"], report["install server"]
    # The proxy logged the host's request for the install server...
    log = gateway.check_output(f"cat {TINYPROXY_LOG}")
    assert "install.pacsops.test" in log, log[-2000:]
    # ...which the host cannot make without it (the name only resolves on the proxy).
    direct = ipacs.run("env -u http_proxy -u HTTP_PROXY python3 -c \"import urllib.request as u; "
                       "u.build_opener(u.ProxyHandler({})).open('http://install.pacsops.test:8080/', timeout=5)\"")
    assert direct.rc != 0, direct.stdout


def test_wrong_marker_is_unreachable_with_a_hint(report_run):
    _, report = report_run
    wrong = report["install server, wrong page"]
    assert not wrong["reachable"] and 'does not contain "ipacs"' in wrong["reason"], wrong
    assert "captive portal" in wrong["hint"], wrong


def test_dead_ports_are_unreachable_with_hints(report_run):
    _, report = report_run
    proxied = report["dead port through the proxy"]
    assert not proxied["reachable"] and proxied["reason"].startswith("HTTP 5"), proxied
    direct = report["dead port, direct"]
    assert not direct["reachable"] and "refused" in direct["reason"], direct
    assert "iptables/firewalld" in direct["hint"] and "Direct access is not expected" in direct["hint"], direct


def test_the_password_never_reaches_the_output(report_run):
    result, _ = report_run
    assert "pacsops-secret" not in result.stdout + result.stderr
    assert "UNREACHABLE: dead port, direct" in result.stdout
    # The guide's general remediation (SELinux, IPTables, Firewalld, Network) follows the report once.
    assert result.stdout.count("000: SELinux, IPTables, Firewalld, Network") == 1, result.stdout[-3000:]


def test_proxy_check_fail_fails_the_play_after_reporting():
    result = pacsops_testlib.run_playbook("converge.yml", "-e", '{"proxy_check_fail": true}')
    assert result.returncode != 0
    output = result.stdout + result.stderr  # ansible-core 2.19 prints task errors on stderr
    assert "proxy_check_fail=true and 3 target(s) are unreachable" in output, output[-3000:]


def test_unsetting_the_proxy_removes_the_settings(ipacs):
    unset = pacsops_testlib.run_playbook("converge.yml", "-e", '{"proxy_http": "", "proxy_username": ""}')
    assert unset.returncode == 0, unset.stdout[-3000:]
    assert "proxy" not in ipacs.file("/etc/environment").content_string.lower()
    assert not ipacs.file("/etc/apt/apt.conf.d/90pacsops-proxy").exists
    assert not ipacs.file("/etc/apt/auth.conf.d/90pacsops-proxy.conf").exists
    again = pacsops_testlib.run_playbook("converge.yml")
    assert again.returncode == 0, again.stdout[-3000:]
    assert f'https_proxy="{PROXY}"' in ipacs.file("/etc/environment").content_string


def test_drift_in_the_block_is_corrected_and_the_other_lines_are_kept(ipacs):
    # The re-run compares /etc/environment on the controller from one read: a changed value must still be seen.
    drift = ipacs.run("sed -i 's|^https_proxy=.*|https_proxy=\"http://drift.invalid:1\"|' /etc/environment"
                      " && echo 'PACSOPS_SITE=\"kept\"' >> /etc/environment")
    assert drift.rc == 0, drift.stderr
    result = pacsops_testlib.run_playbook("converge.yml", "--skip-tags", "proxy_check", "--diff")
    assert result.returncode == 0, result.stdout[-3000:]
    assert pacsops_testlib.recap(result.stdout)["pacsops-proxy-host"]["changed"] == 1, result.stdout[-3000:]
    content = ipacs.file("/etc/environment").content_string
    assert f'https_proxy="{PROXY}"' in content and "drift.invalid" not in content, content
    assert 'PACSOPS_SITE="kept"' in content, content
    assert content.count("# BEGIN pacsops.server.proxy") == 1, content


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()
