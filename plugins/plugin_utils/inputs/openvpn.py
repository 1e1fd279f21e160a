# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openvpn role's input rules. Messages name variables and bad values, never a certificate, a key,
the proxy password or an extra option (an inline key block would be one)."""

from __future__ import annotations

import re

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import in_range, matches, truthy

ROLE = 'openvpn'
INPUTS = (
    'openvpn_enabled', 'openvpn_client_name', 'openvpn_remote_host', 'openvpn_remote_port', 'openvpn_remote_proto',
    'openvpn_ca_cert', 'openvpn_client_cert', 'openvpn_client_key', 'openvpn_tls_key', 'openvpn_verify_server_name',
    'openvpn_proxy_type', 'openvpn_proxy_host', 'openvpn_proxy_port', 'openvpn_proxy_username',
    'openvpn_proxy_password', 'openvpn_extra_options',
    # Where the OS keeps client configurations (vars/<os_family>.yml): derive() builds the file names from it.
    '__openvpn_config_dir',
)

# The instance name goes into file and unit names; hosts into the configuration unquoted.
NAME = r'^[a-z0-9][a-z0-9_-]{0,31}$'
HOST = r'^[A-Za-z0-9][A-Za-z0-9.:-]*$'
CERTIFICATE = '-----BEGIN CERTIFICATE-----'
PRIVATE_KEY = r'-----BEGIN [A-Z ]*PRIVATE KEY-----'
STATIC_KEY = '-----BEGIN OpenVPN Static key V1-----'


def configured(inputs):
    """The files are written as soon as a server is named, enabled or not: flipping openvpn_enabled later only
    starts or stops the service."""
    return len(str(inputs['openvpn_remote_host'])) > 0


def proxy_auth(inputs):
    """Whether the client authenticates to a proxy (the proxy credentials file is written)."""
    return inputs['openvpn_proxy_type'] != 'none' and len(str(inputs['openvpn_proxy_username'])) > 0


def check_connection(inputs):
    host, proxy_type, proxy_host = inputs['openvpn_remote_host'], inputs['openvpn_proxy_type'], inputs['openvpn_proxy_host']
    multi_line = [number for number, option in enumerate(inputs['openvpn_extra_options'], 1)
                  if re.search('[\r\n]', str(option))]
    tests = [
        (matches(NAME, inputs['openvpn_client_name']),
         'openvpn_client_name=%s must match %s' % (inputs['openvpn_client_name'], NAME)),
        (not truthy(inputs['openvpn_enabled']) or configured(inputs), 'openvpn_enabled=true needs openvpn_remote_host'),
        (not host or matches(HOST, host), 'openvpn_remote_host=%s must be a host name or address' % host),
        (in_range(inputs['openvpn_remote_port'], 1, 65535),
         'openvpn_remote_port=%s must be 1-65535' % inputs['openvpn_remote_port']),
        (proxy_type == 'none' or inputs['openvpn_remote_proto'] == 'tcp-client',
         'openvpn_proxy_type=%s needs openvpn_remote_proto=tcp-client (is %s)' % (proxy_type, inputs['openvpn_remote_proto'])),
        (proxy_type == 'none' or matches(HOST, proxy_host),
         'openvpn_proxy_type=%s needs openvpn_proxy_host, a host name or address (is %s)' % (proxy_type, proxy_host)),
        (in_range(inputs['openvpn_proxy_port'], 1, 65535),
         'openvpn_proxy_port=%s must be 1-65535' % inputs['openvpn_proxy_port']),
        (not re.search(r'\s', str(inputs['openvpn_proxy_username'])),
         'openvpn_proxy_username=%s must not contain blanks' % inputs['openvpn_proxy_username']),
        # verify-x509-name takes the name unquoted: no blanks, no quotes of either kind.
        (not re.search('[\\s\'"]', str(inputs['openvpn_verify_server_name'])),
         'openvpn_verify_server_name=%s must not contain blanks or quotes' % inputs['openvpn_verify_server_name']),
        (not multi_line, 'openvpn_extra_options entries %s (by position) must be single lines' % multi_line),
    ]
    errors = [message for ok, message in tests if not ok]
    return ['Invalid connection settings: %s.' % '; '.join(errors)] if errors else []


def check_credentials(inputs):
    if not configured(inputs):
        return []
    tls_key = inputs['openvpn_tls_key']
    tests = [
        (CERTIFICATE in str(inputs['openvpn_ca_cert']), 'openvpn_ca_cert must be a PEM certificate'),
        (CERTIFICATE in str(inputs['openvpn_client_cert']), 'openvpn_client_cert must be a PEM certificate'),
        (re.search(PRIVATE_KEY, str(inputs['openvpn_client_key'])) is not None,
         'openvpn_client_key must be a PEM private key'),
        (not tls_key or STATIC_KEY in str(tls_key),
         'openvpn_tls_key must be an OpenVPN static key (openvpn --genkey secret), or empty'),
        (not proxy_auth(inputs) or len(str(inputs['openvpn_proxy_password'])) > 0,
         'openvpn_proxy_username=%s needs openvpn_proxy_password (from vault)' % inputs['openvpn_proxy_username']),
    ]
    errors = [message for ok, message in tests if not ok]
    if not errors:
        return []
    return ['Invalid credentials for openvpn_remote_host=%s: %s.' % (inputs['openvpn_remote_host'], '; '.join(errors))]


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    return check_connection(inputs) + check_credentials(inputs)


def derive(inputs):
    """The client's names and files, from valid inputs (the validate task registers it; tasks/main.yml,
    tasks/service.yml, the handler and client.conf.j2 read it as plain data, so no later task renders the
    names and the proxy defaults' chain again):

    - ``configured``: a server is named (the files are written); ``proxy_auth``: the client authenticates to the
      proxy;
    - ``service``: the unit, openvpn-client@<name>.service;
    - ``config_file``, ``credentials_file`` (certificates and keys, inline, included by the configuration) and
      ``proxy_auth_file``: the paths under the OS's client directory;
    - ``proxy_type``, ``proxy_host``, ``proxy_port``: the rendered openvpn_proxy_* inputs, for client.conf.j2;
    - ``paths``: the three files the host read looks at;
    - ``files``: the configuration and the credentials file (pacsops.server.managed_files, 0600 root, both
      rendered from templates by that task). The proxy credentials file is not here: its content holds the
      proxy password, and this result is shown with -v; vars/main.yml builds it for the task that writes it
      (no_log).
    """
    directory, name = inputs['__openvpn_config_dir'], inputs['openvpn_client_name']
    config_file, credentials_file, proxy_auth_file = (
        '%s/%s.%s' % (directory, name, suffix) for suffix in ('conf', 'credentials', 'proxy-auth'))
    return {
        'configured': configured(inputs),
        'proxy_auth': proxy_auth(inputs),
        'service': 'openvpn-client@%s.service' % name,
        'config_file': config_file,
        'credentials_file': credentials_file,
        'proxy_auth_file': proxy_auth_file,
        'proxy_type': inputs['openvpn_proxy_type'],
        'proxy_host': inputs['openvpn_proxy_host'],
        'proxy_port': inputs['openvpn_proxy_port'],
        'paths': [config_file, credentials_file, proxy_auth_file],
        'files': [
            {'path': config_file, 'src': 'client.conf.j2', 'mode': '0600', 'owner': 'root', 'group': 'root'},
            {'path': credentials_file, 'src': 'credentials.j2', 'mode': '0600', 'owner': 'root', 'group': 'root',
             'secret': True},
        ],
    }
