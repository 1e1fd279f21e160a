# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dicom_service role's input rules: the defaults pass, each bad input is named, the password never is."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import dicom_service
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

SECRET = 'vault-secret-5c2e'
MODALITY = {'ae_title': 'CT_SCANNER_1', 'host': '10.0.1.21', 'port': 104}


@pytest.fixture
def good():
    return defaults('dicom_service', dicom_service_verify_host='192.0.2.10', dicom_service_allowed_calling_aes=[MODALITY],
                    dicom_service_blocked_calling_aes=['OLD_DEVICE'], dicom_service_allowed_networks=['10.0.0.0/8', 'fd00::/8'],
                    dicom_service_mariadb_password=SECRET)


def test_every_input_the_rules_read_is_a_documented_default(good):
    assert set(dicom_service.INPUTS) <= set(good)


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
