# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The timesync role's input rules: a provider the OS has, a source or the local clock, and hosts and
networks the daemon's configuration lines can take."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import as_int, in_range, network, rejected, truthy

ROLE = 'timesync'
INPUTS = (
    # The OS's daemons and aliases (vars/<os_family>.yml) and the OS family the message names.
    '__timesync_providers', '__timesync_aliases', '__timesync_os_family',
    'timesync_provider', 'timesync_servers', 'timesync_serve_networks', 'timesync_local_stratum',
    # What derive() builds the file list from (its default reads the virtual facts, gathered before).
    'timesync_container_mode',
)

# Hostnames and IP addresses: whitespace, quotes or a line break would break the daemon's configuration
# line (\Z: "$" would let a trailing newline through).
HOST = r'^[A-Za-z0-9][A-Za-z0-9.:_-]*\Z'


def check_provider(inputs):
    providers, aliases, provider = inputs['__timesync_providers'], inputs['__timesync_aliases'], inputs['timesync_provider']
    if aliases.get(provider, provider) in providers:
        return []
    return ['timesync_provider=%s must be one of %s on %s.'
            % (provider, list(providers) + list(aliases), inputs['__timesync_os_family'])]


def check_variables(inputs):
    """The messages that need only the role's variables (not the OS family's providers): the host playbook runs
    them for every role before the first role changes the host."""
    stratum = inputs['timesync_local_stratum']
    hosts = [server.get('host', '') for server in inputs['timesync_servers']]
    bad_hosts = rejected(hosts, HOST)
    bad_networks = [str(entry) for entry in inputs['timesync_serve_networks'] if network(entry) is None]
    tests = [
        (hosts or as_int(stratum, 0) > 0,
         'timesync_servers is empty while timesync_local_stratum is 0 (a daemon needs a source or its local clock)'),
        (not bad_hosts, 'timesync_servers hosts %s must be hostnames or IP addresses' % bad_hosts),
        (not bad_networks,
         'timesync_serve_networks entries %s must be IP addresses or networks in CIDR notation' % bad_networks),
        (in_range(stratum, 0, 15), 'timesync_local_stratum=%s must be 0 (off) to 15' % stratum),
    ]
    return [message + '.' for ok, message in tests if not ok]


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    return check_provider(inputs) + check_variables(inputs)


DROPIN = '/etc/systemd/system/%s.service.d/pacsops-container.conf'


def derive(inputs):
    """What the role installs, runs and writes, from valid inputs (the validate task registers it; tasks/main.yml,
    tasks/install.yml, the handler and the templates read it as plain data, so no later task resolves the alias
    and looks the provider up again):

    - ``settings``: the provider's entry of vars/<os_family>.yml after the alias is resolved (packages,
      competing_packages, service, config, config_mode, the paths the templates write);
    - ``container_mode``: timesync_container_mode read as a bool (Ansible's bool filter);
    - ``dropin``: the container drop-in (present in container mode, else removed), also written before the
      package is installed (tasks/install.yml);
    - ``files``: the drop-in and the daemon's configuration (``<provider>.conf.j2``), in one
      pacsops.server.managed_files call.
    """
    provider = inputs['__timesync_aliases'].get(inputs['timesync_provider'], inputs['timesync_provider'])
    settings = inputs['__timesync_providers'][provider]
    # As Ansible's bool filter reads it (the argument spec declares a bool): `-e timesync_container_mode=false`
    # is the string 'false', which the old Jinja `if` read as on.
    container_mode = truthy(inputs['timesync_container_mode'])
    dropin = {'path': DROPIN % settings['service'], 'src': 'container-dropin.conf.j2', 'mode': '0644',
              'owner': 'root', 'group': 'root', 'state': 'present' if container_mode else 'absent'}
    return {
        'settings': settings,
        'container_mode': container_mode,
        'dropin': dropin,
        'files': [dropin, {'path': settings['config'], 'src': '%s.conf.j2' % provider, 'mode': settings['config_mode'],
                           'owner': 'root', 'group': 'root'}],
    }
