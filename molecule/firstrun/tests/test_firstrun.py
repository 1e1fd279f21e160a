"""What a site meets on its first runs (issue 18), proven on Debian 12.

`pacsops-firstrun-fresh` is never converged: check mode of the host playbook with every optional
feature declared, the Docker source and bad inputs of the last roles refused before any change.
`pacsops-firstrun-site` has the self-signed certificate and the readiness report; the leak tests make
each secret-handling task fail on purpose there and look for the secret in the whole output at -v
and -vvv.
"""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

testinfra_hosts = ["ansible://pacsops-firstrun-site"]

PROJECT = pathlib.Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
PLAYBOOK = str(PROJECT / "playbooks" / "ipacs_host.yml")
FRESH = "pacsops-firstrun-fresh"
SITE = "pacsops-firstrun-site"
# host_vars/pacsops-firstrun-fresh.yml
FRESH_SECRETS = ["firstrun-proxy-secret-1", "firstrun-registry-secret-2", "firstrun-vpn-secret-3"]


def on(container: str, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "exec", container, "sh", "-c", command], capture_output=True, text=True, check=False)


def output(result: subprocess.CompletedProcess) -> str:
    return pacsops_testlib.ANSI.sub("", result.stdout + result.stderr)


def test_check_mode_on_a_fresh_host_with_every_optional_feature_says_what_it_would_do():
    result = pacsops_testlib.run_playbook(PLAYBOOK, "--limit", FRESH, "-v", check=True)
    text = output(result)
    assert result.returncode == 0, text[-5000:]
    assert pacsops_testlib.recap(result.stdout)[FRESH]["failed"] == 0
    # The login the issue saw fail on the missing requests library, reported instead.
    assert "would log in to europe-west1-docker.pkg.dev" in text, text[-5000:]
    assert "would make a self-signed certificate for " + FRESH in text
    for secret in FRESH_SECRETS:
        assert secret not in text, f"{secret} in the check-mode output"
    # Still fresh: check mode installed nothing.
    assert on(FRESH, "dpkg-query -W -f '${Status}' openvpn").stdout != "install ok installed"


def test_unreachable_docker_repository_fails_before_any_role_changes_the_host():
    unreachable = {"docker_source": "upstream", "docker_upstream_repo_url": "http://127.0.0.1:9/linux"}
    result = pacsops_testlib.run_playbook(PLAYBOOK, "--limit", FRESH, "-e", json.dumps(unreachable))
    text = output(result)
    assert result.returncode != 0, text[-3000:]
    assert "`docker_source: distribution`" in text, text[-3000:]
    assert "http://127.0.0.1:9/linux/debian/gpg" in text, "the message names what did not answer"
    hosts = pacsops_testlib.recap(result.stdout)
    assert hosts[FRESH]["changed"] == 0 and hosts[FRESH]["failed"] == 1, hosts
    # The roles before docker (service account, proxy, firewall...) did not run.
    assert on(FRESH, "getent passwd ipacs").returncode == 2
    assert on(FRESH, "test -e /etc/apt/apt.conf.d/80pacsops-proxy || test -e /etc/profile.d/pacsops-proxy.sh").returncode == 1


def test_bad_inputs_of_the_last_roles_fail_before_the_first_role_changes_the_host():
    # hardening runs last, dicom_service before it, mariadb in the middle: the play's first check names all three.
    bad = {"hardening_umask": "999", "dicom_service_ae_title": "A_TITLE_OF_20_CHARS_", "mariadb_port": "x"}
    result = pacsops_testlib.run_playbook(PLAYBOOK, "--limit", FRESH, "-e", json.dumps(bad))
    text = output(result)
    assert result.returncode != 0, text[-3000:]
    assert "Invalid input, nothing was changed: " in text, text[-3000:]
    assert "hardening: hardening_umask=999 must be three octal digits." in text, text[-3000:]
    assert "dicom_service: dicom_service_ae_title=A_TITLE_OF_20_CHARS_ must be 1-16" in text, text[-3000:]
    assert "mariadb: argument 'mariadb_port' is of type str" in text, text[-3000:]
    hosts = pacsops_testlib.recap(result.stdout)
    assert hosts[FRESH]["changed"] == 0 and hosts[FRESH]["failed"] == 1, hosts
    # No role ran: no account, no proxy settings, no package.
    assert on(FRESH, "getent passwd ipacs").returncode == 2
    assert on(FRESH, "test -e /etc/apt/apt.conf.d/80pacsops-proxy || test -e /etc/profile.d/pacsops-proxy.sh").returncode == 1
    assert on(FRESH, "dpkg-query -W -f '${Status}' firewalld").stdout != "install ok installed"


def _certificate(host):
    from cryptography import x509

    return x509.load_pem_x509_certificate(host.file("/etc/ssl/pacsops/server.crt").content_string.encode())


def test_certificate_and_key_are_installed_with_safe_modes(host):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert, key = host.file("/etc/ssl/pacsops/server.crt"), host.file("/etc/ssl/pacsops/server.key")
    assert (cert.mode, cert.user, cert.group) == (0o644, "root", "root")
    assert (key.mode, key.user, key.group) == (0o600, "root", "root")
    certificate = _certificate(host)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == ["pacs.firstrun.test", SITE]
    private = serialization.load_pem_private_key(host.file("/etc/ssl/pacsops/server.key").content_string.encode(), None)
    pem = serialization.PublicFormat.SubjectPublicKeyInfo
    assert private.public_key().public_bytes(serialization.Encoding.PEM, pem) == \
        certificate.public_key().public_bytes(serialization.Encoding.PEM, pem), "the key is the certificate's"


def test_report_lands_beside_the_inventory_with_the_certificate_expiry(host):
    reports = pathlib.Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent / "reports"
    markdown = (reports / f"{SITE}.md").read_text()
    for elsewhere in (PROJECT / "reports", pathlib.Path.cwd() / "reports"):
        assert not (elsewhere / f"{SITE}.md").exists(), f"report written to {elsewhere}"
    expiry = _certificate(host).not_valid_after_utc
    days = (expiry - datetime.datetime.now(datetime.timezone.utc)).days
    row = f"| tls_certificate /etc/ssl/pacsops/server.crt | valid for at least 30 more days | expires {expiry:%Y-%m-%d} ({days} days) | PASS |"
    assert row in markdown, markdown


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()


# ---------------------------------------------------------------- leak tests

def run_leak(case: dict, secret: str, tmp_path: pathlib.Path, vars_text: str | None = None) -> list[str]:
    """Runs leak.yml with the case's inputs at -v and -vvv; each run must fail and never show the secret."""
    extra = tmp_path / "case.yml"
    extra.write_text(vars_text if vars_text is not None else json.dumps(case))
    texts = []
    for verbosity in ("-v", "-vvv"):
        result = pacsops_testlib.run_playbook("leak.yml", "-e", f"@{extra}", verbosity)
        text = output(result)
        assert result.returncode != 0, f"{verbosity}: the case did not fail:\n" + text[-3000:]
        assert secret not in text, f"{verbosity}: the secret is in the output"
        texts.append(text)
    return texts


def test_rejected_registry_key_names_the_registry_not_the_key(tmp_path):
    secret = '{"type": "service_account", "private_key": "leak-registry-key-4"}'
    case = {"firstrun_leak_role": "docker", "docker_source": "distribution", "docker_data_root": "",
            "docker_registry_logins": [{"registry_url": "127.0.0.1:5000", "username": "_json_key", "password": secret}]}
    for text in run_leak(case, "leak-registry-key-4", tmp_path):
        assert "Logging into 127.0.0.1:5000 for user _json_key failed" in text and "401 Unauthorized" in text, text[-3000:]


def test_proxy_refusing_the_credentials_names_the_target_not_the_password(tmp_path):
    case = {"firstrun_leak_role": "proxy", "proxy_http": "http://127.0.0.1:3128", "proxy_no_proxy": [],
            "proxy_username": "pacsops", "proxy_password": "leak-proxy-password-5", "proxy_check_fail": True,
            "proxy_check_package_repository": False,
            "proxy_check_targets": [{"name": "install server", "url": "http://install.pacsops.invalid/"}]}
    for text in run_leak(case, "leak-proxy-password-5", tmp_path):
        assert "install server" in text and "407" in text, text[-3000:]


def test_wrong_vault_value_for_the_certificate_key_names_the_variable_not_the_value(tmp_path):
    secret = "leak-vault-key-6"
    encrypted = subprocess.run(
        ["ansible-vault", "encrypt_string", "--name", "tls_certificate_key_content", f"not a key {secret}"],
        capture_output=True, text=True, check=True, env=os.environ).stdout
    vars_text = "firstrun_leak_role: tls_certificate\ntls_certificate_source: files\n" \
        "tls_certificate_content: \"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\"\n" + encrypted
    for text in run_leak({}, secret, tmp_path, vars_text=vars_text):
        assert "tls_certificate_key_content" in text, text[-3000:]


def test_mariadb_root_that_refuses_the_login_names_the_account_not_the_password(tmp_path):
    # root accepts only a password the inventory does not have: the role's socket login is refused.
    refuse = "mariadb -e \"ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('firstrun-other')\""
    assert on(SITE, refuse + " || mariadb -pfirstrun-other -e 'SELECT 1'").returncode == 0
    case = {"firstrun_leak_role": "mariadb", "mariadb_root_policy": "password",
            "mariadb_root_password": "leak-root-password-7", "mariadb_backup_enabled": False}
    for text in run_leak(case, "leak-root-password-7", tmp_path):
        assert "root" in text and "Access denied" in text, text[-3000:]
