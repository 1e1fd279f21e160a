"""The hardened iPACS host: Lynis against the bare image, SSH from the probe, the stack still up."""
import json
import os
import pathlib
import subprocess
import sys
import time

import yaml

import pytest
import testinfra

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

# The collection's parser of Lynis' report data file (what the role's lynis_report module uses).
sys.path.insert(0, str(pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / ".cache" / "collections"))
from ansible_collections.pacsops.server.plugins.module_utils import lynis  # noqa: E402

testinfra_hosts = ["pacsops-hardening-debian12"]

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
EPHEMERAL = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
MIN_INDEX = 72
SSH_OPTS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"


@pytest.fixture(scope="module", autouse=True)
def converged_lynis_audit():
    """The role's readiness-report path (lynis.yml) against the converged host, started before the first test:
    the audit takes minutes and runs while the other tests do; the last test waits for it."""
    scenario = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    plain = {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "PY_COLORS": "0"}
    process = subprocess.Popen(["ansible-playbook", "-i", INVENTORY, os.path.join(scenario, "lynis.yml")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **plain})
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def other(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


def target_address():
    """The target's address on the default bridge (inside, `hostname -I` also lists the target's own docker0)."""
    return subprocess.run(["docker", "inspect", "--format", "{{.NetworkSettings.IPAddress}}", "pacsops-hardening-debian12"],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_key_login_works_from_the_probe():
    result = other("pacsops-hardening-probe").run(f"ssh {SSH_OPTS} -o BatchMode=yes -i /root/.ssh/id_ed25519 ipacs@{target_address()} id -un")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "ipacs"


def test_password_login_is_refused_and_only_keys_are_offered():
    probe = other("pacsops-hardening-probe")
    password = os.environ.get("HARDENING_TEST_PASSWORD", "throwaway-Passw0rd-4-test")
    result = probe.run(
        f"sshpass -p %s ssh {SSH_OPTS} -o PubkeyAuthentication=no "
        f"-o PreferredAuthentications=password,keyboard-interactive pwadmin@{target_address()} true", password)
    assert result.rc != 0, result.stdout
    assert "Permission denied (publickey)" in result.stderr, result.stderr


def test_sshd_runs_the_drop_in_settings(host):
    assert host.service("ssh").is_running
    lines = [line.split(" ", 1) for line in host.run("sshd -T -C user=ipacs,host=probe,addr=172.17.0.99").stdout.splitlines()
             if " " in line]
    effective = dict(lines)
    # sshd -T prints one allowgroups line per group.
    effective["allowgroups"] = " ".join(value for key, value in lines if key == "allowgroups")
    assert effective["passwordauthentication"] == "no"
    assert effective["permitrootlogin"] == "no"
    assert effective["allowgroups"].split() == ["ipacs", "sudo"]
    assert "cbc" not in effective["ciphers"] and "sha1" not in effective["macs"]
    assert effective["clientaliveinterval"] == "300"
    assert effective["banner"] == "/etc/issue.net"


def test_the_pacs_stack_still_runs(host):
    for unit in ("firewalld", "docker", "mariadb", "chrony", "clamav-daemon", "ssh", "orthanc"):
        assert host.service(unit).is_running, unit
    assert host.run("docker info --format '{{.ServerVersion}}'").rc == 0


def example_vault():
    """The example inventory's vault, opened with its documented throw-away password."""
    project = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
    text = subprocess.run(
        ["ansible-vault", "view", "--vault-password-file", str(project / "inventories/example/vault-password-example.txt"),
         str(project / "inventories/example/group_vars/all/vault.yml")],
        capture_output=True, text=True, check=True).stdout
    return yaml.safe_load(text)


def test_mariadb_accepts_the_app_user_after_hardening(host):
    password = example_vault()["vault_mariadb_ipacs_password"]
    # The password goes through the environment, never onto the command line.
    result = host.run("MYSQL_PWD=%s mariadb -u ipacs -N -e 'SHOW DATABASES'", password)
    assert result.rc == 0, result.stderr
    assert {"public_pacs", "public_view"} <= set(result.stdout.split())


def test_orthanc_answers_c_echo_from_the_allowed_ae_only(host):
    # converge.yml allows PROBE_SCU from the probe's address (the archive's list and the firewall).
    probe = other("pacsops-hardening-probe")
    address = target_address()
    allowed = probe.run(f"echoscu -to 10 -ta 10 -aet PROBE_SCU -aec HOSPITAL_PACS {address} 11112")
    assert allowed.rc == 0, allowed.stdout + allowed.stderr
    refused = probe.run(f"echoscu -to 10 -ta 10 -aet NOT_ALLOWED -aec HOSPITAL_PACS {address} 11112")
    assert refused.rc != 0, refused.stdout + refused.stderr


def test_files_the_role_writes(host):
    rules = host.file("/etc/audit/rules.d/50-pacsops.rules").content_string
    for path in ("/etc/shadow", "/home/ipacs/demo", "/var/lib/dicom-server/data", "/var/lib/mysql"):
        assert f"-w {path} -p wa" in rules, path
    assert "kernel.kptr_restrict = 2" in host.file("/etc/sysctl.d/90-pacsops-hardening.conf").content_string
    assert host.run("grep -E '^UMASK\\s+027$' /etc/login.defs").rc == 0
    assert "pam_wheel.so use_uid group=sudo" in host.file("/etc/pam.d/su").content_string
    # HIPAA automatic logoff for interactive shells; a login shell sees it read-only.
    assert host.run("bash -lc 'echo $TMOUT; readonly -p | grep -c TMOUT'").stdout.split() == ["900", "1"]
    upgrades = host.run("apt-config dump Unattended-Upgrade::Origins-Pattern").stdout
    assert "Debian-Security" in upgrades and "label=Debian\";" not in upgrades, upgrades
    assert host.user("sync").shell == "/bin/sync" and host.user("www-data").shell == "/usr/sbin/nologin"
    # 000: the service account keeps no password ageing from login.defs.
    assert host.run("chage -l ipacs | grep -i 'maximum'").stdout.split(":")[1].strip() == "99999"


def test_a_user_can_change_a_password_and_a_dictionary_word_is_refused(host):
    """pam_pwquality checks every new password against cracklib's dictionary. The roles install without
    Recommends; without cracklib-runtime's dictionary every change failed with "error loading dictionary"."""
    user, current = "pwqtest", "Kq7#zLm9pW2v!"
    assert host.run("id %s || useradd -m %s", user, user).rc == 0
    # The role's login.defs makes a new account wait PASS_MIN_DAYS between changes; this one may change now.
    host.run_expect([0], "chage -m 0 %s", user)
    # As root through chpasswd (root may set any password): the known starting point of both attempts.
    host.run_expect([0], "echo %s | chpasswd", f"{user}:{current}")

    def change_to(new):
        # As the user, through PAM's password stack: the current password, then the new one twice.
        return host.run("printf '%%s\\n' %s %s %s | su %s -s /bin/sh -c passwd", current, new, new, user)

    try:
        strong = change_to("Ht3@vB8xQe5#nZ")
        assert strong.rc == 0 and "updated successfully" in strong.stdout + strong.stderr, strong.stdout + strong.stderr
        host.run_expect([0], "echo %s | chpasswd", f"{user}:{current}")
        word = change_to("strawberries")
        assert word.rc != 0, word.stdout + word.stderr
        assert "based on a dictionary word" in word.stdout + word.stderr, word.stdout + word.stderr
    finally:
        host.run("userdel -r %s", user)


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()


def test_the_role_refuses_to_lock_out_the_ssh_login_user():
    # Over SSH as ipacs (group ipacs): admitted by the default groups, refused when only sudo may log in.
    target = json.dumps({"hardening_test_target": target_address()})
    allowed = pacsops_testlib.run_playbook("lockout.yml", "-e", target)
    assert allowed.returncode == 0, allowed.stdout[-3000:]
    refused = pacsops_testlib.run_playbook("lockout.yml", "-e", target, "-e", '{"hardening_ssh_allow_groups": ["sudo"]}')
    assert refused.returncode != 0
    # ansible-core 2.19 prints the failure on stderr; the groups are the account's, sorted.
    output = refused.stdout + refused.stderr
    assert "The SSH login user ipacs (groups: docker ipacs) could not log in again" in output, output[-3000:]


def bare_report():
    """The bare image's report, once its audit (started in prepare) has finished."""
    bare = other("pacsops-hardening-bare12")
    for _ in range(120):
        if bare.run("systemctl is-active lynis-bare").stdout.strip() != "active":
            break
        time.sleep(5)
    return lynis.summarise(lynis.parse_report(bare.file("/var/log/pacsops-lynis-bare-report.dat").content_string))


def test_lynis_index_of_the_converged_host_against_the_bare_image(converged_lynis_audit):
    output, _ = converged_lynis_audit.communicate(timeout=900)
    assert converged_lynis_audit.returncode == 0, output[-3000:]
    converged = json.loads((EPHEMERAL / "reports" / "pacsops-hardening-debian12-lynis.json").read_text())
    bare = bare_report()
    summary = {
        "bare": bare["hardening_index"],
        "converged": converged["hardening_index"],
        "converged_warnings": converged["lynis_warnings"],
        "bare_warnings": bare["lynis_warnings"],
        "converged_suggestions": [s["test_id"] + " " + s["message"] for s in converged["lynis_suggestions"]],
    }
    # Kept for the closing note (the figures of this very run), next to the preflight reports: the
    # scenario's ephemeral directory goes with the final destroy.
    figures = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "reports" / "hardening-lynis-figures.json"
    figures.parent.mkdir(exist_ok=True)
    figures.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    assert bare["hardening_index"] is not None
    assert converged["hardening_index"] >= MIN_INDEX, summary
    assert converged["hardening_index"] > bare["hardening_index"], summary
