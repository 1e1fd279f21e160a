"""The firewall and SELinux roles, checked from the probes (outside) and on the target.

Probe results: "open" (connected), "refused" (RST: allowed, nothing listening) and
"filtered" (ICMP admin-prohibited from the zone's REJECT target, or a timeout).
"""
import json
import os
import sys

import pytest
import testinfra

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

testinfra_hosts = ["pacsops-firewall-target"]

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
TARGET_IN = "172.30.10.10"   # the target's address on the allowed (inside) network
TARGET_OUT = "172.30.11.10"  # the target's address on the outside network
DECLARED = [22, 80, 443, 104, 4104, 2222]  # 000 ports, DICOM ports, the connection guard (ansible_port)
UNDECLARED = [9999, 21, 5555]
LISTEN_PORTS = DECLARED + [11112] + UNDECLARED

PROBE_SCRIPT = r"""
import errno, json, socket, sys
host, ports = sys.argv[1], [int(p) for p in sys.argv[2].split(",")]
out = {}
for port in ports:
    s = socket.socket()
    s.settimeout(1.5)
    try:
        s.connect((host, port))
        out[port] = "open"
    except ConnectionRefusedError:
        out[port] = "refused"
    except (socket.timeout, OSError):
        out[port] = "filtered"
    finally:
        s.close()
print(json.dumps(out))
"""

LISTENER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in sys.argv[1].split(","):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port))); s.listen(16); sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept(); conn.close()
"""


def probe(name, address, ports):
    """Connects from a probe container; returns {port: open|refused|filtered}."""
    host = testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")
    result = host.run("python3 -c %s %s %s", PROBE_SCRIPT, address, ",".join(map(str, ports)))
    assert result.rc == 0, result.stderr
    return {int(k): v for k, v in json.loads(result.stdout).items()}


@pytest.fixture(scope="module", autouse=True)
def listeners(host):
    """Small TCP listeners on every port the tests probe, declared or not."""
    host.run("systemctl stop pacsops-fw-listen.service 2>/dev/null; systemctl reset-failed pacsops-fw-listen.service 2>/dev/null")
    started = host.run("systemd-run --unit=pacsops-fw-listen python3 -c %s %s", LISTENER,
                       ",".join(map(str, LISTEN_PORTS)))
    assert started.rc == 0, started.stderr
    for _ in range(20):
        if host.socket("tcp://0.0.0.0:5555").is_listening:
            break
        host.run("sleep 0.3")
    yield
    host.run("systemctl stop pacsops-fw-listen.service")


def test_firewalld_runs_and_owns_the_default_zone(host):
    assert host.service("firewalld").is_running
    assert host.service("firewalld").is_enabled
    assert host.check_output("firewall-cmd --get-default-zone") == "public"
    zone = host.file("/etc/firewalld/zones/public.xml")
    assert zone.contains('target="%%REJECT%%"')
    assert zone.contains('<source address="172.30.10.0/24"/>')


def test_declared_ports_answer_from_inside():
    result = probe("pacsops-firewall-probe-in", TARGET_IN, DECLARED + [11112])
    assert result == {port: "open" for port in DECLARED + [11112]}, result


def test_undeclared_ports_are_filtered_although_something_listens():
    result = probe("pacsops-firewall-probe-in", TARGET_IN, UNDECLARED)
    assert result == {port: "filtered" for port in UNDECLARED}, result


def test_source_restricted_port_is_closed_to_the_outside_network():
    # 003: 11112 only from 172.30.10.0/24; the 000 ports stay open to everybody.
    result = probe("pacsops-firewall-probe-out", TARGET_OUT, [11112, 80, 443])
    assert result == {11112: "filtered", 80: "open", 443: "open"}, result


def test_connection_port_is_kept_open(host):
    # ansible_port=2222 is not declared in any firewall variable: the lockout guard opened it.
    assert "2222/tcp" in host.check_output("firewall-cmd --zone=public --list-ports").split()


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()


def test_bad_input_fails_before_any_change(host):
    before = host.file("/etc/firewalld/zones/public.xml").md5sum
    cases = {
        "firewall_ports": ([{"port": 70000, "proto": "tcp"}], "firewall_ports=70000"),
        "firewall_source_rules": ([{"port": 11112, "sources": ["10.0.0.0/33"]}], "10.0.0.0/33"),
    }
    for var, (value, expected) in cases.items():
        run = pacsops_testlib.run_playbook("converge.yml", "-e", json.dumps({var: value}))
        output = run.stdout + run.stderr
        assert run.returncode != 0, output[-2000:]
        assert expected in output and var in output, output[-2000:]
        assert "changed=0" in run.stdout, output[-2000:]
    proto = pacsops_testlib.run_playbook(
        "converge.yml", "-e", json.dumps({"firewall_ports": [{"port": 8443, "proto": "icmp"}]}))
    output = proto.stdout + proto.stderr
    assert proto.returncode != 0 and "proto" in output and "icmp" in output, output[-2000:]
    assert host.file("/etc/firewalld/zones/public.xml").md5sum == before


def test_drift_opened_by_hand_is_closed_on_the_next_run(host):
    # A runtime-only port and a permanent service (ftp = 21), as an admin would add them.
    host.run_test("firewall-cmd --zone=public --add-port=5555/tcp")
    host.run_test("firewall-cmd --permanent --zone=public --add-service=ftp")
    host.run_test("firewall-cmd --zone=public --add-service=ftp")
    assert probe("pacsops-firewall-probe-in", TARGET_IN, [5555, 21]) == {5555: "open", 21: "open"}

    run = pacsops_testlib.run_playbook("converge.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    assert pacsops_testlib.recap(run.stdout)["pacsops-firewall-target"]["changed"] > 0
    assert probe("pacsops-firewall-probe-in", TARGET_IN, [5555, 21]) == {5555: "filtered", 21: "filtered"}
    # Declared ports survived the correction, and the next run has nothing to do.
    assert probe("pacsops-firewall-probe-in", TARGET_IN, [22, 443, 11112]) == {22: "open", 443: "open", 11112: "open"}
    again = pacsops_testlib.run_playbook("converge.yml")
    assert pacsops_testlib.recap(again.stdout)["pacsops-firewall-target"]["changed"] == 0, again.stdout[-3000:]


def test_published_container_port_survives_firewalld_reload(host):
    # docs/firewall-docker.md: docker (started after firewalld) re-creates its chains on reload.
    host.run("docker rm -f pacsops-web >/dev/null 2>&1")
    build = host.run(
        "set -e; d=$(mktemp -d); mkdir -p $d/bin $d/www; cp /bin/busybox $d/bin/busybox;"
        " echo pacsops > $d/www/index.html;"
        " tar -C $d -c . | docker import -c 'CMD [\"/bin/busybox\",\"httpd\",\"-f\",\"-p\",\"8080\",\"-h\",\"/www\"]'"
        " - pacsops/busybox-httpd:local >/dev/null; rm -rf $d;"
        " docker run -d --name pacsops-web -p 8080:8080 pacsops/busybox-httpd:local")
    assert build.rc == 0, build.stderr
    assert "docker0" in host.check_output("firewall-cmd --zone=docker --list-interfaces")
    assert probe("pacsops-firewall-probe-in", TARGET_IN, [8080]) == {8080: "open"}
    host.run_test("firewall-cmd --reload")
    host.run("sleep 1")
    assert probe("pacsops-firewall-probe-in", TARGET_IN, [8080]) == {8080: "open"}
    # The zone policy is back after the reload too.
    assert probe("pacsops-firewall-probe-in", TARGET_IN, [9999]) == {9999: "filtered"}
    host.run("docker rm -f pacsops-web")
