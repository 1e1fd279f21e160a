# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The clamav role's input rules: the defaults pass, each bad input is named, a secret never is."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import clamav
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

SECRET = 'vault-secret-3f0c'
SIGNATURE = {'name': 'site.ndb', 'content': 'Pacs.Test:0:*:%s' % SECRET.encode().hex()}


@pytest.fixture
def good():
    # The templated defaults as the task receives them, rendered: a site proxy with a user.
    return defaults('clamav', clamav_freshclam_proxy_host='proxy.example', clamav_freshclam_proxy_port=3128,
                    clamav_freshclam_proxy_username='pacs-av', clamav_freshclam_proxy_password=SECRET)


def test_every_input_the_rules_read_is_a_documented_default(good):
    assert set(clamav.INPUTS) <= set(good)


def test_the_defaults_and_an_offline_site_pass(good):
    assert clamav.check(good) == []
    assert messages(clamav, good, clamav_freshclam_enabled=False, clamav_offline_signatures=[SIGNATURE],
                    clamav_exclude_docker_data_root='', clamav_exclude_image_stores=['', '/srv/*/images']) == []


@pytest.mark.parametrize('override, expected', [
    ({'clamav_scan_paths': ['/home', '/srv/$(reboot)']}, "clamav_scan_paths entries ['/srv/$(reboot)'] must match"),
    ({'clamav_scan_paths': ['/srv/*']}, "clamav_scan_paths entries ['/srv/*'] must match"),
    ({'clamav_scan_log_file': 'scan.log'}, 'clamav_scan_log_file=scan.log must match'),
    ({'clamav_exclude_image_stores': ['/home/ipacs/my storage']}, "clamav_exclude_image_stores entries ['/home/ipacs/my"),
    ({'clamav_exclude_extra_paths': ['relative/*']}, "clamav_exclude_extra_paths entries ['relative/*'] must match"),
    ({'clamav_exclude_docker_data_root': '/var/lib/docker;x'}, 'clamav_exclude_docker_data_root=/var/lib/docker;x'),
    ({'clamav_exclude_database_dir': 'mysql'}, 'clamav_exclude_database_dir=mysql must match'),
    ({'clamav_scan_on_calendar': '  '}, 'clamav_scan_on_calendar must not be empty'),
    ({'clamav_offline_signatures': [dict(SIGNATURE, name='site.exe')]}, "names ['site.exe'] must be signature files"),
    ({'clamav_offline_signatures': [dict(SIGNATURE, src='/srv/site.ndb')]}, "items ['site.ndb'] need exactly one of"),
    ({'clamav_offline_signatures': [{'name': 'daily.cvd'}]}, "items ['daily.cvd'] need exactly one of src and content"),
    ({'clamav_freshclam_enabled': 'no'}, 'with clamav_freshclam_enabled=false clamd needs clamav_offline_signatures'),
    ({'clamav_freshclam_private_mirrors': ['http://pacs:%s@mirror.example/a b' % SECRET]},
     'clamav_freshclam_private_mirrors entries [1] (by position) must not contain blanks'),
    ({'clamav_freshclam_database_mirrors': ['db.local.clamav.net', 'mirror example']},
     'clamav_freshclam_database_mirrors entries [2] (by position)'),
    ({'clamav_freshclam_proxy_port': 0}, 'clamav_freshclam_proxy_port=0 must be 1-65535'),
    ({'clamav_freshclam_proxy_port': '3128x'}, 'clamav_freshclam_proxy_port=3128x must be 1-65535'),
    ({'clamav_freshclam_proxy_host': ''}, 'clamav_freshclam_proxy_username needs clamav_freshclam_proxy_host'),
    ({'clamav_freshclam_checks': 51}, 'clamav_freshclam_checks=51 must be 1-50'),
    ({'clamav_freshclam_checks': 0}, 'clamav_freshclam_checks=0 must be 1-50'),
])
def test_each_bad_input_is_named_without_a_secret(good, override, expected):
    found = messages(clamav, good, **override)
    assert len(found) == 1 and expected in found[0], found
    assert found[0].startswith('Invalid ')
    assert SECRET not in found[0] and SECRET.encode().hex() not in found[0]


def test_an_on_site_antivirus_needs_no_signatures(good):
    assert messages(clamav, good, clamav_onsite_av=True, clamav_freshclam_enabled=False) == []


def test_every_bad_input_is_reported_in_one_run(good):
    found = messages(clamav, good, clamav_scan_paths=['/a b'], clamav_scan_log_file='x', clamav_freshclam_checks=0)
    assert len(found) == 2, found
    assert found[0].startswith('Invalid scan paths and exclusions: clamav_scan_paths entries') and 'clamav_scan_log_file=x' in found[0]
    assert found[1] == 'Invalid signature updates: clamav_freshclam_checks=0 must be 1-50.'
