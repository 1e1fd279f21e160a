# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One firewalld zone, permanent and runtime, through firewalld's D-Bus API.

The approach of linux-system-roles' firewall_lib: read the zone's settings as data, compute the
difference in Python, write only that. ``ZoneReader`` reads with plain D-Bus calls (firewalld's
dict-based ``getSettings2`` API, no introspection): on a converged host that is the whole call, and
``firewall.client`` (0.5-0.7 s to import, plus one introspection per object) is never loaded.
``ZoneClient`` adapts ``firewall.client.FirewallClient`` for the writes. ``plan()`` is pure; all
three are tested with an in-memory firewalld.
"""

from __future__ import annotations

import importlib.util
import traceback

# The kinds of zone entries the module manages, as sets of strings; interfaces and sources (bound at
# runtime by NetworkManager and docker) are left alone.
KINDS = ('services', 'ports', 'protocols', 'source_ports', 'rich_rules')
# Zone targets as firewalld stores them.
TARGETS = {'default': 'default', 'ACCEPT': 'ACCEPT', 'DROP': 'DROP', 'REJECT': '%%REJECT%%'}

UNIT = 'firewalld.service'

# The module's options, shared by the module and its action plugin (which validates them on the controller).
ARGUMENT_SPEC = dict(
    zone=dict(type='str', required=True),
    default_zone=dict(type='bool', default=True),
    target=dict(type='str', choices=list(TARGETS), default='default'),
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
)


def source_rule_text(port, proto, source):
    """A rich rule that accepts one port from one network, in firewalld's canonical form."""
    family = 'ipv6' if ':' in source else 'ipv4'
    return 'rule family="%s" source address="%s" port port="%s" protocol="%s" accept' % (family, source, port, proto)


# firewalld's D-Bus names (firewalld >= 0.9 for the getSettings2 calls: Debian 12, EL 8.3 and later).
BUS_NAME = 'org.fedoraproject.FirewallD1'
PATH = '/org/fedoraproject/FirewallD1'
CONFIG_PATH = PATH + '/config'
INTERFACE = BUS_NAME
ZONE_INTERFACE = BUS_NAME + '.zone'
CONFIG_INTERFACE = BUS_NAME + '.config'
CONFIG_ZONE_INTERFACE = BUS_NAME + '.config.zone'


def zone_from_settings(settings):
    """A getSettings2/getZoneSettings2 dict (empty entries left out) -> {'target': str, kind: set of str}.

    firewalld returns rich rules in their canonical text (it parses and re-prints them), so they are
    compared as they come.
    """
    def pairs(key):
        return set('%s/%s' % (port, proto) for port, proto in settings.get(key, ()))
    return {
        'target': str(settings.get('target', 'default')),
        'services': set(str(item) for item in settings.get('services', ())),
        'ports': pairs('ports'),
        'protocols': set(str(item) for item in settings.get('protocols', ())),
        'source_ports': pairs('source_ports'),
        'rich_rules': set(str(item) for item in settings.get('rules_str', ())),
    }


class ZoneReader(object):
    """Reads one zone with D-Bus method calls: ``call(object_path, interface, method, *args)``."""

    def __init__(self, call):
        self.call = call

    def read(self, zone):
        """(permanent, runtime): each a dict, or None when the zone does not exist there."""
        permanent = runtime = None
        if zone in self.call(CONFIG_PATH, CONFIG_INTERFACE, 'getZoneNames'):
            path = self.call(CONFIG_PATH, CONFIG_INTERFACE, 'getZoneByName', zone)
            permanent = zone_from_settings(self.call(path, CONFIG_ZONE_INTERFACE, 'getSettings2'))
        if zone in self.call(PATH, ZONE_INTERFACE, 'getZones'):
            runtime = zone_from_settings(self.call(PATH, ZONE_INTERFACE, 'getZoneSettings2', zone))
        return permanent, runtime

    def default_zone(self):
        return str(self.call(PATH, INTERFACE, 'getDefaultZone'))


class ZoneClient(object):
    """Writes one zone through a FirewallClient (or a fake with the same methods)."""

    def __init__(self, client, new_settings):
        self.client = client
        self.new_settings = new_settings

    def write_permanent(self, zone, wanted):
        config = self.client.config()
        exists = zone in config.getZoneNames()
        settings = config.getZoneByName(zone).getSettings() if exists else self.new_settings()
        settings.setTarget(wanted['target'])
        settings.setServices(sorted(wanted['services']))
        settings.setPorts([tuple(item.split('/', 1)) for item in sorted(wanted['ports'])])
        settings.setProtocols(sorted(wanted['protocols']))
        settings.setSourcePorts([tuple(item.split('/', 1)) for item in sorted(wanted['source_ports'])])
        settings.setRichRules(sorted(wanted['rich_rules']))
        if exists:
            config.getZoneByName(zone).update(settings)
        else:
            config.addZone(zone, settings)

    def runtime(self, action, zone, kind, item):
        """Add or remove one runtime entry (action 'add' or 'remove')."""
        client = self.client
        if kind == 'services':
            getattr(client, action + 'Service')(zone, item)
        elif kind == 'ports':
            getattr(client, action + 'Port')(zone, *item.split('/', 1))
        elif kind == 'protocols':
            getattr(client, action + 'Protocol')(zone, item)
        elif kind == 'source_ports':
            getattr(client, action + 'SourcePort')(zone, *item.split('/', 1))
        else:
            getattr(client, action + 'RichRule')(zone, item)

    def reload(self):
        self.client.reload()

    def set_default_zone(self, zone):
        self.client.setDefaultZone(zone)


def desired_zone(target='default', services=(), ports=(), protocols=(), source_ports=(), rich_rules=(),
                 source_rules=(), normalize_rule=None):
    """The wanted zone. Rich rules given as text are brought to firewalld's canonical form by
    ``normalize_rule``; the source rules are written in that form already."""
    normalize = normalize_rule or (lambda text: text)
    rules = set(normalize(rule) for rule in rich_rules)
    rules |= set(source_rule_text(rule['port'], rule['proto'], rule['source']) for rule in source_rules)
    return {'target': TARGETS[target], 'services': set(services), 'ports': set(ports), 'protocols': set(protocols),
            'source_ports': set(source_ports), 'rich_rules': rules}


def _shown(zone):
    if zone is None:
        return None
    return dict((key, sorted(value) if isinstance(value, set) else value) for key, value in zone.items())


class Plan(object):
    def __init__(self):
        self.permanent = None     # the whole permanent zone to write, or None
        self.reload = False       # runtime := permanent (target change, new zone)
        self.runtime = []         # [(action, kind, item)] when no reload
        self.default_zone = False
        self.changes = []

    @property
    def changed(self):
        return bool(self.permanent is not None or self.reload or self.runtime or self.default_zone)


def plan(permanent, runtime, wanted, exclusive, default_zone=None, zone=None, set_default=False):
    """What to write. Exclusive: the zone is exactly ``wanted``; otherwise ``wanted`` is added to it."""
    result = Plan()
    empty = {'target': 'default'}
    empty.update((kind, set()) for kind in KINDS)
    base = permanent if permanent is not None else empty
    new_permanent = {'target': wanted['target']}
    for kind in KINDS:
        new_permanent[kind] = set(wanted[kind]) if exclusive else base[kind] | wanted[kind]
    if permanent != new_permanent:
        result.permanent = new_permanent
        for kind in KINDS:
            for item in sorted(new_permanent[kind] - base[kind]):
                result.changes.append('permanent: add %s %s' % (kind, item))
            for item in sorted(base[kind] - new_permanent[kind]):
                result.changes.append('permanent: remove %s %s' % (kind, item))
        if base['target'] != new_permanent['target']:
            result.changes.append('permanent: target %s -> %s' % (base['target'], new_permanent['target']))
        if permanent is None:
            result.changes.append('permanent: create zone')
    if runtime is None or runtime['target'] != wanted['target']:
        # A new zone, or a target change, reaches the runtime only through a reload.
        result.reload = True
        result.changes.append('runtime: reload')
    else:
        for kind in KINDS:
            wanted_runtime = wanted[kind] if exclusive else runtime[kind] | wanted[kind]
            result.runtime += [('add', kind, item) for item in sorted(wanted_runtime - runtime[kind])]
            result.runtime += [('remove', kind, item) for item in sorted(runtime[kind] - wanted_runtime)]
        result.changes += ['runtime: %s %s %s' % entry for entry in result.runtime]
    if set_default and default_zone != zone:
        result.default_zone = True
        result.changes.append('default zone: %s -> %s' % (default_zone, zone))
    before = {'permanent': _shown(permanent), 'runtime': _shown(runtime), 'default_zone': default_zone}
    after = {'permanent': _shown(new_permanent), 'default_zone': zone if set_default else default_zone}
    after['runtime'] = after['permanent'] if exclusive or result.reload else _shown(
        dict(runtime, **dict((kind, runtime[kind] | wanted[kind]) for kind in KINDS)))
    result.diff = {'before': before, 'after': after}
    return result


def apply(client, zone, planned):
    """Write the plan: the permanent zone, then the runtime (one reload, or entry by entry)."""
    if planned.permanent is not None:
        client.write_permanent(zone, planned.permanent)
    if planned.reload:
        client.reload()
    for action, kind, item in planned.runtime:
        client.runtime(action, zone, kind, item)
    if planned.default_zone:
        client.set_default_zone(zone)


def unit_state(runner):
    """(LoadState, ActiveState, UnitFileState) of firewalld, and an error; systemctl show is systemd's key=value interface."""
    rc, out, err = runner(['systemctl', 'show', '-p', 'LoadState', '-p', 'ActiveState', '-p', 'UnitFileState', UNIT])
    if rc != 0:
        return None, 'systemctl show %s failed: %s' % (UNIT, err)
    values = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    return (values.get('LoadState', ''), values.get('ActiveState', ''), values.get('UnitFileState', '')), None


def bindings_installed():
    """Whether python3-firewall (and python3-dbus, which it needs) can be imported; found, not imported."""
    return all(importlib.util.find_spec(name) is not None for name in ('dbus', 'firewall'))


def dbus_call():
    """call(object_path, interface, method, *args) on firewalld's bus name, without introspection (firewalld
    answers an Introspect slowly, and firewall.client asks for one per object). A private connection: the
    shared one must be made by firewall.client, attached to its main loop, when there is something to write."""
    import dbus  # pylint: disable=import-outside-toplevel
    bus = dbus.SystemBus(private=True)

    def call(path, interface, method, *args):
        return getattr(dbus.Interface(bus.get_object(BUS_NAME, path, introspect=False), interface), method)(*args)
    return call


def firewall_client():
    """(FirewallClient instance, FirewallClientZoneSettings): loaded only when there is something to write."""
    from firewall.client import FirewallClient, FirewallClientZoneSettings  # pylint: disable=import-outside-toplevel
    return FirewallClient(), FirewallClientZoneSettings


def normalize_rule(text):
    from firewall.core.rich import Rich_Rule  # pylint: disable=import-outside-toplevel
    return str(Rich_Rule(rule_str=text))


def _systemctl(runner, verb):
    rc, out, err = runner(['systemctl', verb, UNIT])
    return None if rc == 0 else 'systemctl %s %s failed: %s' % (verb, UNIT, err or out)


def module_result(params, runner, which=None, check_mode=False, diff=False):
    """What the module returns for validated ``params``, with ``failed`` and ``msg`` when it fails.

    The module and the probe of its action plugin (check mode first, plugins/plugin_utils/remote_python.py)
    both call this; ``runner(argv) -> (rc, stdout, stderr)`` runs systemctl.
    """
    result = dict(changed=False, installed=True, started=False, reloaded=False, changes=[])
    state, error = unit_state(runner)
    if error:
        return {'failed': True, 'msg': error}
    load, active, enabled = state
    installed = load not in ('not-found', '') and bindings_installed()
    if not installed and params['report_missing']:
        result.update(installed=False, msg='firewalld or its Python bindings are not installed')
        return result
    if params['start'] and enabled != 'enabled':
        result['changes'].append('enable firewalld at boot')
        error = None if check_mode else _systemctl(runner, 'enable')
        if error:
            return {'failed': True, 'msg': error}
    if active != 'active':
        if not params['start']:
            return {'failed': True, 'msg': 'firewalld is %s and start is false' % active}
        result['started'] = True
        result['changes'].append('start firewalld')
        if check_mode:
            # Nothing to read from a stopped (or not yet installed) firewalld: report what the start would do.
            result['changes'].append('configure zone %s (firewalld is not running, not read)' % params['zone'])
            result['changed'] = True
            return result
        error = _systemctl(runner, 'start')
        if error:
            return {'failed': True, 'msg': error}
    if not bindings_installed():
        return {'failed': True, 'msg': 'Failed to import the required Python library (firewall, python3-firewall) '
                                       'on the host'}
    try:
        reader = ZoneReader(dbus_call())
        permanent, runtime = reader.read(params['zone'])
        default_zone = reader.default_zone()
    except Exception as exc:  # pylint: disable=broad-exception-caught  # DBusException: not reachable or refusing
        return {'failed': True, 'msg': 'cannot read zone %s from firewalld over D-Bus: %s' % (params['zone'], exc),
                'exception': traceback.format_exc()}
    wanted = desired_zone(
        target=params['target'], services=params['services'], ports=params['ports'],
        protocols=params['protocols'], source_ports=params['source_ports'], rich_rules=params['rich_rules'],
        source_rules=params['source_rules'], normalize_rule=normalize_rule if params['rich_rules'] else None)
    planned = plan(permanent, runtime, wanted, params['exclusive'], default_zone=default_zone,
                   zone=params['zone'], set_default=params['default_zone'])
    if planned.changed and not check_mode:
        try:
            client, new_settings = firewall_client()
            if not client.connected:
                return {'failed': True, 'msg': 'cannot reach firewalld over D-Bus although %s is active' % UNIT}
            apply(ZoneClient(client, new_settings), params['zone'], planned)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # DBusException, FirewallError: the reason
            return {'failed': True, 'msg': 'firewalld refused the change of zone %s: %s' % (params['zone'], exc),
                    'changes': planned.changes, 'exception': traceback.format_exc()}
    result['changes'] += planned.changes
    result['reloaded'] = planned.reload
    result['changed'] = bool(result['changes'])
    if diff:
        result['diff'] = planned.diff
    return result
