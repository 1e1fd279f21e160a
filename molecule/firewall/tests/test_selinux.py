"""The selinux role: nothing on Debian, and its config/reboot logic on fabricated SELinux files."""
import json
import os
import sys

import pytest

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

testinfra_hosts = ["pacsops-firewall-target"]

FAKE = "/root/fake-selinux"
PATHS = {
    "__selinux_config_file": f"{FAKE}/config",
    "__selinux_fs": f"{FAKE}/fs",
    "__selinux_autorelabel_file": f"{FAKE}/.autorelabel",
}
CONFIG = "# fabricated\nSELINUX={mode}\nSELINUXTYPE=targeted\n"


def apply(state, check=False, **extra):
    """Runs the role on the fabricated files; stderr (ansible-core 2.19 errors) joins stdout."""
    run = pacsops_testlib.run_playbook(
        "selinux_fabricated.yml", "-e", json.dumps({**PATHS, "selinux_state": state, **extra}), check=check)
    run.stdout += run.stderr
    return run


def fabricate(host, config_mode, running):
    """running: 'enforcing'/'permissive' creates fs/enforce; 'disabled' leaves selinuxfs away."""
    host.run_test(f"rm -rf {FAKE} && mkdir -p {FAKE}")
    host.run_test("python3 -c %s", f"open({FAKE + '/config'!r}, 'w').write({CONFIG.format(mode=config_mode)!r})")
    if running != "disabled":
        host.run_test(f"mkdir -p {FAKE}/fs && printf %s {1 if running == 'enforcing' else 0} > {FAKE}/fs/enforce")


@pytest.fixture(autouse=True)
def cleanup(host):
    yield
    host.run(f"rm -rf {FAKE}")


def test_debian_without_selinux_reports_and_changes_nothing(host):
    assert not host.file("/etc/selinux/config").exists
    run = pacsops_testlib.run_playbook("selinux_fabricated.yml", "-e", "selinux_state=enforcing")
    # Nothing to do: the role says so, changes nothing and does not fail (no reboot contract).
    assert run.returncode == 0, run.stdout[-2000:]
    assert "SELinux is not present on this host" in run.stdout, run.stdout[-2000:]
    assert pacsops_testlib.recap(run.stdout)["pacsops-firewall-target"]["changed"] == 0
    assert not host.file("/etc/selinux/config").exists


def test_permissive_to_enforcing_switches_at_runtime_without_reboot(host):
    fabricate(host, "permissive", "permissive")
    check = apply("enforcing", check=True)
    assert check.returncode == 0, check.stdout[-2000:]
    assert pacsops_testlib.recap(check.stdout)["pacsops-firewall-target"]["changed"] == 2
    assert host.file(f"{FAKE}/config").contains("^SELINUX=permissive$"), "check mode wrote the config"
    assert host.file(f"{FAKE}/fs/enforce").content_string == "0", "check mode switched the mode"

    run = apply("enforcing")
    assert run.returncode == 0, run.stdout[-2000:]
    assert "selinux_reboot_required=False" in run.stdout
    assert host.file(f"{FAKE}/config").contains("^SELINUX=enforcing$")
    assert host.file(f"{FAKE}/fs/enforce").content_string == "1"
    assert not host.file(f"{FAKE}/.autorelabel").exists

    again = apply("enforcing")
    assert pacsops_testlib.recap(again.stdout)["pacsops-firewall-target"]["changed"] == 0, again.stdout[-2000:]


def test_enabling_a_disabled_host_writes_config_then_fails_without_reboot_ok(host):
    fabricate(host, "disabled", "disabled")
    run = apply("permissive")
    assert run.returncode != 0
    assert "takes effect only after a reboot" in run.stdout and "selinux_reboot_ok" in run.stdout, run.stdout[-2000:]
    # The contract: config written first, relabel requested, then the failure.
    assert host.file(f"{FAKE}/config").contains("^SELINUX=permissive$")
    assert host.file(f"{FAKE}/.autorelabel").exists


def test_disabling_an_enforcing_host_runs_permissive_until_the_reboot(host):
    fabricate(host, "enforcing", "enforcing")
    run = apply("disabled")
    assert run.returncode != 0
    assert "SELinux is enforcing now" in run.stdout, run.stdout[-2000:]
    assert host.file(f"{FAKE}/config").contains("^SELINUX=disabled$")
    assert host.file(f"{FAKE}/fs/enforce").content_string == "0"


def test_bad_state_fails_before_any_change(host):
    fabricate(host, "permissive", "permissive")
    run = apply("sometimes")
    assert run.returncode != 0 and "selinux_state" in run.stdout and "sometimes" in run.stdout, run.stdout[-2000:]
    assert host.file(f"{FAKE}/config").contains("^SELINUX=permissive$")
