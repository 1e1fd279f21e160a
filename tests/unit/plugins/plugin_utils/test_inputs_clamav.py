# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The clamav role's input rules: the defaults pass, each bad input is named, a secret never is; what derive()
builds from them, for each branch."""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import clamav
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

SECRET = 'vault-secret-3f0c'
SIGNATURE = {'name': 'site.ndb', 'content': 'Pacs.Test:0:*:%s' % SECRET.encode().hex()}
VARS = pathlib.Path(__file__).resolve().parents[4] / 'roles' / 'clamav' / 'vars'


def role_vars(name):
    return yaml.safe_load((VARS / ('%s.yml' % name)).read_text())


def names(os_family):
    """The role's names the rules read: vars/<os_family>.yml (loaded before the validate task) and the scan unit."""
    return dict(role_vars(os_family), __clamav_scan_unit=role_vars('main')['__clamav_scan_unit'])


@pytest.fixture
def good():
    # The templated defaults as the task receives them, rendered: a site proxy with a user; a Debian host.
    return defaults('clamav', clamav_freshclam_proxy_host='proxy.example', clamav_freshclam_proxy_port=3128,
                    clamav_freshclam_proxy_username='pacs-av', clamav_freshclam_proxy_password=SECRET,
                    **names('Debian'))


def test_every_input_the_rules_read_is_a_documented_default_or_a_role_name(good):
    public = [name for name in clamav.INPUTS if not name.startswith('__')]
    assert set(public) <= set(defaults('clamav'))
    for os_family in ('Debian', 'RedHat'):
        assert set(clamav.INPUTS) - set(public) <= set(names(os_family))


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


# derive(): what the role writes, runs and reads.

DEBIAN_FILES = [
    ('/etc/clamav/clamd.conf', 'clamd.conf.j2', '0644', 'root'),
    ('/etc/clamav/freshclam.conf', 'freshclam.conf.j2', '0640', 'clamav'),
    ('/etc/systemd/system/pacsops-clamav-scan.service', 'scan.service.j2', '0644', 'root'),
    ('/etc/systemd/system/pacsops-clamav-scan.timer', 'scan.timer.j2', '0644', 'root'),
    ('/etc/ansible/facts.d/pacsops_antivirus.fact', None, None, None),
    ('/etc/systemd/system/clamav-daemon.service.d/pacsops-signatures.conf', 'signature-condition.conf.j2', '0644', 'root'),
    ('/etc/systemd/system/clamav-daemon.socket.d/pacsops-signatures.conf', 'signature-condition.conf.j2', '0644', 'root'),
]


def test_derive_the_defaults_on_debian(good):
    derived = clamav.derive(good)
    assert [(f['path'], f.get('src'), f.get('mode'), f.get('group')) for f in derived['files']] == DEBIAN_FILES
    assert derived['files'][4] == {'path': '/etc/ansible/facts.d/pacsops_antivirus.fact', 'state': 'absent'}
    assert all(f['owner'] == 'root' for f in derived['files'] if 'owner' in f)
    # The proxy password makes freshclam.conf a secret, hides the file task, and is never derived.
    assert derived['files'][1]['secret'] is True and derived['secret'] is True
    assert SECRET not in json.dumps(derived)
    assert derived['units'] == [{'name': 'clamav-daemon.service', 'run': True},
                                {'name': 'clamav-freshclam.service', 'run': True},
                                {'name': 'pacsops-clamav-scan.timer', 'run': True}]
    assert derived['read_packages'] == ['clamav-daemon', 'clamav-freshclam', 'clamdscan']
    assert derived['read_units'] == ['clamav-daemon.service', 'clamav-freshclam.service', 'pacsops-clamav-scan.timer']
    assert derived['clamd_inputs'] == ['/etc/clamav/clamd.conf',
                                       '/etc/systemd/system/clamav-daemon.service.d/pacsops-signatures.conf',
                                       '/etc/systemd/system/clamav-daemon.socket.d/pacsops-signatures.conf']
    assert derived['scan_unit_files'] == ['/etc/systemd/system/pacsops-clamav-scan.service',
                                          '/etc/systemd/system/pacsops-clamav-scan.timer']
    assert derived['clamd_excludes'] == ['/proc', '/sys', '/dev', '/run', '/home/ipacs/*/storage', '/var/lib/docker',
                                         '/var/lib/mysql', '/var/lib/clamav']
    assert derived['freshclam_proxy'] == {'host': 'proxy.example', 'port': 3128, 'username': 'pacs-av'}


def test_derive_on_redhat_without_a_proxy_password(good):
    derived = clamav.derive(dict(good, clamav_freshclam_proxy_password='', **names('RedHat')))
    assert [(f['path'], f.get('mode'), f.get('group')) for f in derived['files']] == [
        ('/etc/clamd.d/scan.conf', '0644', 'root'), ('/etc/freshclam.conf', '0644', 'clamupdate'),
        ('/etc/systemd/system/pacsops-clamav-scan.service', '0644', 'root'),
        ('/etc/systemd/system/pacsops-clamav-scan.timer', '0644', 'root'),
        ('/etc/ansible/facts.d/pacsops_antivirus.fact', None, None)]
    assert derived['files'][1]['secret'] is False and derived['secret'] is False
    # No condition drop-ins on RedHat (clamd@.service has no database conditions).
    assert derived['clamd_inputs'] == ['/etc/clamd.d/scan.conf']
    assert derived['read_packages'] == ['clamav', 'clamd', 'clamav-update']
    assert derived['units'][0] == {'name': 'clamd@scan.service', 'run': True}


def test_derive_an_offline_site_runs_without_freshclam_on_the_operator_signatures(good):
    copied = {'name': 'daily.cvd', 'src': '/srv/daily.cvd'}
    derived = clamav.derive(dict(good, clamav_freshclam_enabled='no', clamav_scan_enabled='false',
                                 clamav_offline_signatures=[copied, SIGNATURE]))
    assert [unit['run'] for unit in derived['units']] == [True, False, False]
    # Only a signature given as content is a managed file; one from the controller (src) is copied.
    assert derived['files'][-1] == {'content': SIGNATURE['content'], 'path': '/var/lib/clamav/site.ndb', 'mode': '0644',
                                    'owner': 'clamav', 'group': 'clamav'}
    assert len(derived['files']) == len(DEBIAN_FILES) + 1
    assert derived['clamd_inputs'][-1] == '/var/lib/clamav/site.ndb' and len(derived['clamd_inputs']) == 4


def test_derive_the_on_site_mode_writes_only_the_fact_and_reads_no_package_or_unit(good):
    derived = clamav.derive(dict(good, clamav_onsite_av='yes', clamav_onsite_av_note='Hospital "EDR" é'))
    assert derived['files'] == [{'path': '/etc/ansible/facts.d/pacsops_antivirus.fact',
                                 'content': '{\n    "note": "Hospital \\"EDR\\" \\u00e9",\n    "provider": "onsite"\n}\n',
                                 'mode': '0644', 'owner': 'root', 'group': 'root'}]
    assert derived['read_packages'] == [] and derived['read_units'] == []
    # The units stay declared (tasks/service.yml is not included in this mode).
    assert len(derived['units']) == 3


@pytest.mark.parametrize('override, expected', [
    # Empty entries drop out; the database directory of the OS comes last unless already listed.
    ({'clamav_exclude_image_stores': ['', '/srv/*/images'], 'clamav_exclude_docker_data_root': '',
      'clamav_exclude_database_dir': ''},
     ['/proc', '/sys', '/dev', '/run', '/srv/*/images', '/var/lib/clamav']),
    # Duplicates are dropped, the first kept; as Jinja's unique compared them: case-insensitively.
    ({'clamav_exclude_image_stores': ['/var/lib/mysql', '/Srv/Data'], 'clamav_exclude_extra_paths': [
        '/srv/data', '/run', '/VAR/lib/clamav', '/var/lib/clamav/']},
     ['/proc', '/sys', '/dev', '/run', '/var/lib/mysql', '/Srv/Data', '/var/lib/docker', '/VAR/lib/clamav',
      '/var/lib/clamav/']),
])
def test_derive_the_exclusions(good, override, expected):
    assert clamav.derive(dict(good, **override))['clamd_excludes'] == expected


def test_derive_a_proxy_password_without_a_user_still_hides_freshclam_conf(good):
    derived = clamav.derive(dict(good, clamav_freshclam_proxy_username='', clamav_freshclam_proxy_port='8080'))
    assert derived['secret'] is True and derived['files'][1]['mode'] == '0640'
    assert derived['freshclam_proxy'] == {'host': 'proxy.example', 'port': '8080', 'username': ''}
    direct = clamav.derive(dict(good, clamav_freshclam_proxy_host='', clamav_freshclam_proxy_username='',
                                clamav_freshclam_proxy_password=''))
    assert direct['freshclam_proxy']['host'] == '' and direct['secret'] is False
