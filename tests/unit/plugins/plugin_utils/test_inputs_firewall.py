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
                    __firewall_guard_port='22', __firewall_guard_added=False)


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
    ({'__firewall_guard_added': True, '__firewall_guard_port': '2222'},
     'tcp/2222 kept open for the Ansible connection (not declared in the firewall variables;'),
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
