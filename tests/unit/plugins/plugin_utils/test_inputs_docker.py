# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker role's input rules: the defaults pass, each bad input is named, a proxy URL or key never is."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import docker
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

SECRET = 'vault-secret-5c2e'
PROXY = 'http://pacs:%s@proxy.example:3128' % SECRET
LOGIN = {'registry_url': 'europe-west1-docker.pkg.dev', 'username': '_json_key', 'password': SECRET}


@pytest.fixture
def good():
    # The templated defaults as the task receives them, rendered: no site proxy declared.
    return defaults('docker', docker_http_proxy='', docker_https_proxy=PROXY, docker_no_proxy='localhost',
                    __docker_packages=['docker.io', 'docker-cli', 'docker-compose'], __docker_source='distribution',
                    __docker_release='Debian 13', docker_registry_logins=[LOGIN])


def test_every_input_the_rules_read_is_a_documented_default(good):
    assert set(docker.INPUTS) - {'__docker_packages', '__docker_source', '__docker_release'} <= set(defaults('docker'))
    assert set(docker.INPUTS) <= set(good)


def test_defaults_with_a_proxy_and_a_registry_login_pass(good):
    assert docker.check(good) == []


@pytest.mark.parametrize('override, expected', [
    ({'__docker_packages': [], '__docker_source': 'distribution', '__docker_release': 'RedHat 9'},
     'docker_source=distribution has no packages on RedHat 9'),
    ({'docker_log_max_size': '10 MB'}, 'docker_log_max_size=10 MB must be a size'),
    ({'docker_log_max_size': '10M'}, 'docker_log_max_size=10M must be a size'),
    ({'docker_log_max_file': 0}, 'docker_log_max_file=0 must be at least 1'),
    ({'docker_log_max_file': 'many'}, 'docker_log_max_file=many must be at least 1'),
    ({'docker_data_root': 'home/docker'}, 'docker_data_root=home/docker must be an absolute path'),
    ({'docker_registry_mirrors': ['https://ok.example', 'mirror.example']}, "docker_registry_mirrors ['mirror.example']"),
    ({'docker_http_proxy': 'proxy.example:3128'}, 'docker_http_proxy must be an http(s):// or socks5:// URL'),
    ({'docker_https_proxy': 'ftp://pacs:%s@proxy.example' % SECRET}, 'docker_https_proxy must be an http(s)://'),
    ({'docker_service_environment': {'HTTP PROXY': 'x', 'OK_NAME': 'y'}}, "docker_service_environment keys ['HTTP PROXY']"),
    ({'docker_users': ['ipacs', 'Bad User']}, "docker_users ['Bad User'] are not valid user names"),
    ({'docker_default_address_pools': [{'base': '172.17.0.0/33', 'size': 24}]}, "entries [{'base': '172.17.0.0/33'"),
    ({'docker_default_address_pools': [{'base': '172.17.0.0', 'size': 24}]}, "entries [{'base': '172.17.0.0',"),
    ({'docker_default_address_pools': [{'size': 24}]}, "entries [{'size': 24}]"),
    ({'docker_default_address_pools': [{'base': '10.0.0.0/8', 'size': 31}]}, "'size': 31}]: every entry needs"),
    ({'docker_default_address_pools': [{'base': '10.0.0.0/16', 'size': 8}]}, "'size': 8}]: every entry needs"),
    ({'docker_default_address_pools': [{'base': '10.0.0.0/16'}]}, "entries [{'base': '10.0.0.0/16'}]"),
    ({'docker_registry_logins': [LOGIN, {'registry_url': 'r.example'}]}, "docker_registry_logins entries ['r.example']"),
    ({'docker_registry_logins': [dict(LOGIN, password='')]}, "entries ['europe-west1-docker.pkg.dev']: every entry"),
    ({'docker_registry_logins': [{'password': SECRET}]}, "docker_registry_logins entries ['#1']: every entry needs"),
])
def test_each_bad_input_is_named_without_a_secret(good, override, expected):
    found = messages(docker, good, **override)
    assert len(found) == 1 and expected in found[0], found
    assert SECRET not in ' '.join(found)


def test_a_pool_that_fits_its_size_exactly_and_values_read_as_ansible_reads_them_pass(good):
    assert messages(docker, good, docker_default_address_pools=[{'base': '10.213.0.0/24', 'size': '24'}],
                    docker_log_max_file='4', docker_data_root='/home/docker', docker_registry_logins=[]) == []


def test_every_bad_input_is_reported_in_one_run(good):
    found = messages(docker, good, docker_log_max_file=0, docker_users=['Bad User'], docker_http_proxy='x')
    assert len(found) == 3, found


def test_an_address_pool_base_is_an_ipv4_network_with_a_prefix(good):
    for base in ('fd00::/64', '10.256.0.0/16', '10.0.0.0'):
        assert messages(docker, good, docker_default_address_pools=[{'base': base, 'size': 24}]), base
    assert messages(docker, good, docker_default_address_pools=[{'base': '10.1.2.3/16', 'size': 24}]) == []


def test_derive_writes_daemon_json_and_drops_the_environment_file_without_a_proxy(good):
    derived = docker.derive(dict(good, docker_https_proxy=''))
    # The defaults: json-file logs with rotation, live-restore, and the documented address pool.
    assert derived['daemon_config'] == {'log-driver': 'json-file', 'live-restore': True,
                                        'log-opts': {'max-size': good['docker_log_max_size'],
                                                     'max-file': str(good['docker_log_max_file'])},
                                        'default-address-pools': good['docker_default_address_pools']}
    assert good['docker_default_address_pools']
    assert derived['service_environment'] == {}
    assert derived['dropin_secret'] is False
    assert [(f['path'], f['mode'], f.get('state', 'present')) for f in derived['files']] == [
        ('/etc/docker/daemon.json', '0644', 'present'),
        ('/etc/systemd/system/docker.service.d/pacsops.conf', '0600', 'absent')]
    # daemon.json is validated by the installed dockerd before it replaces the running file.
    assert '--validate --config-file' in derived['files'][0]['validate']
    assert derived['files'][0]['validate'].endswith(' validate %s')


def test_derive_a_proxy_with_credentials_hides_the_drop_in_and_sets_no_proxy(good):
    derived = docker.derive(dict(good, docker_service_environment={'FOO': 'bar'}))
    assert derived['service_environment'] == {'HTTPS_PROXY': PROXY, 'NO_PROXY': 'localhost', 'FOO': 'bar'}
    assert derived['dropin_secret'] is True
    assert derived['files'][1]['secret'] is True and derived['files'][1]['state'] == 'present'
    # A proxy without credentials is not a secret; NO_PROXY only comes with a proxy.
    plain = docker.derive(dict(good, docker_https_proxy='http://proxy.example:3128'))
    assert plain['dropin_secret'] is False
    assert docker.derive(dict(good, docker_https_proxy='', docker_service_environment={'FOO': 'bar'}))[
        'service_environment'] == {'FOO': 'bar'}


def test_derive_daemon_settings_and_extra_options_replace_whole_keys(good):
    derived = docker.derive(dict(good, docker_log_driver='journald', docker_data_root='/srv/docker',
                                 docker_registry_mirrors=['https://mirror.example'],
                                 docker_default_address_pools=[{'base': '10.10.0.0/16', 'size': 24}],
                                 docker_daemon_extra_options={'live-restore': False, 'log-opts': {'tag': 'x'}}))
    assert derived['daemon_config'] == {
        'log-driver': 'journald', 'live-restore': False, 'log-opts': {'tag': 'x'}, 'data-root': '/srv/docker',
        'registry-mirrors': ['https://mirror.example'], 'default-address-pools': [{'base': '10.10.0.0/16', 'size': 24}]}


@pytest.mark.parametrize('extra, expected', [
    ({}, True), ({'iptables': True}, True), ({'iptables': 'yes'}, True), ({'iptables': False}, False),
    ({'iptables': 'no'}, False), ({'bridge': 'none'}, False), ({'bridge': 'br-pacs'}, True)])
def test_derive_expects_firewalld_registration_unless_iptables_or_the_bridge_is_off(good, extra, expected):
    assert docker.derive(dict(good, docker_daemon_extra_options=extra))['firewalld_registration_expected'] is expected


def test_a_proxy_url_with_credentials_hides_the_validate_tasks_output(good):
    assert docker.secret(good) is True
    assert docker.secret(dict(good, docker_https_proxy='http://proxy.example:3128')) is False
