# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The timesync role's input rules: the defaults pass, each bad input is named."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import timesync
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import ROLES, defaults, messages


def os_vars(os_family):
    """vars/<os_family>.yml's providers and aliases, and the OS family, as the task receives them."""
    values = yaml.safe_load((pathlib.Path(ROLES) / 'timesync' / 'vars' / ('%s.yml' % os_family)).read_text())
    return dict(values, __timesync_os_family=os_family)


@pytest.fixture
def good():
    return defaults('timesync', timesync_container_mode=False, **os_vars('Debian'))


def test_every_input_the_rules_read_is_a_documented_default(good):
    private = {'__timesync_providers', '__timesync_aliases', '__timesync_os_family'}
    assert set(timesync.INPUTS) - private <= set(defaults('timesync'))
    assert set(timesync.INPUTS) <= set(good)


def test_defaults_pass_on_debian_and_redhat(good):
    assert timesync.check(good) == []
    assert timesync.check(dict(good, **os_vars('RedHat'))) == []


def test_a_site_server_with_networks_and_no_upstream_passes(good):
    assert messages(timesync, good, timesync_servers=[], timesync_local_stratum='8',
                    timesync_serve_networks=['172.30.40.0/24', '192.0.2.7', 'fd00::/8', '10.1.2.3/8']) == []


@pytest.mark.parametrize('override, expected', [
    ({'timesync_provider': 'openntpd'}, "timesync_provider=openntpd must be one of ['chrony', 'ntpsec', 'ntp'] on Debian"),
    (dict(os_vars('RedHat'), timesync_provider='ntp'), "timesync_provider=ntp must be one of ['chrony'] on RedHat"),
    ({'timesync_servers': []}, 'timesync_servers is empty while timesync_local_stratum is 0'),
    ({'timesync_servers': [{'host': 'ntp one'}]}, "timesync_servers hosts ['ntp one'] must be hostnames"),
    ({'timesync_servers': [{'host': '"pool.ntp.org'}]}, 'timesync_servers hosts [\'"pool.ntp.org\']'),
    ({'timesync_servers': [{'host': 'pool.ntp.org\nallow all'}]}, "timesync_servers hosts ['pool.ntp.org\\nallow all']"),
    ({'timesync_servers': [{'host': 'pool.ntp.org\n'}]}, "timesync_servers hosts ['pool.ntp.org\\n']"),
    ({'timesync_servers': [{'pool': True}]}, "timesync_servers hosts [''] must be hostnames"),
    ({'timesync_serve_networks': ['10.0.0.0/33']}, "timesync_serve_networks entries ['10.0.0.0/33'] must be IP"),
    ({'timesync_serve_networks': ['10.0.0.0/99']}, "timesync_serve_networks entries ['10.0.0.0/99'] must be IP"),
    ({'timesync_serve_networks': ['lan']}, "timesync_serve_networks entries ['lan']"),
    ({'timesync_local_stratum': 16}, 'timesync_local_stratum=16 must be 0 (off) to 15'),
    ({'timesync_local_stratum': 'high'}, 'timesync_local_stratum=high must be 0 (off) to 15'),
])
def test_each_bad_input_is_named(good, override, expected):
    found = messages(timesync, good, **override)
    assert len(found) == 1 and expected in found[0], found


def test_a_negative_stratum_without_sources_is_named_twice(good):
    found = messages(timesync, good, timesync_servers=[], timesync_local_stratum=-1)
    assert len(found) == 2 and 'timesync_local_stratum=-1' in found[1], found


@pytest.mark.parametrize('entry', ['999.1.1.1/8', '10.0.0.256', '::1/200', 'fd00::/129', '1:2:3', ':::', ':'])
def test_networks_are_read_by_the_standard_library_not_a_pattern(good, entry):
    # Each of these matched the role's former pattern (vars/main.yml's __timesync_network_pattern) and
    # would have reached chrony's `allow` or ntpsec's `restrict` line.
    found = messages(timesync, good, timesync_serve_networks=['10.0.0.0/8', entry])
    assert found == ["timesync_serve_networks entries ['%s'] must be IP addresses or networks in CIDR notation." % entry]


def test_derive_the_defaults_on_debian_write_chrony_and_remove_the_drop_in(good):
    derived = timesync.derive(good)
    assert derived['settings']['packages'] == ['chrony'] and derived['settings']['service'] == 'chrony'
    assert derived['container_mode'] is False
    assert derived['dropin'] == {'path': '/etc/systemd/system/chrony.service.d/pacsops-container.conf',
                                 'src': 'container-dropin.conf.j2', 'mode': '0644', 'owner': 'root', 'group': 'root',
                                 'state': 'absent'}
    assert derived['files'] == [derived['dropin'], {'path': '/etc/chrony/chrony.conf', 'src': 'chrony.conf.j2',
                                                    'mode': '0644', 'owner': 'root', 'group': 'root'}]


@pytest.mark.parametrize('provider', ['ntp', 'ntpsec'])
def test_derive_resolves_debian_s_ntp_alias_to_ntpsec(good, provider):
    derived = timesync.derive(dict(good, timesync_provider=provider, timesync_container_mode=True))
    assert derived['settings']['service'] == 'ntpsec'
    assert derived['settings']['leapfile'] == '/usr/share/zoneinfo/leap-seconds.list'
    assert [(f['path'], f['src'], f.get('state', 'present')) for f in derived['files']] == [
        ('/etc/systemd/system/ntpsec.service.d/pacsops-container.conf', 'container-dropin.conf.j2', 'present'),
        ('/etc/ntpsec/ntp.conf', 'ntpsec.conf.j2', 'present')]


def test_derive_on_redhat_uses_chronyd_and_removes_the_other_daemons(good):
    derived = timesync.derive(dict(good, **os_vars('RedHat')))
    assert derived['settings']['competing_packages'] == ['ntp', 'ntpsec', 'openntpd']
    assert derived['dropin']['path'] == '/etc/systemd/system/chronyd.service.d/pacsops-container.conf'
    assert derived['files'][1]['path'] == '/etc/chrony.conf'


@pytest.mark.parametrize('value, expected', [
    (True, True), (False, False), ('yes', True), ('', False), (0, False), (1, True), (None, False),
    # As the bool filter reads it: `-e timesync_container_mode=false` is a string (Jinja's `if` read it as on).
    ('false', False), ('True', True)])
def test_derive_container_mode_is_read_as_a_bool(good, value, expected):
    derived = timesync.derive(dict(good, timesync_container_mode=value))
    assert derived['container_mode'] is expected
    assert derived['dropin']['state'] == ('present' if expected else 'absent')
