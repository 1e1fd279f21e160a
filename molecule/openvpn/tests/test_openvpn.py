"""OpenVPN client: tunnel to the test server on TCP 443 through an HTTP proxy, a SOCKS proxy or
directly, and the customer's switch openvpn_enabled. The tests run in file order; each converges
the state it needs, and the last ones restore the scenario's converge state."""

import os
import re
import sys
import time

import pytest
import testinfra

sys.path.insert(0, os.environ["PACSOPS_SHARED"])
import pacsops_testlib  # noqa: E402

CLIENT = "pacsops-openvpn-client"
SERVER_TUNNEL_IP = "10.99.0.1"
SERVER_IP, PROXY_IP, CLIENT_IP = "172.30.60.10", "172.30.60.20", "172.30.60.30"
PROXY_PASSWORD = "molecule-proxy-password"
UNIT = "openvpn-client@vendor"
STATUS = "/run/openvpn-server/status-test.log"
# The guard every ping needs: tun0 exists and the route to the server's tunnel address uses it.
# Without it a packet to this private address would leave through the default route.
TUNNEL_GUARD = f"ip link show tun0 >/dev/null 2>&1 && ip route get {SERVER_TUNNEL_IP} | grep -q ' dev tun0 '"


def _host(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


@pytest.fixture(scope="module")
def client():
    return _host(CLIENT)


@pytest.fixture(scope="module")
def server():
    return _host("pacsops-openvpn-server")


def _converge(*args):
    """Converges the client; "name=value" arguments become extra vars, others are passed as given."""
    argv = ["--limit", CLIENT]
    for arg in args:
        argv += ["-e", arg] if "=" in arg else [arg]
    result = pacsops_testlib.run_playbook("converge.yml", *argv)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result


def _wait_for_tunnel(client, up=True, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (client.run(TUNNEL_GUARD).rc == 0) == up:
            return True
        time.sleep(1)
    return False


def _now(server):
    return int(server.run("date +%s").stdout)


def _server_sees_client_from(server, since, timeout=30):
    """Real addresses of the client's connections made since `since` (status file, every 2 s)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = server.run(f"cat {STATUS}").stdout
        # CLIENT_LIST,CN,real address,virtual address,virtual IPv6,rx,tx,since,since (time_t),...
        fresh = {
            m.group(1)
            for m in re.finditer(
                r"^CLIENT_LIST,client,([\d.]+):\d+,10\.99\.0\.\d+,[^,]*,\d+,\d+,[^,]+,(\d+),", status, re.M
            )
            if int(m.group(2)) >= since
        }
        if fresh:
            return fresh
        time.sleep(1)
    return set()


def _assert_tunnel_through(client, server, origin, since=0):
    assert _wait_for_tunnel(client), client.run(f"journalctl -u {UNIT} -n 30 --no-pager").stdout
    ping = client.run(f"{TUNNEL_GUARD} && ping -c 2 -W 2 {SERVER_TUNNEL_IP}")
    assert ping.rc == 0, ping.stdout + ping.stderr
    # Through a proxy the server sees the proxy's address, directly the client's.
    assert _server_sees_client_from(server, since) == {origin}


def test_tunnel_up_through_http_proxy(client, server):
    # The scenario's converge state: HTTP proxy with credentials.
    assert client.service(UNIT).is_enabled
    assert client.service(UNIT).is_running
    _assert_tunnel_through(client, server, PROXY_IP)
    log = client.run(f"journalctl -u {UNIT} --no-pager").stdout
    assert f"CONNECT {SERVER_IP}:443" in log and "Connection established" in log


def test_secrets_are_private_files(client):
    for name in ("vendor.conf", "vendor.credentials", "vendor.proxy-auth"):
        f = client.file(f"/etc/openvpn/client/{name}")
        assert f.exists and f.user == "root" and f.mode == 0o600, name
    assert "-----BEGIN PRIVATE KEY-----" in client.file("/etc/openvpn/client/vendor.credentials").content_string
    assert client.file("/etc/openvpn/client/vendor.proxy-auth").content_string == f"pacsvpn\n{PROXY_PASSWORD}\n"


def test_tunnel_up_directly(client, server):
    since = _now(server)
    _converge("openvpn_proxy_type=none")
    assert not client.file("/etc/openvpn/client/vendor.proxy-auth").exists
    _assert_tunnel_through(client, server, CLIENT_IP, since)


def test_tunnel_up_through_socks_proxy(client, server):
    since = _now(server)
    _converge("openvpn_proxy_type=socks", "openvpn_proxy_port=1080")
    conf = client.file("/etc/openvpn/client/vendor.conf").content_string
    assert f"socks-proxy {PROXY_IP} 1080 /etc/openvpn/client/vendor.proxy-auth" in conf
    _assert_tunnel_through(client, server, PROXY_IP, since)


def test_switch_off_stops_remote_access(client):
    _converge("openvpn_enabled=false")
    service = client.service(UNIT)
    assert not service.is_running and not service.is_enabled
    assert _wait_for_tunnel(client, up=False, timeout=10), "tun0 still carries the route"
    assert client.run("ip link show tun0").rc != 0
    # The configuration stays for the day the customer flips the switch back.
    assert client.file("/etc/openvpn/client/vendor.conf").exists
    # No ping here: with the tunnel down it would leave through the default route.


def test_switch_on_again_restores_the_tunnel_and_never_prints_secrets(client, server):
    # The secret files are rewritten in this run, with diff and verbosity on: no_log must hide them.
    client.run("rm -f /etc/openvpn/client/vendor.credentials /etc/openvpn/client/vendor.proxy-auth")
    since = _now(server)
    result = _converge("--diff", "-v")
    assert pacsops_testlib.recap(result.stdout)[CLIENT]["changed"] > 0
    output = result.stdout + result.stderr
    assert PROXY_PASSWORD not in output
    assert "PRIVATE KEY" not in output and "OpenVPN Static key" not in output
    assert client.service(UNIT).is_enabled
    _assert_tunnel_through(client, server, PROXY_IP, since)


def test_bad_input_fails_before_any_change():
    result = pacsops_testlib.run_playbook(
        "converge.yml", "--limit", CLIENT, "-e", "openvpn_proxy_type=http", "-e", "openvpn_remote_proto=udp"
    )
    assert result.returncode != 0
    # Molecule's environment sends failures to stderr.
    assert "openvpn_proxy_type=http needs openvpn_remote_proto=tcp-client (is udp)" in result.stdout + result.stderr
    assert pacsops_testlib.recap(result.stdout)[CLIENT]["changed"] == 0


def test_check_mode_on_converged_host_reports_no_change():
    pacsops_testlib.assert_check_mode_clean()
