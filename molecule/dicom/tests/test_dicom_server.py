"""The guide's own dicom-server (003) around a stand-in binary: the rendering, user, modes and unit.

The real binary cannot be built here (Swift toolchain); these checks prove what the role writes.
"""
import json

testinfra_hosts = ["pacsops-dicom-server"]

# 003 "Configuration File": the same keys in the same order, values from the scenario's inventory.
EXPECTED = """{
  "aeTitle": "HOSPITAL_PACS",
  "port": 11112,
  "dataDirectory": "/var/lib/dicom-server/data",
  "databaseURL": "",
  "maxConcurrentConnections": 50,
  "maxPDUSize": 65536,
  "allowedCallingAETitles": [
    "MODALITY_IN"
  ],
  "blockedCallingAETitles": [
    "OLD_DEVICE",
    "DECOMMISSIONED"
  ],
  "verbose": false,
  "enableTLS": false
}
"""


def test_config_json_in_the_guides_format(host):
    config = host.file("/etc/dicom-server/config.json")
    assert (config.mode, config.user, config.group) == (0o640, "root", "dicom")
    assert config.content_string == EXPECTED
    assert list(json.loads(config.content_string)) == [
        "aeTitle", "port", "dataDirectory", "databaseURL", "maxConcurrentConnections", "maxPDUSize",
        "allowedCallingAETitles", "blockedCallingAETitles", "verbose", "enableTLS"]


def test_dedicated_user_and_directories(host):
    user = host.user("dicom")
    assert user.shell == "/bin/false" and user.home == "/var/lib/dicom-server" and user.uid < 1000
    for path, owner, group in [("/var/lib/dicom-server", "dicom", "dicom"),
                               ("/var/lib/dicom-server/data", "dicom", "dicom"),
                               ("/var/log/dicom-server", "dicom", "dicom"),
                               ("/etc/dicom-server", "root", "dicom")]:
        f = host.file(path)
        assert (f.mode, f.user, f.group) == (0o750, owner, group), path
    assert host.file("/usr/local/bin/dicom-server").mode == 0o755


def test_unit_verifies_and_runs_the_binary_as_dicom(host):
    verify = host.run("systemd-analyze verify /etc/systemd/system/dicom-server.service")
    assert verify.rc == 0, verify.stderr
    assert host.service("dicom-server").is_running and host.service("dicom-server").is_enabled
    pid = host.check_output("systemctl show -p MainPID --value dicom-server")
    assert host.check_output(f"ps -o user= -p {pid}").strip() == "dicom"
    # The guide's unit: ExecStart with the config, logs appended under /var/log/dicom-server.
    assert "fake dicom-server started with /etc/dicom-server/config.json" in host.file(
        "/var/log/dicom-server/server.log").content_string
    score = host.run("systemd-analyze security dicom-server.service --no-pager | tail -1")
    print(f"pacsops-dicom-server: {score.stdout.strip()}")
