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

import importlib.util
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.pacsops.server.plugins.module_utils import firewalld_zone

UNIT = 'firewalld.service'


def unit_state(module):
    """(LoadState, ActiveState, UnitFileState) of firewalld; systemctl show is systemd's key=value interface."""
    rc, out, err = module.run_command(['systemctl', 'show', '-p', 'LoadState', '-p', 'ActiveState',
                                       '-p', 'UnitFileState', UNIT])
    if rc != 0:
        module.fail_json(msg='systemctl show %s failed: %s' % (UNIT, err))
    values = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    return values.get('LoadState', ''), values.get('ActiveState', ''), values.get('UnitFileState', '')


def bindings_installed():
    """Whether python3-firewall (and python3-dbus, which it needs) can be imported; found, not imported."""
    return all(importlib.util.find_spec(name) is not None for name in ('dbus', 'firewall'))


def dbus_call():
    """call(object_path, interface, method, *args) on firewalld's bus name, without introspection (firewalld
    answers an Introspect slowly, and firewall.client asks for one per object). A private connection: the
    shared one must be made by firewall.client, attached to its main loop, when there is something to write."""
    import dbus
    bus = dbus.SystemBus(private=True)

    def call(path, interface, method, *args):
        return getattr(dbus.Interface(bus.get_object(firewalld_zone.BUS_NAME, path, introspect=False),
                                      interface), method)(*args)
    return call


def firewall_client():
    """(FirewallClient instance, FirewallClientZoneSettings): loaded only when there is something to write."""
    from firewall.client import FirewallClient, FirewallClientZoneSettings
    return FirewallClient(), FirewallClientZoneSettings


def normalize_rule(text):
    from firewall.core.rich import Rich_Rule
    return str(Rich_Rule(rule_str=text))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            zone=dict(type='str', required=True),
            default_zone=dict(type='bool', default=True),
            target=dict(type='str', choices=list(firewalld_zone.TARGETS), default='default'),
            services=dict(type='list', elements='str', default=[]),
            ports=dict(type='list', elements='str', default=[]),
            protocols=dict(type='list', elements='str', default=[]),
            source_ports=dict(type='list', elements='str', default=[]),
            source_rules=dict(type='list', elements='dict', default=[], options=dict(
                port=dict(type='str', required=True),
                proto=dict(type='str', default='tcp'),
                source=dict(type='str', required=True),
            )),
            rich_rules=dict(type='list', elements='str', default=[]),
            exclusive=dict(type='bool', default=False),
            start=dict(type='bool', default=True),
            report_missing=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, installed=True, started=False, reloaded=False, changes=[])
    load, active, enabled = unit_state(module)
    installed = load not in ('not-found', '') and bindings_installed()
    if not installed and params['report_missing']:
        result.update(installed=False, msg='firewalld or its Python bindings are not installed')
        module.exit_json(**result)
    if params['start'] and enabled != 'enabled':
        result['changes'].append('enable firewalld at boot')
        if not module.check_mode:
            module.run_command(['systemctl', 'enable', UNIT], check_rc=True)
    if active != 'active':
        if not params['start']:
            module.fail_json(msg='firewalld is %s and start is false' % active)
        result['started'] = True
        result['changes'].append('start firewalld')
        if module.check_mode:
            # Nothing to read from a stopped (or not yet installed) firewalld: report what the start would do.
            result['changes'].append('configure zone %s (firewalld is not running, not read)' % params['zone'])
            module.exit_json(changed=True, **dict((k, v) for k, v in result.items() if k != 'changed'))
        module.run_command(['systemctl', 'start', UNIT], check_rc=True)
    if not bindings_installed():
        module.fail_json(msg=missing_required_lib('firewall (python3-firewall)'))
    try:
        reader = firewalld_zone.ZoneReader(dbus_call())
        permanent, runtime = reader.read(params['zone'])
        default_zone = reader.default_zone()
    except Exception as exc:  # dbus.exceptions.DBusException: firewalld not reachable or refusing
        module.fail_json(msg='cannot read zone %s from firewalld over D-Bus: %s' % (params['zone'], exc),
                         exception=traceback.format_exc())
    wanted = firewalld_zone.desired_zone(
        target=params['target'], services=params['services'], ports=params['ports'],
        protocols=params['protocols'], source_ports=params['source_ports'], rich_rules=params['rich_rules'],
        source_rules=params['source_rules'], normalize_rule=normalize_rule if params['rich_rules'] else None)
    planned = firewalld_zone.plan(permanent, runtime, wanted, params['exclusive'], default_zone=default_zone,
                                  zone=params['zone'], set_default=params['default_zone'])
    if planned.changed and not module.check_mode:
        try:
            client, new_settings = firewall_client()
            if not client.connected:
                module.fail_json(msg='cannot reach firewalld over D-Bus although %s is active' % UNIT)
            firewalld_zone.apply(firewalld_zone.ZoneClient(client, new_settings), params['zone'], planned)
        except Exception as exc:  # dbus.exceptions.DBusException and FirewallError carry firewalld's reason
            module.fail_json(msg='firewalld refused the change of zone %s: %s' % (params['zone'], exc),
                             changes=planned.changes, exception=traceback.format_exc())
    result['changes'] += planned.changes
    result['reloaded'] = planned.reload
    result['changed'] = bool(result['changes'])
    if module._diff:
        result['diff'] = planned.diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
