# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewalld_zone against a fake FirewallClient: an in-memory firewalld with a permanent and a runtime
copy of each zone, the same method names as firewall.client, and a fake systemctl."""

from __future__ import annotations

import copy
import json

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.pacsops.server.plugins.module_utils import firewalld_zone as fz
from ansible_collections.pacsops.server.plugins.modules import firewalld_zone as module


class FakeSettings(object):
    """FirewallClientZoneSettings: getters return lists (ports as [port, proto] pairs), setters replace."""

    def __init__(self, target='default', services=(), ports=(), protocols=(), source_ports=(), rich_rules=()):
        self.target, self.services, self.ports = target, list(services), [list(p) for p in ports]
        self.protocols, self.source_ports, self.rich_rules = list(protocols), [list(p) for p in source_ports], list(rich_rules)

    def __eq__(self, other):
        return vars(self) == vars(other)

    def getTarget(self):
        return self.target

    def setTarget(self, value):
        self.target = value

    def getServices(self):
        return list(self.services)

    def setServices(self, value):
        self.services = list(value)

    def getPorts(self):
        return [list(p) for p in self.ports]

    def setPorts(self, value):
        self.ports = [list(p) for p in value]

    def getProtocols(self):
        return list(self.protocols)

    def setProtocols(self, value):
        self.protocols = list(value)

    def getSourcePorts(self):
        return [list(p) for p in self.source_ports]

    def setSourcePorts(self, value):
        self.source_ports = [list(p) for p in value]

    def getRichRules(self):
        return list(self.rich_rules)

    def setRichRules(self, value):
        self.rich_rules = list(value)


class FakeConfigZone(object):
    def __init__(self, daemon, name):
        self.daemon, self.name = daemon, name

    def getSettings(self):
        return copy.deepcopy(self.daemon.permanent[self.name])

    def update(self, settings):
        self.daemon.calls.append(('update', self.name))
        self.daemon.permanent[self.name] = copy.deepcopy(settings)


class FakeConfig(object):
    def __init__(self, daemon):
        self.daemon = daemon

    def getZoneNames(self):
        return sorted(self.daemon.permanent)

    def getZoneByName(self, name):
        assert name in self.daemon.permanent, 'INVALID_ZONE: ' + name
        return FakeConfigZone(self.daemon, name)

    def addZone(self, name, settings):
        self.daemon.calls.append(('addZone', name))
        self.daemon.permanent[name] = copy.deepcopy(settings)


class FakeFirewalld(object):
    """firewalld as seen through firewall.client.FirewallClient."""

    def __init__(self):
        public = FakeSettings(services=['ssh', 'dhcpv6-client'])
        self.permanent = {'public': public, 'trusted': FakeSettings(target='ACCEPT')}
        self.runtime = copy.deepcopy(self.permanent)
        self.default = 'public'
        self.connected = True
        self.calls = []

    def config(self):
        return FakeConfig(self)

    def getZones(self):
        return sorted(self.runtime)

    def getZoneSettings(self, zone):
        return copy.deepcopy(self.runtime[zone])

    def reload(self):
        self.calls.append(('reload',))
        self.runtime = copy.deepcopy(self.permanent)

    def getDefaultZone(self):
        return self.default

    def setDefaultZone(self, zone):
        self.calls.append(('setDefaultZone', zone))
        self.default = zone

    def _entry(self, zone, attr, item, add):
        self.calls.append(('add' if add else 'remove', attr, item))
        entries = getattr(self.runtime[zone], attr)
        if add:
            entries.append(item)
        else:
            entries.remove(item)

    def addService(self, zone, service):
        self._entry(zone, 'services', service, True)

    def removeService(self, zone, service):
        self._entry(zone, 'services', service, False)

    def addPort(self, zone, port, proto):
        self._entry(zone, 'ports', [port, proto], True)

    def removePort(self, zone, port, proto):
        self._entry(zone, 'ports', [port, proto], False)

    def addRichRule(self, zone, rule):
        self._entry(zone, 'rich_rules', rule, True)

    def removeRichRule(self, zone, rule):
        self._entry(zone, 'rich_rules', rule, False)

    def addProtocol(self, zone, proto):
        self._entry(zone, 'protocols', proto, True)

    def removeProtocol(self, zone, proto):
        self._entry(zone, 'protocols', proto, False)


class FakeSystemd(object):
    def __init__(self, active='active', enabled='enabled'):
        self.active, self.enabled, self.commands = active, enabled, []

    def __call__(self, args, check_rc=False):
        self.commands.append(args[1])
        if args[1] == 'show':
            return 0, 'ActiveState=%s\nUnitFileState=%s\n' % (self.active, self.enabled), ''
        if args[1] == 'start':
            self.active = 'active'
        if args[1] == 'enable':
            self.enabled = 'enabled'
        return 0, '', ''


@pytest.fixture
def firewalld(monkeypatch):
    daemon = FakeFirewalld()
    daemon.systemd = FakeSystemd()
    monkeypatch.setattr(fz, 'firewall_api',
                        lambda: (lambda: daemon, FakeSettings, lambda text: ' '.join(text.split())))
    monkeypatch.setattr(module.AnsibleModule, 'run_command', lambda self, args, check_rc=False: daemon.systemd(args))
    return daemon


def run(capsys, args, check_mode=False):
    with patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_diff=True)):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


IPACS = {
    'zone': 'public',
    'target': 'REJECT',
    'ports': ['22/tcp', '443/tcp', '104/tcp'],
    'source_rules': [{'port': '11112', 'source': '10.0.0.0/8'}],
    'exclusive': True,
}
RULE = 'rule family="ipv4" source address="10.0.0.0/8" port port="11112" protocol="tcp" accept'


def test_exclusive_zone_converges_with_one_reload_then_nothing(firewalld, capsys):
    first = run(capsys, IPACS)
    assert first['changed'] is True and first['reloaded'] is True and first['started'] is False
    zone = firewalld.permanent['public']
    assert zone.target == '%%REJECT%%' and zone.services == []
    assert sorted(map(tuple, zone.ports)) == [('104', 'tcp'), ('22', 'tcp'), ('443', 'tcp')]
    assert zone.rich_rules == [RULE]
    assert firewalld.runtime['public'].rich_rules == [RULE]
    assert 'permanent: remove services ssh' in first['changes']
    assert first['diff']['before']['permanent']['target'] == 'default'

    firewalld.calls = []
    second = run(capsys, IPACS)
    assert second['changed'] is False and second['changes'] == [] and firewalld.calls == []


def test_drift_by_hand_is_removed_without_a_reload(firewalld, capsys):
    run(capsys, IPACS)
    firewalld.calls = []
    firewalld.runtime['public'].ports.append(['5555', 'tcp'])
    firewalld.permanent['public'].services.append('ftp')
    firewalld.runtime['public'].services.append('ftp')
    result = run(capsys, IPACS)
    assert result['reloaded'] is False
    assert sorted(result['changes']) == ['permanent: remove services ftp', 'runtime: remove ports 5555/tcp',
                                         'runtime: remove services ftp']
    assert ('reload',) not in firewalld.calls
    assert firewalld.runtime['public'].services == [] and ['5555', 'tcp'] not in firewalld.runtime['public'].ports
    assert run(capsys, IPACS)['changed'] is False


def test_non_exclusive_adds_and_never_removes(firewalld, capsys):
    args = {'zone': 'public', 'ports': ['8443/tcp'], 'services': ['openvpn']}
    result = run(capsys, args)
    assert result['reloaded'] is False
    assert sorted(firewalld.permanent['public'].services) == ['dhcpv6-client', 'openvpn', 'ssh']
    assert firewalld.runtime['public'].ports == [['8443', 'tcp']]
    assert ('add', 'services', 'openvpn') in firewalld.calls
    assert run(capsys, args)['changed'] is False


def test_check_mode_reports_and_writes_nothing(firewalld, capsys):
    before = copy.deepcopy((firewalld.permanent, firewalld.runtime))
    result = run(capsys, IPACS, check_mode=True)
    assert result['changed'] is True and 'runtime: reload' in result['changes']
    assert firewalld.calls == [] and (firewalld.permanent, firewalld.runtime) == before


def test_stopped_firewalld_is_started_and_reported(firewalld, capsys):
    firewalld.systemd.active, firewalld.systemd.enabled = 'inactive', 'disabled'
    result = run(capsys, IPACS)
    assert result['started'] is True and 'start firewalld' in result['changes']
    assert firewalld.systemd.commands[:3] == ['show', 'enable', 'start']


def test_stopped_firewalld_in_check_mode_says_what_would_happen(firewalld, capsys):
    firewalld.systemd.active = 'inactive'
    result = run(capsys, IPACS, check_mode=True)
    assert result['changed'] is True and result['started'] is True
    assert firewalld.systemd.commands == ['show'] and firewalld.calls == []


def test_new_zone_is_created_made_default_and_reloaded(firewalld, capsys):
    result = run(capsys, {'zone': 'ipacs', 'ports': ['80/tcp'], 'exclusive': True})
    assert ('addZone', 'ipacs') in firewalld.calls and ('setDefaultZone', 'ipacs') in firewalld.calls
    assert result['reloaded'] is True and firewalld.runtime['ipacs'].ports == [['80', 'tcp']]
    assert firewalld.default == 'ipacs'


def test_refused_change_is_reported_with_firewalld_reason(firewalld, capsys, monkeypatch):
    def refuse(zone, port, proto):
        raise RuntimeError('INVALID_PORT: 70000')
    monkeypatch.setattr(firewalld, 'addPort', refuse)
    run(capsys, {'zone': 'public'})  # nothing to do: no runtime call
    result = run(capsys, {'zone': 'public', 'ports': ['70000/tcp']})
    assert result['failed'] is True and 'INVALID_PORT' in result['msg']


def test_source_rule_text_picks_the_family():
    assert 'family="ipv6"' in fz.source_rule_text('104', 'tcp', 'fd00::/8')
    assert fz.source_rule_text('104', 'tcp', '10.0.0.0/8') == (
        'rule family="ipv4" source address="10.0.0.0/8" port port="104" protocol="tcp" accept')
