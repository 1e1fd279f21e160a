# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker role's input rules. Messages name variables and bad values, never a proxy URL (it may
carry credentials) or a registry key."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import (
    as_int, in_range, matches, network, rejected, truthy)

ROLE = 'docker'
INPUTS = (
    # The chosen source's packages and the release the message names (vars/main.yml).
    '__docker_packages', '__docker_source', '__docker_release',
    'docker_log_max_size', 'docker_log_max_file', 'docker_data_root', 'docker_registry_mirrors',
    'docker_http_proxy', 'docker_https_proxy', 'docker_service_environment', 'docker_users',
    'docker_default_address_pools', 'docker_registry_logins',
    # What derive() builds the files from.
    'docker_log_driver', 'docker_live_restore', 'docker_daemon_extra_options', 'docker_no_proxy',
)

USER = r'^[a-z_][a-z0-9_-]{0,31}$'
ENV_NAME = r'^[A-Za-z_][A-Za-z0-9_]*$'
LOG_SIZE = r'^[0-9]+[kmg]$'
PROXY_URL = r'^(https?|socks5h?)://'


def check_source(inputs):
    if inputs['__docker_packages']:
        return []
    return ['docker_source=%s has no packages on %s (RHEL: use upstream).'
            % (inputs['__docker_source'], inputs['__docker_release'])]


def check_daemon(inputs):
    data_root, mirrors = inputs['docker_data_root'], inputs['docker_registry_mirrors']
    tests = [
        (matches(LOG_SIZE, inputs['docker_log_max_size']),
         'docker_log_max_size=%s must be a size such as 10m' % inputs['docker_log_max_size']),
        (in_range(inputs['docker_log_max_file'], 1),
         'docker_log_max_file=%s must be at least 1' % inputs['docker_log_max_file']),
        (not data_root or matches('^/', data_root),
         'docker_data_root=%s must be an absolute path, or empty' % data_root),
        (not rejected(mirrors, r'^https?://'),
         'docker_registry_mirrors %s must be http(s) URLs' % rejected(mirrors, r'^https?://')),
    ]
    errors = [message for ok, message in tests if not ok]
    return ['Invalid daemon settings: %s.' % '; '.join(errors)] if errors else []


def check_environment(inputs):
    # The proxy URLs may carry credentials: the messages name the variables only.
    errors = ['%s must be an http(s):// or socks5:// URL, or empty' % name
              for name in ('docker_http_proxy', 'docker_https_proxy')
              if inputs[name] and not matches(PROXY_URL, inputs[name])]
    bad_names = rejected(inputs['docker_service_environment'].keys(), ENV_NAME)
    if bad_names:
        errors.append('docker_service_environment keys %s must be environment variable names' % bad_names)
    return ['Invalid daemon environment: %s.' % '; '.join(errors)] if errors else []


def check_users(inputs):
    bad = rejected(inputs['docker_users'], USER)
    return ['docker_users %s are not valid user names (must match %s).' % (bad, USER)] if bad else []


def pool_fits(pool):
    """{base: <IPv4 CIDR>, size: <its prefix..30>}: dockerd carves networks of `size` out of `base`."""
    pool = pool if isinstance(pool, dict) else {}
    base = str(pool.get('base', ''))
    parsed = network(base, version=4) if '/' in base else None
    return parsed is not None and parsed.prefixlen <= as_int(pool.get('size', 0), 0) <= 30


def check_address_pools(inputs):
    bad = [pool for pool in inputs['docker_default_address_pools'] if not pool_fits(pool)]
    if not bad:
        return []
    return ['docker_default_address_pools entries %s: every entry needs {base: <IPv4 CIDR>, size: <its prefix..30>}.'
            % bad]


def check_registry_logins(inputs):
    # An entry is named by its registry_url or its position, never printed: it holds the key.
    bad = [login.get('registry_url', '#%d' % number)
           for number, login in enumerate(inputs['docker_registry_logins'], 1)
           if 'registry_url' not in login or not login.get('password')]
    if not bad:
        return []
    return ['docker_registry_logins entries %s: every entry needs registry_url and password (the JSON key text).'
            % bad]


def check_variables(inputs):
    """The messages that need only the role's variables (not the release's package names): the host playbook runs
    them for every role before the first role changes the host."""
    return (check_daemon(inputs) + check_environment(inputs) + check_users(inputs) + check_address_pools(inputs)
            + check_registry_logins(inputs))


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    return check_source(inputs) + check_variables(inputs)


DAEMON_JSON = '/etc/docker/daemon.json'
DROPIN = '/etc/systemd/system/docker.service.d/pacsops.conf'
# dockerd >= 23 validates a config file (--validate); older engines (Debian 12's docker.io 20.10) lack the
# flag, so the file is only checked to be JSON there. Runs only when the file changes.
DAEMON_JSON_VALIDATE = (
    "/bin/sh -c 'if dockerd --help 2>&1 | grep -q -- --validate;"
    ' then exec dockerd --validate --config-file "$1";'
    " else exec python3 -m json.tool \"$1\" >/dev/null; fi' validate %s")


def daemon_config(inputs):
    """daemon.json as a dict: the fixed keys from the role's variables, then docker_daemon_extra_options (each
    key replaces the whole key, as Ansible's ``combine`` does)."""
    config = {'log-driver': inputs['docker_log_driver'], 'live-restore': inputs['docker_live_restore']}
    if inputs['docker_log_driver'] in ('json-file', 'local'):
        config['log-opts'] = {'max-size': inputs['docker_log_max_size'], 'max-file': str(inputs['docker_log_max_file'])}
    for key, name in (('data-root', 'docker_data_root'), ('default-address-pools', 'docker_default_address_pools'),
                      ('registry-mirrors', 'docker_registry_mirrors')):
        if len(inputs[name]) > 0:
            config[key] = inputs[name]
    config.update(inputs['docker_daemon_extra_options'])
    return config


def proxy_environment(inputs):
    """HTTP_PROXY / HTTPS_PROXY of dockerd, only those that are set."""
    return {name: value for name, value in (('HTTP_PROXY', inputs['docker_http_proxy']),
                                            ('HTTPS_PROXY', inputs['docker_https_proxy'])) if value}


def service_environment(inputs):
    """Environment of dockerd: the proxies, NO_PROXY with them, then docker_service_environment."""
    environment = proxy_environment(inputs)
    if environment and len(inputs['docker_no_proxy']) > 0:
        environment['NO_PROXY'] = inputs['docker_no_proxy']
    environment.update(inputs['docker_service_environment'])
    return environment


def secret(inputs):
    """Whether the derived values carry a secret: a proxy URL with user:password@ (validate_inputs hides the task's
    output then, as the file task hides the drop-in)."""
    return any('@' in str(value) for value in proxy_environment(inputs).values())


def derive(inputs):
    """What the role writes and reads, from valid inputs (the validate task registers it; tasks/main.yml and the
    templates read it as plain data, so no later task renders the proxy and daemon templates again):

    - ``daemon_config``: daemon.json; ``service_environment``: the drop-in's environment (the drop-in is removed
      when it is empty);
    - ``dropin_secret``: a proxy URL carries user:password@ (the file task and its diff are hidden then);
    - ``firewalld_registration_expected``: dockerd registers docker0 in firewalld's ``docker`` zone, unless the
      daemon settings turn iptables or the bridge off (docs/firewall-docker.md);
    - ``files``: daemon.json (validated by dockerd before it replaces the running file) and the drop-in (0600: a
      proxy URL may carry credentials).
    """
    environment = service_environment(inputs)
    hidden = secret(inputs)
    extra = inputs['docker_daemon_extra_options']
    return {
        'daemon_config': daemon_config(inputs),
        'service_environment': environment,
        'dropin_secret': hidden,
        'firewalld_registration_expected': truthy(extra.get('iptables', True)) and extra.get('bridge', '') != 'none',
        'files': [
            {'path': DAEMON_JSON, 'src': 'daemon.json.j2', 'mode': '0644', 'owner': 'root', 'group': 'root',
             'validate': DAEMON_JSON_VALIDATE},
            {'path': DROPIN, 'src': 'environment.conf.j2', 'mode': '0600', 'owner': 'root', 'group': 'root',
             'secret': hidden, 'state': 'present' if environment else 'absent'},
        ],
    }
