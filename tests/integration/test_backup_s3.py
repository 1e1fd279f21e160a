"""The backup's S3 repository against moto in server mode on 127.0.0.1 (custom endpoint).

The controller plays the host: restic (apt package), the role's runner (roles/backup/files/pacsops-backup.py)
with a config like the role writes, and pacsops.server.restic_repository through ansible ad-hoc.
Round trip: create the repository (once), back up generated files, restore them elsewhere, compare every
file's sha256; a wrong password is refused. Fake credentials; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RUNNER = REPO / "roles" / "backup" / "files" / "pacsops-backup.py"
MOTO = HERE / "aws" / "moto_aws.py"
BUCKET = "ipacs-backup-test"
PREFIX = "home/ipacs/main/restic"
PASSWORD = "S3-Restic-Test-Pw-2a9c"
SECRET = "moto-secret-key-5b1e"

# tools/bootstrap.sh installs restic; a missing binary fails the test rather than skipping it.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(MOTO), str(port)], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"moto did not listen on port {port}: {log.read_text()}")
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", region_name="us-east-1", endpoint_url=url, aws_access_key_id="testing",
                 aws_secret_access_key=SECRET).create_bucket(Bucket=BUCKET)
    yield url
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture(scope="module")
def host(moto, tmp_path_factory):
    """A config, password file and S3 env file laid out as the role lays them out on a host."""
    root = tmp_path_factory.mktemp("host")
    (root / "password").write_text(PASSWORD + "\n")
    (root / "s3.env").write_text(f"AWS_DEFAULT_REGION=us-east-1\nAWS_ACCESS_KEY_ID=testing\nAWS_SECRET_ACCESS_KEY={SECRET}\n")
    for name in ("password", "s3.env"):
        (root / name).chmod(0o600)
    data = root / "home" / "ipacs" / "main"
    for i in range(30):
        sub = data / f"study{i % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"img{i}.dcm").write_bytes(os.urandom(1000 * (i + 1)))
    (data / "empty").write_bytes(b"")
    (data / "skip.part").write_text("excluded")
    assert shutil.which("restic"), "restic is missing: run tools/bootstrap.sh"
    config = {
        "restic": shutil.which("restic"), "host": "s3-test", "password_file": str(root / "password"),
        "repositories": [{"name": "s3", "repository": f"s3:{moto}/{BUCKET}/{PREFIX}", "env_file": str(root / "s3.env")}],
        "paths": [str(data)], "excludes": ["*.part"], "keep": {"daily": 30, "weekly": 0, "monthly": 0},
        "dump_unit": "", "dump_dir": "", "mariadb_socket": "", "manifest": str(root / "state" / "manifest.json"),
        "status_file": str(root / "status.json"), "writer_services": [], "state_dir": str(root / "state"),
    }
    (root / "config.json").write_text(json.dumps(config))
    return {"root": root, "data": data, "config": config, "endpoint": moto}


def runner(host, *args):
    env = {**os.environ, "PACSOPS_BACKUP_CONFIG": str(host["root"] / "config.json"), "RESTIC_CACHE_DIR": str(host["root"] / "cache")}
    return subprocess.run([sys.executable, str(RUNNER), *args], env=env, capture_output=True, text=True, check=False)


def module(host, tmp_path, **args):
    """Runs pacsops.server.restic_repository as Ansible would run it on a host (args file in, JSON out)."""
    repo = host["config"]["repositories"][0]
    params = {"repository": repo["repository"], "password_file": host["config"]["password_file"],
              "environment_file": repo["env_file"], **args}
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": params}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PYTHONPATH=str(REPO / ".cache" / "collections"), RESTIC_CACHE_DIR=str(host["root"] / "cache"))
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.pacsops.server.plugins.modules.restic_repository",
                           str(args_file)], env=env, capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    assert PASSWORD not in output and SECRET not in output
    return json.loads(proc.stdout)


def sha256_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def test_repository_is_created_once_on_s3(host, tmp_path):
    first = module(host, tmp_path, state="present")
    assert first.get("changed") is True and first["exists"] is True, first
    again = module(host, tmp_path, state="present")
    assert again.get("changed") is False and again["repository_id"] == first["repository_id"], again
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=host["endpoint"], aws_access_key_id="testing",
                      aws_secret_access_key=SECRET)
    keys = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert any(k["Key"] == f"{PREFIX}/config" for k in keys)


def test_backup_restore_round_trip(host, tmp_path):
    started = time.monotonic()
    proc = runner(host, "backup")
    backup_s = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    status = json.loads((host["root"] / "status.json").read_text())["backup"]
    assert status["ok"] is True
    snapshot = status["repositories"]["s3"]["snapshot_id"]

    chosen = module(host, tmp_path, snapshot="latest", check=True)
    assert chosen["snapshot"]["short_id"] == snapshot and chosen["checked"] is True, chosen

    target = tmp_path / "restore"
    started = time.monotonic()
    proc = runner(host, "restic", "s3", "restore", snapshot, "--target", str(target), "--verify")
    restore_s = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {k: v for k, v in sha256_tree(host["data"]).items() if not k.endswith(".part")}
    restored = sha256_tree(target / str(host["data"]).lstrip("/"))
    assert restored == expected and len(restored) == 31
    print(f"\nS3 (moto) backup {backup_s:.1f}s, restore {restore_s:.1f}s")


def test_wrong_password_is_refused(host, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    refused = module(host, tmp_path, password_file=str(wrong), snapshot="latest")
    assert refused.get("failed") is True and refused["error_kind"] == "wrong_password", refused
    refused = module(host, tmp_path, password_file=str(wrong), state="present")
    assert refused.get("failed") is True, "a wrong password must never lead to a new repository"
