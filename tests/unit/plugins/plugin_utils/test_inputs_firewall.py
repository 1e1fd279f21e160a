# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall role's input rules: the defaults pass, each bad port, protocol, network and name is named."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import firewall
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

RULE = {'port': 11112, 'proto': 'tcp', 'sources': ['10.0.0.0/8', 'fd00::/8']}


@pytest.fixture
def good():
    return defaults('firewall', firewall_ports=[{'port': 8443, 'proto': 'udp'}], firewall_source_rules=[RULE],
                    firewall_dicom_sources=['192.0.2.7'], firewall_services=['openvpn'],
                    __firewall_connection_port='22')


def test_every_public_input_the_rules_read_is_a_documented_default():
    public = [name for name in firewall.INPUTS if not name.startswith('__')]
    assert set(public) <= set(defaults('firewall'))


def test_declared_inputs_pass(good):
    assert firewall.check(good) == []


@pytest.mark.parametrize('override, expected', [
    ({'firewall_ssh_port': 65536}, 'ports must be integers 1-65535: firewall_ssh_port=65536.'),
    ({'firewall_https_port': '0443'}, 'firewall_https_port=0443'),
    ({'firewall_dicom_ports': [104, -1]}, 'firewall_dicom_ports=-1'),
    ({'firewall_ports': [{'port': 70000, 'proto': 'tcp'}]}, 'firewall_ports=70000'),
    ({'firewall_ports': [{'proto': 'tcp'}]}, 'firewall_ports=.'),
    ({'firewall_source_rules': [dict(RULE, port='11112-11113')]}, 'firewall_source_rules=11112-11113'),
    ({'firewall_ports': [{'port': 8443, 'proto': 'icmp'}]}, 'protocols must be one of tcp/udp/sctp/dccp: firewall_ports.proto=icmp'),
    ({'firewall_source_rules': [dict(RULE, proto='ip')]}, 'firewall_source_rules.proto=ip'),
    ({'firewall_source_rules': [dict(RULE, sources=['10.0.0.0/33'])]}, 'need IPv4 or IPv6 CIDRs: 10.0.0.0/33.'),
    ({'firewall_dicom_sources': ['example.org']}, 'need IPv4 or IPv6 CIDRs: example.org.'),
    ({'firewall_source_rules': [{'port': 22}]}, 'need IPv4 or IPv6 CIDRs: (a rule without sources).'),
    ({'firewall_source_rules': [dict(RULE, sources=[])]}, '(a rule without sources)'),
    ({'firewall_services': ['open vpn']}, "firewall_services names ['open vpn'] must match"),
    ({'firewall_backend': 'iptables'}, "firewall_services=['openvpn'] needs firewall_backend=firewalld"),
    ({'firewall_zone': 'a-zone-name-too-long'}, 'firewall_zone=a-zone-name-too-long is not a valid zone name'),
])
def test_each_bad_input_is_named(good, override, expected):
    found = messages(firewall, good, **override)
    assert len(found) == 1 and expected in found[0], found


def test_closed_web_ports_are_not_checked_and_iptables_without_services_passes(good):
    assert messages(firewall, good, firewall_http_port=0, firewall_https_port='0', firewall_backend='iptables',
                    firewall_services=[]) == []


@pytest.mark.parametrize('override, expected', [
    ({'__firewall_connection_port': '2222'},
     'tcp/2222 kept open for the Ansible connection (not declared in the firewall variables;'),
    ({'__firewall_connection_port': ''}, 'the Ansible connection port is declared, or the connection uses none.'),
    ({'firewall_allow_lockout': True}, 'firewall_allow_lockout is true: the Ansible connection port is not kept open.'),
    ({}, 'the Ansible connection port is declared, or the connection uses none.'),
])
def test_the_note_names_the_port_kept_open_for_the_connection(good, override, expected):
    notes = firewall.notes(dict(good, **override))
    assert len(notes) == 1 and expected in notes[0], notes


def test_sources_are_read_by_the_standard_library_not_a_pattern(good):
    # IPv6 in any form ipaddress reads, host bits set; octets out of range or a prefix too long refused.
    assert messages(firewall, good, firewall_dicom_sources=['::1', 'fd00::/8', '2001:db8::1/64', '10.1.2.3/24']) == []
    found = messages(firewall, good, firewall_dicom_sources=['300.1.1.1', 'fd00::/129', '10.0.0.0/8/8'])
    assert found == ['firewall_source_rules/firewall_dicom_sources need IPv4 or IPv6 CIDRs: '
                     '300.1.1.1, fd00::/129, 10.0.0.0/8/8.'], found


def test_open_ports_in_declared_order_without_duplicates(good):
    # The web and SSH ports (0 stays closed), then firewall_ports; a port declared twice is opened once, in
    # its first place, so the zone does not change between runs.
    ports = [{'port': '8443', 'proto': 'udp'}, {'port': 443}, {'port': 8443, 'proto': 'udp'}, {'port': 104}]
    values = dict(good, firewall_http_port=0, firewall_ports=ports)
    assert firewall.derive(values)['open_ports'] == ['22/tcp', '443/tcp', '8443/udp', '104/tcp']


def test_dicom_ports_open_to_all_without_sources_and_to_the_sources_only_with_them(good):
    open_to_all = dict(good, firewall_dicom_enabled=True, firewall_dicom_ports=[104, 11112], firewall_dicom_sources=[],
                       firewall_source_rules=[])
    derived = firewall.derive(open_to_all)
    assert derived['open_ports'] == ['22/tcp', '80/tcp', '443/tcp', '104/tcp', '11112/tcp', '8443/udp']
    assert derived['source_entries'] == []
    restricted = dict(open_to_all, firewall_dicom_sources=['192.0.2.7', '10.0.0.0/8'])
    derived = firewall.derive(restricted)
    assert '104/tcp' not in derived['open_ports'] and '11112/tcp' not in derived['open_ports']
    assert derived['source_entries'] == [{'port': str(port), 'proto': 'tcp', 'source': source}
                                         for port in (104, 11112) for source in ('192.0.2.7', '10.0.0.0/8')]
    # Off: neither open nor restricted.
    off = firewall.derive(dict(restricted, firewall_dicom_enabled=False))
    assert off['source_entries'] == [] and '104/tcp' not in off['open_ports']


def test_source_rules_become_one_entry_per_port_and_source(good):
    rules = [RULE, {'ports': [80, 443], 'sources': '192.0.2.0/24'}, RULE]
    values = dict(good, firewall_source_rules=rules, firewall_dicom_enabled=True, firewall_dicom_ports=[11112])
    assert firewall.derive(values)['source_entries'] == [
        {'port': '11112', 'proto': 'tcp', 'source': '10.0.0.0/8'},
        {'port': '11112', 'proto': 'tcp', 'source': 'fd00::/8'},
        {'port': '80', 'proto': 'tcp', 'source': '192.0.2.0/24'},
        {'port': '443', 'proto': 'tcp', 'source': '192.0.2.0/24'},
        {'port': '11112', 'proto': 'tcp', 'source': '192.0.2.7'},
    ]


@pytest.mark.parametrize('override, guard', [
    ({'__firewall_connection_port': '2222'}, '2222'),
    ({'__firewall_connection_port': '22'}, ''),
    ({'__firewall_connection_port': '22', 'firewall_ssh_port': 0}, '22'),
    ({'__firewall_connection_port': '2222', 'firewall_allow_lockout': True}, ''),
    ({'__firewall_connection_port': ''}, ''),
])
def test_the_connection_port_is_added_only_when_nothing_declares_it(good, override, guard):
    derived = firewall.derive(dict(good, **override))
    assert derived['guard_port'] == guard
    assert (derived['open_ports'][-1] == guard + '/tcp') if guard else ('2222/tcp' not in derived['open_ports'])
