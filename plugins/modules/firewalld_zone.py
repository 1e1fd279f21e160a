#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: firewalld_zone
short_description: One firewalld zone, permanent and runtime, in one call through firewalld's D-Bus API
version_added: 0.2.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Starts and enables firewalld when it is not running (O(start)), reads the zone's permanent and runtime
    settings with plain D-Bus calls, computes the difference in Python and writes only that, through the
    C(firewall) Python client. On a converged zone the client is not even loaded.
  - "O(exclusive=true): the zone holds exactly the declared services, ports, protocols, source ports and rich rules,
    in the permanent configuration and at runtime; entries added by hand (with or without C(--permanent)) are
    removed. O(exclusive=false): the declared entries are added and nothing is removed."
  - The zone target is always set. A target change, or a zone that did not exist, reaches the runtime through one
    C(reload); other runtime differences are applied entry by entry, without a reload.
  - Interfaces and sources bound to the zone are left alone (NetworkManager and docker bind them at runtime).
  - Returns RV(started) so that a role owning a service that firewalld's first start disturbs (docker's chains)
    can act on it.
options:
  zone:
    description: Zone name; created when missing.
    type: str
    required: true
  default_zone:
    description: Make O(zone) firewalld's default zone.
    type: bool
    default: true
  target:
    description: What the zone does with traffic no entry accepts.
    type: str
    choices: [default, ACCEPT, DROP, REJECT]
    default: default
  services:
    description: firewalld service names.
    type: list
    elements: str
    default: []
  ports:
    description: Ports open to every source, as C(port/protocol) (C(8443/tcp), C(1000-1010/udp)).
    type: list
    elements: str
    default: []
  protocols:
    description: Protocols accepted from every source (exclusive mode removes undeclared ones).
    type: list
    elements: str
    default: []
  source_ports:
    description: Source ports, as C(port/protocol).
    type: list
    elements: str
    default: []
  source_rules:
    description: Ports open to one network only, each written as a rich rule that accepts the port from the source.
    type: list
    elements: dict
    default: []
    suboptions:
      port:
        description: Port or range.
        type: str
        required: true
      proto:
        description: Protocol.
        type: str
        default: tcp
      source:
        description: Network in CIDR notation (IPv4 or IPv6).
        type: str
        required: true
  rich_rules:
    description: Further rich rules, in firewalld's syntax.
    type: list
    elements: str
    default: []
  exclusive:
    description: The declared entries are the whole zone (see the description).
    type: bool
    default: false
  start:
    description: Start firewalld (and enable it at boot) when it is not running.
    type: bool
    default: true
  report_missing:
    description:
      - When firewalld (its unit) or its Python bindings are not installed, return RV(installed=false) and change
        nothing, instead of failing. A role then needs no separate read to learn whether to install them; it
        installs them and calls the module again.
    type: bool
    default: false
notes:
  - Supports check mode and diff mode. In check mode on a host where firewalld is not running (or not installed
    yet), the zone cannot be read; the module then reports C(changed) and RV(started) as what would happen.
requirements:
  - firewalld and its Python bindings (Debian C(python3-firewall), RHEL C(python3-firewall)) on the managed host.
"""

EXAMPLES = r"""
- name: The iPACS host zone, nothing else
  pacsops.server.firewalld_zone:
    zone: public
    target: REJECT
    ports: [22/tcp, 80/tcp, 443/tcp]
    source_rules:
      - {port: "11112", proto: tcp, source: 10.0.0.0/8}
    exclusive: true
  register: zone

- name: Let the docker role know that firewalld has just been started
  ansible.builtin.set_fact:
    firewall_firewalld_just_started: true
  when: zone.started

- name: Converge the zone where firewalld is installed; learn whether it is
  pacsops.server.firewalld_zone:
    zone: public
    ports: [22/tcp]
    report_missing: true
  register: zone_read

- name: Install firewalld, then converge the zone
  ansible.builtin.include_tasks: install.yml
  when: not zone_read.installed
"""

RETURN = r"""
installed:
  description: Whether firewalld's unit and Python bindings are installed (false only with O(report_missing)).
  returned: always
  type: bool
  sample: true
started:
  description: Whether firewalld was started by this call (in check mode, whether it would be).
  returned: always
  type: bool
  sample: false
reloaded:
  description: Whether firewalld was reloaded (target change or new zone).
  returned: always
  type: bool
  sample: false
changes:
  description: One line per change, permanent and runtime.
  returned: always
  type: list
  elements: str
  sample: ["permanent: remove services ftp", "runtime: remove ports 5555/tcp"]
diff:
  description: The zone's permanent and runtime entries and the default zone, before and after.
  returned: when diff mode is on
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils.firewalld_zone import ARGUMENT_SPEC, module_result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    result = module_result(module.params, module.run_command, check_mode=module.check_mode, diff=module._diff)
    if result.get('failed'):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
