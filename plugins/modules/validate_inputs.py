#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: validate_inputs
short_description: Refuse a role's inputs that cannot work, before the role changes anything
version_added: 0.3.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Runs a role's input rules on the controller and fails with one message that names every bad
    variable and its bad parts. The argument specification (C(meta/argument_specs.yml)) checks types
    and choices; these rules check what it cannot express, such as patterns, ranges and how inputs
    combine.
  - The rules are Python (C(plugins/plugin_utils/inputs/<role>.py)), unit-tested without a host.
  - Messages never contain a secret's value; a secret is only said to be missing.
  - Reads the role's variables from the task's variables, as M(ansible.builtin.validate_argument_spec) does.
  - With O(play=true), as a play's first task, it checks every role the play imports (its C(roles) section and
    its M(ansible.builtin.import_role) tasks) before the first of them changes the host, and fails with every
    bad input of every role, each message led by its role's name. Per role, the argument specification and the
    rules that need only the role's variables; each role checks all its rules again when it runs (some read the
    names of the release or the host's state, such as the SSH lock-out guard of the hardening role).
options:
  rules:
    description:
      - The role whose rules run, for example C(mariadb).
      - Required unless O(play=true); not together with it.
    type: str
  play:
    description: Check the inputs of every role the play imports, as described above.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: The rules run in check mode too; a bad input fails the same way.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  platform:
    support: full
    platforms: all
    description: Runs on the controller only; it does not contact the host.
notes:
  - This is an action plugin that needs no connection; the module file only documents it.
"""

EXAMPLES = r"""
- name: Refuse root, account, database, server and dump job settings that cannot work
  pacsops.server.validate_inputs:
    rules: mariadb

# A play's first task (playbooks/ipacs_host.yml): a bad input of its last role stops the run before its first
# role changes the host.
- name: Refuse the bad inputs of every role of this play before any role changes the host
  pacsops.server.validate_inputs:
    play: true
  tags: [always]
"""

RETURN = r"""
errors:
  description: One message per rule that failed.
  returned: failure
  type: list
  elements: str
  sample: ["mariadb_port=0 must be 1-65535."]
roles:
  description: The roles whose inputs were checked, in the play's order (each once).
  returned: success, with O(play=true)
  type: list
  elements: str
  sample: ["preflight", "proxy", "firewall", "docker"]
notes:
  description:
    - What the role decided from valid inputs and the operator should see, when its rules say something
      (the firewall role names the port it keeps open for the Ansible connection). The result is then shown
      at the default verbosity.
  returned: success, when the rules have notes
  type: list
  elements: str
  sample: ["tcp/2222 kept open for the Ansible connection (not declared in the firewall variables; firewall_allow_lockout: true closes it)."]
derived:
  description:
    - What the role derives from valid inputs, when its rules derive something; the role registers the result
      and reads this instead of computing it in Jinja. The firewall role gets C(open_ports) (C(port/proto) open
      to every source), C(source_entries) (one C(port), C(proto), C(source) per source) and C(guard_port) (the
      connection's port the role added, or empty).
  returned: success, when the rules derive values
  type: dict
  sample: {"open_ports": ["22/tcp", "80/tcp", "443/tcp"], "source_entries": [], "guard_port": ""}
msg:
  description: All the messages in one line, or how many inputs were valid (and the notes).
  returned: always
  type: str
"""
