"""The example inventory's vault decrypts with its documented test password and feeds the roles.

One ansible-playbook run on the controller (no container): the host pacsops-demo of
inventories/example/hosts.yml, reached with a local connection, reads group_vars/all/vault.yml
(opened by ansible.cfg's vault_password_file), asserts the vault variable reaches the role
variables that read it, and validates the inventory's values of every role of
playbooks/ipacs_host.yml against that role's meta/argument_specs.yml, as the role would on entry.
The secret must not appear in the output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
VAULT = REPO / "inventories" / "example" / "group_vars" / "all" / "vault.yml"
PASSWORD_FILE = REPO / "inventories" / "example" / "vault-password-example.txt"

PLAY = """
- name: The example vault feeds the roles
  hosts: pacsops-demo
  gather_facts: false
  tasks:
    - name: The vault variable is defined and reaches mariadb_ipacs_password and mariadb_users
      ansible.builtin.assert:
        that:
          - vault_mariadb_ipacs_password is defined
          - vault_mariadb_ipacs_password | length > 0
          - mariadb_ipacs_password == vault_mariadb_ipacs_password
          - mariadb_users[0].password == vault_mariadb_ipacs_password
        quiet: true
      no_log: true
      tags: [always]

# Each role validates the inventory's values on entry, exactly as in a real run (with its defaults,
# templated against the inventory): the play runs with a tag no task has, so only the roles'
# argument validation (tagged always by ansible-core) runs, and nothing else of the roles.
- name: The inventory's values pass each role's argument validation
  hosts: pacsops-demo
  gather_facts: false
  roles: {roles}
"""


def test_example_vault_decrypts_and_converges(tmp_path):
    assert VAULT.read_text().startswith("$ANSIBLE_VAULT;"), f"{VAULT} must be encrypted"
    # The documented password file opens it on its own (an empty config: not through ansible.cfg).
    empty_cfg = tmp_path / "empty.cfg"
    empty_cfg.write_text("[defaults]\n")
    view = subprocess.run(
        [str(VENV_BIN / "ansible-vault"), "view", "--vault-id", f"example@{PASSWORD_FILE}", str(VAULT)],
        capture_output=True, text=True, check=False, env={**os.environ, "ANSIBLE_CONFIG": str(empty_cfg)})
    assert view.returncode == 0, view.stderr
    secret = yaml.safe_load(view.stdout)["vault_mariadb_ipacs_password"]

    # The playbook imports its roles as tasks (with their own validation task checking the argument spec).
    play = yaml.safe_load((REPO / "playbooks" / "ipacs_host.yml").read_text())[0]
    roles = [task["ansible.builtin.import_role"]["name"].rsplit(".", 1)[-1]
             for task in play["tasks"] if "ansible.builtin.import_role" in task]
    assert len(roles) == 13, roles
    playbook = tmp_path / "vault.yml"
    playbook.write_text("---" + PLAY.replace("{roles}", yaml.safe_dump(
        ["pacsops.server." + role for role in roles], default_flow_style=True).strip()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(REPO / ".cache" / "collections"))
    extra = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
             "repo": str(REPO), "host_roles": roles}
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", str(REPO / "inventories" / "example" / "hosts.yml"),
         "-e", yaml.safe_dump(extra, default_flow_style=True), "-v", "--tags", "pacsops-validate-only"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    # One validation per role, every one passed.
    validations = [line for line in output.splitlines()
                   if line.startswith("TASK [pacsops.server.") and "Validating arguments against arg spec" in line]
    assert len(validations) == len(roles), output[-4000:]
    assert re.search(r"pacsops-demo\s*: ok=%d\s+changed=0\s+unreachable=0\s+failed=0" % (len(roles) + 1),
                     output), output[-4000:]
    assert secret not in output
