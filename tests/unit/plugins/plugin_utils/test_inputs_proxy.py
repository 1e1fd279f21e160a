# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The proxy role's input rules: the defaults pass, each bad input is named, the password never is."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import proxy
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

SECRET = 'vault-secret-9b4a'
PROXY = 'http://proxy.example:3128'


APT = {'__proxy_package_manager': 'apt', '__proxy_apt_conf': '/etc/apt/apt.conf.d/90pacsops-proxy',
       '__proxy_apt_auth': '/etc/apt/auth.conf.d/90pacsops-proxy.conf'}


@pytest.fixture
def good():
    # The templated default rendered (proxy_https follows proxy_http), with a login from vault, on an apt host.
    return defaults('proxy', proxy_http=PROXY, proxy_https=PROXY, proxy_username='pacs', proxy_password=SECRET, **APT)


def test_every_input_the_rules_read_is_a_documented_default(good):
    assert set(proxy.INPUTS) - set(APT) <= set(defaults('proxy'))
    assert set(proxy.INPUTS) <= set(good)


def test_defaults_pass_with_and_without_a_proxy(good):
    assert proxy.check(good) == []
    assert proxy.check(defaults('proxy', proxy_https='')) == []


@pytest.mark.parametrize('url', [
    'http://proxy.example:3128', 'http://proxy.example:3128/', 'https://10.0.0.1', 'socks5h://[fd00::1]:1080',
    'socks5://proxy_1.example',
])
def test_proxy_urls_that_work_pass(good, url):
    assert messages(proxy, good, proxy_http=url, proxy_https=url) == []


@pytest.mark.parametrize('override, expected', [
    ({'proxy_http': 'proxy.example:3128'}, 'proxy_http=proxy.example:3128 must be scheme://host[:port]'),
    ({'proxy_https': 'ftp://proxy.example'}, 'proxy_https=ftp://proxy.example must be scheme://host[:port]'),
    ({'proxy_http': 'http://'}, 'proxy_http=http:// must be scheme://host[:port]'),
    ({'proxy_http': 'http://proxy.example:99999'}, 'proxy_http=http://proxy.example:99999 must be'),
    ({'proxy_http': 'http://proxy.example:31 28'}, 'proxy_http=http://proxy.example:31 28 must be'),
    ({'proxy_http': 'http://proxy.exam\nple:3128'}, 'proxy_http=http://proxy.exam\nple:3128 must be'),
    ({'proxy_http': 'http://proxy.example:3128/path'}, 'nothing after the port but an optional /'),
    ({'proxy_http': 'http://proxy.example:3128?x=1'}, 'nothing after the port but an optional /'),
    ({'proxy_http': 'http://pro"xy.example'}, 'nothing after the port but an optional /'),
    ({'proxy_http': 'http://pacs:%s@proxy.example:3128' % SECRET},
     'proxy_http=http://***@proxy.example:3128 must not carry user:password@'),
    ({'proxy_http': 'http://pacs:p@ss%s@proxy.example:3128' % SECRET}, 'proxy_http=http://***@proxy.example:3128'),
    ({'proxy_password': ''}, 'proxy_username needs proxy_password (from vault), which is empty'),
    ({'proxy_http': '', 'proxy_https': ''}, 'proxy_username needs a proxy: proxy_http and proxy_https are empty'),
    ({'proxy_no_proxy': ['localhost', 'bad host']}, "proxy_no_proxy entries ['bad host'] must be hosts"),
    ({'proxy_no_proxy': ['.example.org\n']}, "proxy_no_proxy entries ['.example.org\\n']"),
    ({'proxy_check_targets': [{'name': 'a', 'url': 'install.invicro.com'}]},
     "proxy_check_targets urls ['install.invicro.com'] must be http(s)://host URLs"),
    ({'proxy_check_targets': [{'name': 'a', 'url': 'ftp://mirror.example'}]}, "urls ['ftp://mirror.example']"),
    ({'proxy_check_targets': [{'name': 'a', 'url': 'https://my mirror'}]}, "urls ['https://my mirror']"),
    ({'proxy_check_targets': [{'name': 'a'}]}, "urls [''] must be"),
    ({'proxy_check_targets': [{'name': 'a', 'url': 'https://u:%s@ftp .example/' % SECRET}]},
     "urls ['https://***@ftp .example/']"),
    ({'proxy_check_timeout': 0}, 'proxy_check_timeout=0 must be above 0'),
    ({'proxy_check_timeout': 'soon'}, 'proxy_check_timeout=soon must be above 0'),
])
def test_each_bad_input_is_named_without_the_password(good, override, expected):
    found = messages(proxy, good, **override)
    assert len(found) == 1 and expected in found[0], found
    assert SECRET not in ' '.join(found)


def test_the_password_is_masked_even_where_no_at_sign_marks_it(good):
    # A password pasted into the URL without user:...@ is still never shown.
    found = messages(proxy, good, proxy_http='http//%s:3128' % SECRET)
    assert len(found) == 1 and 'proxy_http=http//***:3128 must be' in found[0], found
    assert SECRET not in found[0]


def test_every_bad_input_is_reported_in_one_run(good):
    found = messages(proxy, good, proxy_http='x', proxy_https='y', proxy_password='', proxy_check_timeout=0)
    assert len(found) == 4, found


def test_the_redacted_form_keeps_the_scheme_and_host():
    assert proxy.redacted('http://u:p@h:1') == 'http://***@h:1'
    assert proxy.redacted('u:p@h') == '***@h'
    assert proxy.redacted('http://h:1') == 'http://h:1'


def states(derived):
    return [(f['path'], f['state'], f.get('secret', False)) for f in derived['files']]


def test_derive_announces_the_proxy_without_credentials_in_the_world_readable_environment(good):
    derived = proxy.derive(good)
    assert derived['environment'] == {'http_proxy': PROXY, 'https_proxy': PROXY, 'no_proxy': 'localhost,127.0.0.1,::1'}
    assert states(derived) == [('/etc/environment', 'present', False),
                               ('/etc/apt/apt.conf.d/90pacsops-proxy', 'present', False),
                               ('/etc/apt/auth.conf.d/90pacsops-proxy.conf', 'present', True)]
    assert derived['files'][0]['marker'] == '# {mark} pacsops.server.proxy'
    assert [f['mode'] for f in derived['files']] == ['0644', '0644', '0600']


def test_derive_puts_encoded_credentials_in_the_environment_only_when_asked(good):
    derived = proxy.derive(dict(good, proxy_username='dom/pacs', proxy_password='p@ss/w:rd',
                                proxy_environment_credentials=True, proxy_https='https://proxy.example:3129'))
    assert derived['environment']['http_proxy'] == 'http://dom%2Fpacs:p%40ss%2Fw%3Ard@proxy.example:3128'
    assert derived['environment']['https_proxy'] == 'https://dom%2Fpacs:p%40ss%2Fw%3Ard@proxy.example:3129'
    assert derived['files'][0]['secret'] is True
    # Without a user there is nothing to put in, even when asked.
    plain = proxy.derive(dict(good, proxy_username='', proxy_environment_credentials=True))
    assert plain['environment']['http_proxy'] == PROXY and plain['files'][0]['secret'] is False


def test_derive_removes_what_no_longer_applies(good):
    def kept(**override):
        return [state for _path, state, _secret in states(proxy.derive(dict(good, **override)))]
    assert kept(proxy_http='', proxy_https='') == ['absent'] * 3
    assert kept(proxy_environment=False) == ['absent', 'present', 'present']
    assert kept(proxy_package_manager=False) == ['present', 'absent', 'absent']
    assert kept(proxy_username='') == ['present', 'present', 'absent']


def test_derive_writes_no_apt_file_where_dnf_is_the_package_manager(good):
    derived = proxy.derive(dict(good, __proxy_package_manager='dnf', __proxy_apt_conf='', __proxy_apt_auth=''))
    assert [f['path'] for f in derived['files']] == ['/etc/environment']


def test_credentials_in_the_environment_hide_the_validate_tasks_output(good):
    assert proxy.secret(good) is False
    assert proxy.secret(dict(good, proxy_environment_credentials=True)) is True
    assert proxy.secret(dict(good, proxy_username='', proxy_environment_credentials=True)) is False
