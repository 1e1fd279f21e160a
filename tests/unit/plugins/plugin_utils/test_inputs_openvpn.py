# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openvpn role's input rules: the defaults pass, each bad input is named, a key or password never is."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import openvpn
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

SECRET = 'vault-secret-91ab'
CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
KEY = '-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n' % SECRET
TLS_KEY = '-----BEGIN OpenVPN Static key V1-----\n%s\n-----END OpenVPN Static key V1-----\n' % SECRET
# The templated defaults as the task receives them without a site proxy.
RENDERED = {'openvpn_proxy_type': 'none', 'openvpn_proxy_host': '', 'openvpn_proxy_port': 3128,
            'openvpn_proxy_username': '', 'openvpn_proxy_password': ''}


@pytest.fixture
def good():
    """A client that is configured: a server, certificates, keys and an authenticated HTTP proxy."""
    values = defaults('openvpn', __openvpn_config_dir='/etc/openvpn/client', **RENDERED)
    values.update(openvpn_enabled=True, openvpn_remote_host='vpn.vendor.example', openvpn_ca_cert=CERT,
                  openvpn_client_cert=CERT, openvpn_client_key=KEY, openvpn_tls_key=TLS_KEY,
                  openvpn_verify_server_name='server', openvpn_proxy_type='http', openvpn_proxy_host='192.0.2.20',
                  openvpn_proxy_username='pacsvpn', openvpn_proxy_password=SECRET)
    return values


def test_every_input_the_rules_read_is_a_documented_default(good):
    # __openvpn_config_dir comes from vars/<os_family>.yml, loaded before the validate task.
    assert set(openvpn.INPUTS) - {'__openvpn_config_dir'} <= set(defaults('openvpn'))
    assert set(openvpn.INPUTS) <= set(good)


def test_the_defaults_and_a_configured_client_pass(good):
    assert openvpn.check(defaults('openvpn', **RENDERED)) == []
    assert openvpn.check(good) == []


@pytest.mark.parametrize('override, expected', [
    ({'openvpn_client_name': 'Vendor VPN'}, 'openvpn_client_name=Vendor VPN must match'),
    ({'openvpn_remote_host': '', 'openvpn_enabled': 'yes'}, 'openvpn_enabled=true needs openvpn_remote_host'),
    ({'openvpn_remote_host': 'vpn vendor'}, 'openvpn_remote_host=vpn vendor must be a host name'),
    ({'openvpn_remote_port': 0}, 'openvpn_remote_port=0 must be 1-65535'),
    ({'openvpn_remote_port': '65536'}, 'openvpn_remote_port=65536 must be 1-65535'),
    ({'openvpn_remote_proto': 'udp'}, 'openvpn_proxy_type=http needs openvpn_remote_proto=tcp-client (is udp)'),
    ({'openvpn_proxy_host': ''}, 'openvpn_proxy_type=http needs openvpn_proxy_host'),
    ({'openvpn_proxy_host': '-proxy'}, 'openvpn_proxy_host, a host name or address (is -proxy)'),
    ({'openvpn_proxy_port': 'http'}, 'openvpn_proxy_port=http must be 1-65535'),
    ({'openvpn_proxy_username': 'pacs vpn'}, 'openvpn_proxy_username=pacs vpn must not contain blanks'),
    ({'openvpn_verify_server_name': 'my server'}, 'openvpn_verify_server_name=my server must not contain'),
    ({'openvpn_verify_server_name': 'server"x'}, 'openvpn_verify_server_name=server"x must not contain'),
    ({'openvpn_verify_server_name': "server'x"}, "openvpn_verify_server_name=server'x must not contain"),
    ({'openvpn_extra_options': ['verb 4', '<tls-crypt>\n%s\n</tls-crypt>' % SECRET]},
     'openvpn_extra_options entries [2] (by position) must be single lines'),
    ({'openvpn_ca_cert': KEY}, 'openvpn_ca_cert must be a PEM certificate'),
    ({'openvpn_client_cert': ''}, 'openvpn_client_cert must be a PEM certificate'),
    ({'openvpn_client_key': CERT}, 'openvpn_client_key must be a PEM private key'),
    ({'openvpn_tls_key': KEY}, 'openvpn_tls_key must be an OpenVPN static key'),
    ({'openvpn_proxy_password': ''}, 'openvpn_proxy_username=pacsvpn needs openvpn_proxy_password'),
])
def test_each_bad_input_is_named_without_a_secret(good, override, expected):
    found = messages(openvpn, good, **override)
    assert len(found) == 1 and expected in found[0], found
    assert SECRET not in ' '.join(found) and 'BEGIN' not in ' '.join(found)


def test_credentials_are_not_checked_before_a_server_is_named(good):
    assert messages(openvpn, good, openvpn_enabled=False, openvpn_remote_host='', openvpn_ca_cert='',
                    openvpn_proxy_password='') == []


def test_a_direct_connection_needs_no_proxy_host_and_no_proxy_password(good):
    assert messages(openvpn, good, openvpn_proxy_type='none', openvpn_proxy_host='', openvpn_proxy_password='',
                    openvpn_remote_proto='udp', openvpn_tls_key='') == []


def test_derive_the_defaults_leave_the_client_unconfigured():
    derived = openvpn.derive(defaults('openvpn', __openvpn_config_dir='/etc/openvpn/client', **RENDERED))
    assert derived['configured'] is False and derived['proxy_auth'] is False
    assert derived['service'] == 'openvpn-client@vendor.service'
    assert derived['paths'] == ['/etc/openvpn/client/vendor.conf', '/etc/openvpn/client/vendor.credentials',
                                '/etc/openvpn/client/vendor.proxy-auth']
    assert (derived['proxy_type'], derived['proxy_host'], derived['proxy_port']) == ('none', '', 3128)


def test_derive_a_configured_client_behind_an_authenticated_proxy(good):
    derived = openvpn.derive(dict(good, openvpn_client_name='acme', openvpn_proxy_port='8080'))
    assert derived['configured'] is True and derived['proxy_auth'] is True
    assert derived['service'] == 'openvpn-client@acme.service'
    assert (derived['config_file'], derived['credentials_file'], derived['proxy_auth_file']) == (
        '/etc/openvpn/client/acme.conf', '/etc/openvpn/client/acme.credentials', '/etc/openvpn/client/acme.proxy-auth')
    assert (derived['proxy_type'], derived['proxy_host'], derived['proxy_port']) == ('http', '192.0.2.20', '8080')
    assert derived['files'] == [
        {'path': '/etc/openvpn/client/acme.conf', 'src': 'client.conf.j2', 'mode': '0600', 'owner': 'root', 'group': 'root'},
        {'path': '/etc/openvpn/client/acme.credentials', 'src': 'credentials.j2', 'mode': '0600', 'owner': 'root',
         'group': 'root', 'secret': True}]
    # The result is shown with -v: the proxy credentials file (vars/main.yml) and every key stay out of it.
    assert SECRET not in repr(derived) and 'BEGIN' not in repr(derived)


@pytest.mark.parametrize('override, expected', [
    ({}, True), ({'openvpn_proxy_type': 'socks'}, True), ({'openvpn_proxy_username': ''}, False),
    ({'openvpn_proxy_type': 'none', 'openvpn_proxy_host': ''}, False)])
def test_derive_proxy_auth_needs_a_proxy_and_a_user(good, override, expected):
    assert openvpn.derive(dict(good, **override))['proxy_auth'] is expected
