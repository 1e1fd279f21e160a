# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker role's input rules. Messages name variables and bad values, never a proxy URL (it may
carry credentials) or a registry key."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import (
    as_int, in_range, matches, network, rejected)

ROLE = 'docker'
INPUTS = (
    # The chosen source's packages and the release the message names (vars/main.yml).
    '__docker_packages', '__docker_source', '__docker_release',
    'docker_log_max_size', 'docker_log_max_file', 'docker_data_root', 'docker_registry_mirrors',
    'docker_http_proxy', 'docker_https_proxy', 'docker_service_environment', 'docker_users',
    'docker_default_address_pools', 'docker_registry_logins',
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


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    return (check_source(inputs) + check_daemon(inputs) + check_environment(inputs) + check_users(inputs)
            + check_address_pools(inputs) + check_registry_logins(inputs))
