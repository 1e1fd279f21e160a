"""O3 stack: services, schemas, files and ports seen from the host and from a probe container;
then an update to a new PACS tag and a broken one that is rolled back."""
import json
import os
import shlex
import sys
import time
from datetime import datetime

import pytest

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

HOST = "pacsops-o3-debian13"
PROBE = "pacsops-o3-probe"
HOST_IP = "172.30.100.13"
PROJECT = "/opt/o3"
REGISTRY = "europe-west1-docker.pkg.dev/o3-cloud-internal/partner"
SECRETS = ("PACSOPS-O3-ROOT-SECRET-4d1e", "PACSOPS-O3-APP-SECRET-9b2c")
SERVICES = {"db", "pacs", "pacs-singleton", "view"}


def on(name):
    import testinfra

    return testinfra.get_host(f"ansible://{name}?ansible_inventory=" + os.environ["MOLECULE_INVENTORY_FILE"])


def run(cmd, name=HOST):
    return on(name).run(cmd)


def sql(query):
    """Runs SQL as root inside the db container; the password stays in the container's environment."""
    out = run(f"printf '%s\\n' {shlex.quote(query)} | docker exec -i db sh -c 'MYSQL_PWD=\"$MYSQL_ROOT_PASSWORD\" mysql -u root -N -B'")
    assert out.rc == 0, out.stderr
    return out.stdout.split()


def services():
    out = run(f"docker compose --project-directory {PROJECT} ps --all --format json").stdout
    return {s["Service"]: s for s in (json.loads(line) for line in out.splitlines() if line.strip())}


def inspect(ref):
    return json.loads(run(f"docker inspect {ref}").stdout)[0]


def probe_tcp(port):
    """From the probe container: 'open', or the error connecting to the host's port."""
    code = ("import socket,sys\ntry:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), 3).close(); print('open')\n"
            "except OSError as e:\n print(type(e).__name__)")
    return run(f"python3 -c \"{code}\" {HOST_IP} {port}", PROBE).stdout.strip()


def probe_get(port):
    code = ("import urllib.request,sys\nr=urllib.request.urlopen(f'http://{sys.argv[1]}:{sys.argv[2]}/', timeout=5)\n"
            "print(r.status, r.read().decode().strip())")
    return run(f"python3 -c \"{code}\" {HOST_IP} {port}", PROBE).stdout.strip()


def converge(*args, check=False):
    return pacsops_testlib.run_playbook("converge.yml", *args, check=check)


def test_four_services_running_and_healthy():
    state = services()
    assert set(state) == SERVICES
    assert {name: s["Health"] for name, s in state.items()} == dict.fromkeys(SERVICES, "healthy")


def test_schemas_and_app_user_rights():
    assert {"public_pacs", "public_view"} <= set(sql("SHOW DATABASES"))
    grants = " ".join(sql("SHOW GRANTS FOR 'o3app'@'%'"))
    assert "`public_pacs`.*" in grants and "`public_view`.*" in grants
    assert "ON *.*" not in grants.replace("USAGE ON *.*", "")


def test_applications_connect_as_the_app_user_not_root():
    env = inspect("pacs")["Config"]["Env"]
    dsn = next(e for e in env if e.startswith("DPACS_CONNECTION_STRING="))
    assert "username=o3app;" in dsn and "schema=public_pacs" in dsn
    # root's password reaches the database container only.
    assert not any(SECRETS[0] in e for e in env)


def test_env_file_mode_owner_and_compose_file():
    env = on(HOST).file(f"{PROJECT}/.env")
    assert (env.mode, env.user, env.group) == (0o600, "root", "root")
    assert on(HOST).file(f"{PROJECT}/docker-compose.yml").mode == 0o644
    assert SECRETS[0] not in on(HOST).file(f"{PROJECT}/docker-compose.yml").content_string


def test_db_port_not_reachable_from_the_probe_but_on_the_hosts_loopback():
    assert probe_tcp(3306) == "ConnectionRefusedError"
    assert probe_tcp(8080) == "open"           # the probe's network path works
    bindings = inspect("db")["HostConfig"]["PortBindings"]["3306/tcp"]
    assert bindings == [{"HostIp": "127.0.0.1", "HostPort": "3306"}]


def test_pacs_and_view_answer_from_the_probe():
    assert probe_get(8080) == "200 pacs 1.0.0 ok, database public_pacs"
    assert probe_get(8181) == "200 view 1.0.0 ok, database public_view"


def test_prerequisites_and_docker_compose_command():
    assert on(HOST).package("git").is_installed and on(HOST).package("curl").is_installed
    out = run(f"cd {PROJECT} && docker-compose ps --services")
    assert out.rc == 0 and set(out.stdout.split()) == SERVICES, out.stderr


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()


def test_rerun_verbose_changes_nothing_and_prints_no_secret():
    start = time.monotonic()
    result = converge("-v")
    elapsed = time.monotonic() - start
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert pacsops_testlib.recap(result.stdout)[HOST]["changed"] == 0, result.stdout[-3000:]
    for secret in SECRETS:
        assert secret not in out
    print(f"re-run -v: {elapsed:.1f} s")


@pytest.fixture(scope="module")
def before_update():
    """Data written before the update, and the containers it must or must not replace."""
    sql("CREATE TABLE IF NOT EXISTS public_pacs.marker (v VARCHAR(40)); INSERT INTO public_pacs.marker VALUES ('before-update')")
    assert run("echo before-update > /srv/o3/compose/storage/marker.txt").rc == 0
    return {"db": inspect("db")["Id"], "pacs": inspect("pacs")["Id"]}


@pytest.fixture(scope="module")
def updated(before_update):
    start = time.monotonic()
    result = converge("-v", "-e", f"o3_stack_pacs_image={REGISTRY}/pacs-cloud:1.1.0")
    print(f"update to 1.1.0: {time.monotonic() - start:.1f} s")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    for secret in SECRETS:
        assert secret not in out
    return before_update


def parse_time(value):
    # Docker's RFC 3339 with nanoseconds: keep microseconds for fromisoformat.
    head, _, frac = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")


def test_update_recreates_pacs_on_the_new_image_pulled_first(updated):
    pacs = inspect("pacs")
    image = inspect(f"{REGISTRY}/pacs-cloud:1.1.0")
    assert pacs["Id"] != updated["pacs"]
    assert pacs["Image"] == image["Id"]
    assert parse_time(image["Metadata"]["LastTagTime"]) < parse_time(pacs["Created"])
    assert inspect("pacs-singleton")["Image"] == image["Id"]
    assert probe_get(8080) == "200 pacs 1.1.0 ok, database public_pacs"
    assert all(s["Health"] == "healthy" for s in services().values())


def test_update_keeps_the_database_container_and_the_data(updated):
    assert inspect("db")["Id"] == updated["db"]
    assert sql("SELECT v FROM public_pacs.marker") == ["before-update"]
    assert run("cat /srv/o3/compose/storage/marker.txt").stdout.strip() == "before-update"


def test_broken_update_is_rolled_back_and_fails_clearly(updated):
    start = time.monotonic()
    result = converge("-e", f"o3_stack_pacs_image={REGISTRY}/pacs-cloud:1.2.0", "-e", "o3_stack_health_timeout=60")
    print(f"broken update + rollback: {time.monotonic() - start:.1f} s")
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "pacs, pacs-singleton did not become healthy" in out, out[-4000:]
    assert f"Rolled back to mysql:8.0.34, {REGISTRY}/pacs-cloud:1.1.0" in out
    assert "broken on purpose" in out                    # the service's own log lines
    for secret in SECRETS:
        assert secret not in out
    assert inspect("pacs")["Config"]["Image"] == f"{REGISTRY}/pacs-cloud:1.1.0"
    assert all(s["Health"] == "healthy" for s in services().values())
    assert inspect("db")["Id"] == updated["db"]
    assert "pacs-cloud:1.1.0" in run(f"cat {PROJECT}/.env").stdout


def test_absent_stops_the_stack_and_keeps_the_data(updated):
    result = converge("-e", "o3_stack_state=absent", "-e", f"o3_stack_pacs_image={REGISTRY}/pacs-cloud:1.1.0")
    assert result.returncode == 0, result.stdout[-3000:]
    assert run("docker ps -aq").stdout.strip() == ""
    assert run("cat /srv/o3/compose/storage/marker.txt").stdout.strip() == "before-update"
    assert on(HOST).file("/srv/o3/compose/db/public_pacs").is_directory
