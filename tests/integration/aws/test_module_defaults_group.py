"""module_defaults groups reach pacsops.server.ebs_snapshot_policy (meta/runtime.yml, plugins/action/).

A fake DLM endpoint on 127.0.0.1 answers GetLifecyclePolicies with no policy and records, for every
request, the region of its SigV4 signature. One ansible-playbook run, three plays in check mode:
  1. module_defaults group/amazon.aws.aws "{{ connection }}" (a template, as roles/aws_instance
     does), connection = {region: eu-west-3, endpoint_url: <fake>}
  2. module_defaults group/pacsops.server.aws {region: ap-south-1, endpoint_url: <fake>}
  3. group/amazon.aws.aws with region us-west-2, the task itself says region ca-central-1 (task wins)
Each play's module call must reach the fake endpoint (endpoint_url came from the group) signed for
its region (region came from the group), and report that it would create the policy.
No AWS region in the environment: without the defaults the module has no region and fails.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/dlm/aws4_request")

PLAY = """
- name: {name}
  hosts: localhost
  gather_facts: false
  vars:
    connection:
      region: {region}
      endpoint_url: {endpoint}
  module_defaults:
    {group}: {defaults}
  tasks:
    - name: Would create the policy
      pacsops.server.ebs_snapshot_policy:
        name: pacsops module_defaults test
        execution_role_arn: arn:aws:iam::123456789012:role/dlm
        target_tags: {{backup_policy: daily}}
        {task_region}
      check_mode: true
      register: policy

    - name: The module would create it
      ansible.builtin.assert:
        that: policy is changed
"""


class FakeDLM(http.server.BaseHTTPRequestHandler):
    regions: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        match = SCOPE.search(self.headers.get("Authorization", ""))
        FakeDLM.regions.append(match.group(1) if match else f"unsigned {self.path}")
        body = json.dumps({"Policies": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_dlm():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeDLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeDLM.regions = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_module_defaults_groups_reach_ebs_snapshot_policy(fake_dlm, tmp_path):
    plays = [
        PLAY.format(name="amazon.aws group", group="group/amazon.aws.aws", region="eu-west-3",
                    endpoint=fake_dlm, task_region="", defaults='"{{ connection }}"'),
        PLAY.format(name="pacsops.server group", group="group/pacsops.server.aws", region="ap-south-1",
                    endpoint=fake_dlm, task_region="", defaults="{region: ap-south-1, endpoint_url: " + fake_dlm + "}"),
        PLAY.format(name="task wins over the group", group="group/amazon.aws.aws", region="us-west-2",
                    endpoint=fake_dlm, task_region="region: ca-central-1", defaults='"{{ connection }}"'),
    ]
    playbook = tmp_path / "playbook.yml"
    playbook.write_text("---" + "".join(plays))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update(
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".cache" / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_DEPRECATION_WARNINGS="0",
    )
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, output
    # Each play's GetLifecyclePolicies call, signed for the region the defaults (or the task) gave.
    assert sorted(set(FakeDLM.regions)) == sorted({"eu-west-3", "ap-south-1", "ca-central-1"}), FakeDLM.regions
    assert FakeDLM.regions[0] == "eu-west-3" and FakeDLM.regions[-1] == "ca-central-1", FakeDLM.regions
