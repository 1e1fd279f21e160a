# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""firewalld_zone against an in-memory firewalld with a permanent and a runtime copy of each zone: read
through fake D-Bus calls (the getSettings2 API), written through a fake FirewallClient with the same method
names as firewall.client, and a fake systemctl."""

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
        self.reads = []
        self.clients = 0
        self.bindings = True

    def config(self):
        return FakeConfig(self)

    @staticmethod
    def settings2(settings):
        """A zone as getSettings2 returns it: a dict without the empty entries, pairs as tuples."""
        full = {'target': settings.target, 'services': list(settings.services),
                'ports': [tuple(p) for p in settings.ports], 'protocols': list(settings.protocols),
                'source_ports': [tuple(p) for p in settings.source_ports], 'rules_str': list(settings.rich_rules)}
        return dict((key, value) for key, value in full.items() if value)

    def dbus(self, path, interface, method, *args):
        """The D-Bus calls the module reads with (firewalld's object paths, interfaces and methods)."""
        self.reads.append(method)
        config_zone = fz.CONFIG_PATH + '/zone/'
        calls = {
            (fz.CONFIG_PATH, fz.CONFIG_INTERFACE, 'getZoneNames'): lambda: sorted(self.permanent),
            (fz.CONFIG_PATH, fz.CONFIG_INTERFACE, 'getZoneByName'): lambda name: config_zone + name,
            (fz.PATH, fz.ZONE_INTERFACE, 'getZones'): lambda: sorted(self.runtime),
            (fz.PATH, fz.ZONE_INTERFACE, 'getZoneSettings2'): lambda name: self.settings2(self.runtime[name]),
            (fz.PATH, fz.INTERFACE, 'getDefaultZone'): lambda: self.default,
        }
        if path.startswith(config_zone) and (interface, method) == (fz.CONFIG_ZONE_INTERFACE, 'getSettings2'):
            return self.settings2(self.permanent[path[len(config_zone):]])
        return calls[(path, interface, method)](*args)

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
        self.load, self.active, self.enabled, self.commands = 'loaded', active, enabled, []

    def __call__(self, args, check_rc=False):
        self.commands.append(args[1])
        if args[1] == 'show':
            return 0, 'LoadState=%s\nActiveState=%s\nUnitFileState=%s\n' % (self.load, self.active, self.enabled), ''
        if args[1] == 'start':
            self.active = 'active'
        if args[1] == 'enable':
            self.enabled = 'enabled'
        return 0, '', ''


@pytest.fixture
def firewalld(monkeypatch):
    daemon = FakeFirewalld()
    daemon.systemd = FakeSystemd()

    def client():
        daemon.clients += 1
        return daemon, FakeSettings
    monkeypatch.setattr(fz, 'firewall_client', client)
    monkeypatch.setattr(fz, 'dbus_call', lambda: daemon.dbus)
    monkeypatch.setattr(fz, 'bindings_installed', lambda: daemon.bindings)
    monkeypatch.setattr(fz, 'normalize_rule', lambda text: ' '.join(text.split()))
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

    firewalld.calls, firewalld.clients = [], 0
    second = run(capsys, IPACS)
    assert second['changed'] is False and second['changes'] == [] and firewalld.calls == []
    # A converged zone is only read: firewall.client (slow to import and to connect) is not used.
    assert firewalld.clients == 0 and second['installed'] is True
    assert firewalld.reads == ['getZoneNames', 'getZoneByName', 'getSettings2', 'getZones', 'getZoneSettings2',
                               'getDefaultZone'] * 2


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


def test_rich_rules_are_compared_in_firewalld_canonical_form(firewalld, capsys):
    canonical = 'rule family="ipv4" source address="192.0.2.0/24" service name="ssh" accept'
    firewalld.permanent['public'].rich_rules.append(canonical)
    firewalld.runtime['public'].rich_rules.append(canonical)
    spaced = canonical.replace(' service', '   service')
    assert run(capsys, {'zone': 'public', 'rich_rules': [spaced]})['changed'] is False


@pytest.mark.parametrize('missing', ['unit', 'bindings'])
def test_report_missing_returns_not_installed_and_changes_nothing(firewalld, capsys, missing):
    if missing == 'unit':
        firewalld.systemd.load, firewalld.systemd.active, firewalld.systemd.enabled = 'not-found', 'inactive', ''
    else:
        firewalld.bindings = False
    result = run(capsys, dict(IPACS, report_missing=True))
    assert result['installed'] is False and result['changed'] is False and result['started'] is False
    assert firewalld.systemd.commands == ['show'] and firewalld.reads == [] and firewalld.calls == []


def test_not_installed_in_check_mode_says_what_the_install_would_bring(firewalld, capsys):
    # The second call of the role, after a check-mode install that installed nothing.
    firewalld.systemd.load, firewalld.systemd.active, firewalld.systemd.enabled = 'not-found', 'inactive', ''
    firewalld.bindings = False
    result = run(capsys, IPACS, check_mode=True)
    assert result['changed'] is True and result['started'] is True
    assert 'configure zone public (firewalld is not running, not read)' in result['changes']
    assert firewalld.systemd.commands == ['show'] and firewalld.reads == []


def test_missing_bindings_fail_with_the_package_name(firewalld, capsys):
    firewalld.bindings = False
    result = run(capsys, IPACS)
    assert result['failed'] is True and 'python3-firewall' in result['msg']


def test_zone_from_settings_reads_the_getsettings2_dict():
    zone = fz.zone_from_settings({'target': '%%REJECT%%', 'ports': [('22', 'tcp')], 'rules_str': ['rule x']})
    assert zone == {'target': '%%REJECT%%', 'services': set(), 'ports': {'22/tcp'}, 'protocols': set(),
                    'source_ports': set(), 'rich_rules': {'rule x'}}
    assert fz.zone_from_settings({})['target'] == 'default'
