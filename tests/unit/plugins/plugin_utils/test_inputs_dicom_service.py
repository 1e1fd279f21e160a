# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dicom_service role's input rules: the defaults pass, each bad input is named, the password never is."""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import dicom_service
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import ROLES, defaults, messages

SECRET = 'vault-secret-5c2e'
MODALITY = {'ae_title': 'CT_SCANNER_1', 'host': '10.0.1.21', 'port': 104}


# The engine's names and the role's paths, as vars/main.yml and vars/engine_<engine>.yml define them (loaded
# before the validate task).
PRIVATE = ('__dicom_service_config_dir', '__dicom_service_sysctl_file', '__dicom_service_user', '__dicom_service_group',
           '__dicom_service_unit_file')
ROLE_VARS = ROLES / 'dicom_service' / 'vars'


def role_vars(engine):
    values = yaml.safe_load((ROLE_VARS / 'main.yml').read_text())
    values.update(yaml.safe_load((ROLE_VARS / ('engine_%s.yml' % engine)).read_text()))
    return values


@pytest.fixture
def good():
    return defaults('dicom_service', dicom_service_verify_host='192.0.2.10', dicom_service_allowed_calling_aes=[MODALITY],
                    dicom_service_blocked_calling_aes=['OLD_DEVICE'], dicom_service_allowed_networks=['10.0.0.0/8', 'fd00::/8'],
                    dicom_service_mariadb_password=SECRET,
                    **{name: role_vars('orthanc')[name] for name in PRIVATE})


def test_every_input_the_rules_read_is_a_documented_default(good):
    assert set(dicom_service.INPUTS) - set(PRIVATE) <= set(defaults('dicom_service'))
    assert set(dicom_service.INPUTS) <= set(good)
    # A name the validate task reads must be defined whichever engine's variables are loaded.
    for engine in ('orthanc', 'dicom_server'):
        assert set(PRIVATE) <= set(role_vars(engine)), engine


def test_declared_inputs_pass(good):
    assert dicom_service.check(good) == []


def test_the_other_engine_and_index_pass(good):
    assert messages(dicom_service, good, dicom_service_index='mariadb') == []
    assert messages(dicom_service, good, dicom_service_engine='dicom_server', dicom_service_binary_src='files/dicom-server') == []


@pytest.mark.parametrize('override, expected', [
    ({'dicom_service_ae_title': 'A' * 17}, 'dicom_service_ae_title=%s must be 1-16' % ('A' * 17)),
    ({'dicom_service_ae_title': '    '}, 'dicom_service_ae_title=     must be 1-16'),
    ({'dicom_service_ae_title': 'BACK\\SLASH'}, 'dicom_service_ae_title=BACK\\SLASH'),
    ({'dicom_service_verify_calling_ae': ''}, 'dicom_service_verify_calling_ae= must be 1-16'),
    ({'dicom_service_port': 0}, 'dicom_service_port=0 must be 1-65535'),
    ({'dicom_service_port': 'dicom'}, 'dicom_service_port=dicom'),
    ({'dicom_service_max_associations': 0}, 'dicom_service_max_associations=0 must be at least 1'),
    ({'dicom_service_max_pdu_size': 2048}, 'dicom_service_max_pdu_size=2048 must be 4096-131072'),
    ({'dicom_service_max_pdu_size': 131073}, 'dicom_service_max_pdu_size=131073'),
    ({'dicom_service_storage_dir': '/data'}, 'dicom_service_storage_dir=/data must match'),
    ({'dicom_service_storage_dir': '/srv/dicom data'}, 'dicom_service_storage_dir=/srv/dicom data'),
    ({'dicom_service_log_dir': 'logs'}, 'dicom_service_log_dir=logs must match'),
    ({'dicom_service_allowed_calling_aes': [{'host': '10.0.1.21'}]}, 'each entry of dicom_service_allowed_calling_aes needs ae_title'),
    ({'dicom_service_blocked_calling_aes': ['TOO_LONG_FOR_AN_AE']}, "calling AE titles ['TOO_LONG_FOR_AN_AE'] are not AE titles"),
    ({'dicom_service_allowed_calling_aes': [MODALITY, MODALITY]}, "allowed calling AE titles ['CT_SCANNER_1'] repeat"),
    ({'dicom_service_allowed_calling_aes': [dict(MODALITY, ae_title='PACSOPS')]}, "allowed calling AE titles ['PACSOPS'] repeat"),
    ({'dicom_service_allowed_networks': ['10.0.0.0/8', 'lan']}, "dicom_service_allowed_networks entries ['lan']"),
    ({'dicom_service_tls_cert': '/etc/ssl/dicom.pem'}, 'dicom_service_tls_cert and dicom_service_tls_key go together'),
    ({'dicom_service_tls_key': '/etc/ssl/dicom.key'}, 'dicom_service_tls_cert and dicom_service_tls_key go together'),
    ({'dicom_service_engine': 'dicom_server', 'dicom_service_index': 'mariadb', 'dicom_service_binary_src': 'x'},
     'dicom_service_index=mariadb needs dicom_service_engine=orthanc'),
    ({'dicom_service_index': 'mariadb', 'dicom_service_mariadb_password': ''},
     'dicom_service_mariadb_password must be set (from vault) when dicom_service_index is mariadb'),
    ({'dicom_service_engine': 'dicom_server'}, 'needs exactly one of dicom_service_binary_src and dicom_service_binary_url'),
    ({'dicom_service_engine': 'dicom_server', 'dicom_service_binary_src': 'x', 'dicom_service_binary_url': 'https://x'},
     'needs exactly one of dicom_service_binary_src and dicom_service_binary_url'),
])
def test_each_bad_input_is_named_without_the_password(good, override, expected):
    found = messages(dicom_service, good, **override)
    assert len(found) == 1 and expected in found[0], found
    assert SECRET not in ' '.join(found)


def test_the_final_checks_title_is_not_checked_when_the_check_is_off(good):
    assert messages(dicom_service, good, dicom_service_verify='no', dicom_service_allowed_calling_aes=[dict(MODALITY, ae_title='PACSOPS')]) == []


def test_networks_are_read_by_the_standard_library_not_a_pattern(good):
    assert messages(dicom_service, good, dicom_service_allowed_networks=['10.0.0.0/8', '192.0.2.7', 'fd00::/8']) == []
    found = messages(dicom_service, good, dicom_service_allowed_networks=['999.1.1.1', '10.0.0.0/40', 'pacs.example'])
    assert found == ["dicom_service_allowed_networks entries ['999.1.1.1', '10.0.0.0/40', 'pacs.example'] "
                     "are not addresses or CIDRs."], found


def derived(good, **override):
    """derive() of valid inputs, with the private names of the engine they ask for."""
    values = dict(good, **override)
    values.update({name: role_vars(values['dicom_service_engine'])[name] for name in PRIVATE})
    assert dicom_service.check(values) == []
    return dicom_service.derive(values)


def config(entry):
    return json.loads(entry['content'])


def test_derive_orthanc_with_the_defaults(good):
    d = derived(good)
    assert d['packages'] == ['orthanc']
    assert d['binary'] == ''
    assert d['dirs'] == [
        {'path': '/etc/dicom-server', 'mode': '0750', 'owner': 'root', 'group': 'orthanc'},
        {'path': '/var/lib/dicom-server', 'mode': '0750', 'owner': 'orthanc', 'group': 'orthanc'},
        {'path': '/var/lib/dicom-server/data', 'mode': '0750', 'owner': 'orthanc', 'group': 'orthanc'},
        {'path': '/var/log/dicom-server', 'mode': '0750', 'owner': 'orthanc', 'group': 'orthanc'}]
    unit = '/etc/systemd/system/orthanc.service.d/pacsops-hardening.conf'
    assert [(f['path'], f['mode'], f['group'], f.get('src'), f.get('secret', False)) for f in d['files']] == [
        ('/etc/dicom-server/orthanc.json', '0640', 'orthanc', None, False),
        ('/etc/dicom-server/credentials.json', '0640', 'orthanc', 'credentials.json.j2', True),
        (unit, '0644', 'root', 'service.conf.j2', False),
        ('/etc/sysctl.d/60-dicom-service.conf', '0644', 'root', 'sysctl.conf.j2', False)]
    # The kernel settings are applied, not restarted for.
    assert d['restart_paths'] == ['/etc/dicom-server/orthanc.json', '/etc/dicom-server/credentials.json', unit]
    # Orthanc's package makes its account: only the paths are read.
    assert d['read_users'] == [] and d['read_groups'] == []
    assert d['read_files'] == [entry['path'] for entry in d['dirs'] + d['files']]
    assert d['exec_start'] == '/usr/sbin/Orthanc --logdir=/var/log/dicom-server /etc/dicom-server'
    orthanc = d['files'][0]
    # to_nice_json(indent=2): sorted keys, a final newline.
    assert orthanc['content'].startswith('{\n  "AuthenticationEnabled": true,\n') and orthanc['content'].endswith('}\n')
    c = config(orthanc)
    assert (c['Name'], c['DicomAet'], c['DicomPort'], c['DicomThreadsCount'], c['MaximumPduLength']) == (
        'HOSPITAL_PACS', 'HOSPITAL_PACS', 11112, 50, 65536)
    assert c['StorageDirectory'] == c['IndexDirectory'] == '/var/lib/dicom-server/data'
    assert c['Plugins'] == []
    # The declared modality and the final check's AE (from any address: the host check is off).
    assert c['DicomModalities'] == {'CT_SCANNER_1': ['CT_SCANNER_1', '10.0.1.21', 104], 'PACSOPS': ['PACSOPS', '0.0.0.0', 104]}
    assert c['DicomCheckModalityHost'] is False
    assert (c['DicomTlsEnabled'], c['DicomTlsCertificate'], c['DicomTlsRemoteCertificateRequired']) == (False, '', False)
    assert (c['HttpServerEnabled'], c['HttpPort'], c['RemoteAccessAllowed']) == (True, 8042, False)
    assert c['DeidentifyLogs'] is True
    assert not any(c[name] for name in c if name.startswith('DicomAlwaysAllow'))


def test_derive_never_holds_a_password(good):
    d = derived(good, dicom_service_index='mariadb', dicom_service_http_users={'admin': SECRET})
    assert SECRET not in json.dumps(d)
    assert d['packages'] == ['orthanc', 'orthanc-mysql']
    assert config(d['files'][0])['Plugins'] == ['/usr/share/orthanc/plugins/libOrthancMySQLIndex.so']
    assert 'content' not in d['files'][1]


def test_derive_the_block_list_wins_and_the_host_check_needs_every_host(good):
    other = {'ae_title': 'MR_2', 'host': '10.0.1.22', 'port': '4242'}
    d = derived(good, dicom_service_allowed_calling_aes=[MODALITY, other], dicom_service_blocked_calling_aes=['MR_2'],
                dicom_service_verify_source='192.0.2.5')
    c = config(d['files'][0])
    assert c['DicomModalities'] == {'CT_SCANNER_1': ['CT_SCANNER_1', '10.0.1.21', 104], 'PACSOPS': ['PACSOPS', '192.0.2.5', 104]}
    assert c['DicomCheckModalityHost'] is True
    # Without the final check only the declared AEs; a port as given, a missing host is any address.
    c = config(derived(good, dicom_service_verify='no', dicom_service_allowed_calling_aes=[other, {'ae_title': 'US_1'}])['files'][0])
    assert c['DicomModalities'] == {'MR_2': ['MR_2', '10.0.1.22', '4242'], 'US_1': ['US_1', '0.0.0.0', 104]}
    assert c['DicomCheckModalityHost'] is False
    assert config(derived(good, dicom_service_verify=False, dicom_service_allowed_calling_aes=[])['files'][0])[
        'DicomCheckModalityHost'] is True


def test_derive_orthanc_tls_http_and_logging(good):
    c = config(derived(good, dicom_service_tls_cert='/etc/ssl/d.pem', dicom_service_tls_key='/etc/ssl/d.key',
                       dicom_service_tls_trusted_certs='/etc/ssl/ca.pem', dicom_service_http_enabled='no',
                       dicom_service_http_port='8043', dicom_service_http_remote_access='yes', dicom_service_verbose='yes',
                       dicom_service_port='104')['files'][0])
    assert (c['DicomTlsEnabled'], c['DicomTlsCertificate'], c['DicomTlsPrivateKey'], c['DicomTlsTrustedCertificates'],
            c['DicomTlsRemoteCertificateRequired']) == (True, '/etc/ssl/d.pem', '/etc/ssl/d.key', '/etc/ssl/ca.pem', True)
    assert (c['HttpServerEnabled'], c['HttpPort'], c['RemoteAccessAllowed'], c['DeidentifyLogs'], c['DicomPort']) == (
        False, 8043, True, False, 104)


def test_derive_dicom_server(good):
    d = derived(good, dicom_service_engine='dicom_server', dicom_service_binary_src='files/dicom-server',
                dicom_service_blocked_calling_aes=['OLD_DEVICE'], dicom_service_storage_dir='/srv/dicom/data/',
                dicom_service_sysctl={})
    assert d['packages'] == [] and d['binary'] == '/usr/local/bin/dicom-server'
    assert [entry['path'] for entry in d['dirs']] == ['/etc/dicom-server', '/srv/dicom/data', '/srv/dicom/data/',
                                                      '/var/log/dicom-server']
    assert [entry['owner'] for entry in d['dirs']] == ['root', 'dicom', 'dicom', 'dicom']
    # No kernel settings: no sysctl file.
    assert [(f['path'], f['group']) for f in d['files']] == [
        ('/etc/dicom-server/config.json', 'dicom'), ('/etc/systemd/system/dicom-server.service', 'root')]
    assert d['restart_paths'] == [f['path'] for f in d['files']]
    assert d['read_users'] == ['dicom'] and d['read_groups'] == ['dicom']
    assert d['read_files'][-1] == '/usr/local/bin/dicom-server'
    assert d['exec_start'] == '/usr/local/bin/dicom-server start --config /etc/dicom-server/config.json'
    content = d['files'][0]['content']
    # 003's keys in 003's order (not sorted), without TLS keys when TLS is off.
    assert list(json.loads(content)) == ['aeTitle', 'port', 'dataDirectory', 'databaseURL', 'maxConcurrentConnections',
                                         'maxPDUSize', 'allowedCallingAETitles', 'blockedCallingAETitles', 'verbose', 'enableTLS']
    assert json.loads(content) == {
        'aeTitle': 'HOSPITAL_PACS', 'port': 11112, 'dataDirectory': '/srv/dicom/data/', 'databaseURL': '',
        'maxConcurrentConnections': 50, 'maxPDUSize': 65536, 'allowedCallingAETitles': ['CT_SCANNER_1', 'PACSOPS'],
        'blockedCallingAETitles': ['OLD_DEVICE'], 'verbose': False, 'enableTLS': False}
    assert content.endswith('false\n}\n')
    tls = json.loads(derived(good, dicom_service_engine='dicom_server', dicom_service_binary_url='https://x/dicom-server',
                             dicom_service_tls_cert='/etc/ssl/d.pem', dicom_service_tls_key='/etc/ssl/d.key',
                             dicom_service_verify=False, dicom_service_verbose=True)['files'][0]['content'])
    assert list(tls)[-3:] == ['enableTLS', 'tlsCertificate', 'tlsPrivateKey']
    assert (tls['enableTLS'], tls['tlsCertificate'], tls['tlsPrivateKey'], tls['verbose'], tls['allowedCallingAETitles']) == (
        True, '/etc/ssl/d.pem', '/etc/ssl/d.key', True, ['CT_SCANNER_1'])
