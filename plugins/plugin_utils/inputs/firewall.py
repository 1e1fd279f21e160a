# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall role's input rules (ports, protocols, source networks, services and the zone name), and what
the role opens, derived from valid inputs: the ports open to every source and the source-restricted entries."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import matches, network, rejected, truthy

ROLE = 'firewall'
INPUTS = (
    'firewall_backend', 'firewall_zone', 'firewall_ssh_port', 'firewall_http_port', 'firewall_https_port',
    'firewall_dicom_enabled', 'firewall_dicom_ports', 'firewall_dicom_sources', 'firewall_ports', 'firewall_source_rules',
    'firewall_services',
    # The port of the running Ansible connection (vars/main.yml: '' for local or docker connections), kept open
    # unless firewall_allow_lockout is true.
    'firewall_allow_lockout', '__firewall_connection_port',
)

# 1-65535 as a regex: a port is checked as the text it is written as, so 080 or 1.5 are refused.
PORT = r'^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$'
PROTOCOLS = ('tcp', 'udp', 'sctp', 'dccp')
SERVICE = r'^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$'
ZONE = r'^[a-zA-Z0-9_-]{1,17}$'


def port_inputs(inputs):
    """Every port input as (variable, port as written, protocol); a web or SSH port of 0 stays closed."""
    out = [(name, str(inputs[name]), 'tcp') for name in ('firewall_ssh_port', 'firewall_http_port', 'firewall_https_port')
           if str(inputs[name]) != '0']
    out += [('firewall_dicom_ports', str(port), 'tcp') for port in inputs['firewall_dicom_ports']]
    for name in ('firewall_ports', 'firewall_source_rules'):
        out += [(name, str(item.get('port', '')), item.get('proto', 'tcp')) for item in inputs[name]]
    return out


def bad_sources(inputs):
    sources = []
    for rule in inputs['firewall_source_rules']:
        value = rule.get('sources', [])
        sources += value if isinstance(value, list) else [value]
    sources += list(inputs['firewall_dicom_sources'])
    bad = [str(source) for source in sources if network(source) is None]
    if [rule for rule in inputs['firewall_source_rules'] if not rule.get('sources')]:
        bad.append('(a rule without sources)')
    return bad


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    ports = port_inputs(inputs)
    bad_ports = ['%s=%s' % (name, port) for name, port, proto in ports if not matches(PORT, port)]
    bad_protocols = ['%s.proto=%s' % (name, proto) for name, port, proto in ports if proto not in PROTOCOLS]
    sources = bad_sources(inputs)
    services = inputs['firewall_services']
    bad_services = rejected(services, SERVICE)
    tests = [
        (not bad_ports, 'ports must be integers 1-65535: %s.' % ', '.join(bad_ports)),
        (not bad_protocols, 'protocols must be one of %s: %s.' % ('/'.join(PROTOCOLS), ', '.join(bad_protocols))),
        (not sources, 'firewall_source_rules/firewall_dicom_sources need IPv4 or IPv6 CIDRs: %s.' % ', '.join(sources)),
        (not bad_services, 'firewall_services names %s must match %s.' % (bad_services, SERVICE)),
        (inputs['firewall_backend'] == 'firewalld' or not services,
         'firewall_services=%s needs firewall_backend=firewalld (iptables has no services; use firewall_ports).'
         % (services,)),
        (matches(ZONE, inputs['firewall_zone']),
         'firewall_zone=%s is not a valid zone name (letters, digits, _ and -, at most 17).' % inputs['firewall_zone']),
    ]
    return [message for ok, message in tests if not ok]


def declared_ports(inputs):
    """Ports open to every source as "port/proto" (firewalld's notation), de-duplicated in declared order: the
    zone file must not change between runs. DICOM ports are open to all only when no source is declared."""
    ports = ['%d/tcp' % int(inputs[name]) for name in ('firewall_ssh_port', 'firewall_http_port', 'firewall_https_port')
             if int(inputs[name]) > 0]
    if truthy(inputs['firewall_dicom_enabled']) and not inputs['firewall_dicom_sources']:
        ports += ['%d/tcp' % int(port) for port in inputs['firewall_dicom_ports']]
    ports += ['%d/%s' % (int(item['port']), item.get('proto', 'tcp')) for item in inputs['firewall_ports']]
    return list(dict.fromkeys(ports))


def guard_port(inputs, declared):
    """The connection's port when the role must keep it open and no declared port is it, else ''."""
    port = '' if truthy(inputs['firewall_allow_lockout']) else str(inputs['__firewall_connection_port'])
    return port if port and '%s/tcp' % port not in declared else ''


def source_entries(inputs):
    """One {port, proto, source} per port and source of each source rule, the DICOM ports' included."""
    rules = list(inputs['firewall_source_rules'])
    if truthy(inputs['firewall_dicom_enabled']) and inputs['firewall_dicom_sources']:
        rules.append({'ports': inputs['firewall_dicom_ports'], 'sources': inputs['firewall_dicom_sources']})
    out = []
    for rule in rules:
        sources = rule.get('sources', [])
        sources = sources if isinstance(sources, list) else [sources]
        for port in rule.get('ports', [rule.get('port')]):
            for source in sources:
                entry = {'port': str(port), 'proto': rule.get('proto', 'tcp'), 'source': str(source)}
                if entry not in out:
                    out.append(entry)
    return out


def derive(inputs):
    """What the role opens, from valid inputs (the validate task registers it; vars/main.yml reads it)."""
    declared = declared_ports(inputs)
    guard = guard_port(inputs, declared)
    return {
        'open_ports': declared + (['%s/tcp' % guard] if guard else []),
        'source_entries': source_entries(inputs),
        'guard_port': guard,
    }


def notes(inputs):
    """Which port is kept open for the Ansible connection: the role never locks out the connection in use
    unless firewall_allow_lockout is true."""
    if truthy(inputs['firewall_allow_lockout']):
        return ['firewall_allow_lockout is true: the Ansible connection port is not kept open.']
    guard = derive(inputs)['guard_port']
    if guard:
        return ['tcp/%s kept open for the Ansible connection (not declared in the firewall variables;'
                ' firewall_allow_lockout: true closes it).' % guard]
    return ['the Ansible connection port is declared, or the connection uses none.']
