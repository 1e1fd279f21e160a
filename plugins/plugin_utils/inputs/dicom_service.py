# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dicom_service role's input rules. Messages name variables and bad values, never the database password."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import (
    duplicates, in_range, matches, network, rejected, truthy)

ROLE = 'dicom_service'
INPUTS = (
    'dicom_service_engine', 'dicom_service_ae_title', 'dicom_service_port', 'dicom_service_max_associations',
    'dicom_service_max_pdu_size', 'dicom_service_storage_dir', 'dicom_service_log_dir',
    'dicom_service_allowed_calling_aes', 'dicom_service_blocked_calling_aes', 'dicom_service_allowed_networks',
    'dicom_service_tls_cert', 'dicom_service_tls_key', 'dicom_service_index', 'dicom_service_mariadb_password',
    'dicom_service_binary_src', 'dicom_service_binary_url', 'dicom_service_verify', 'dicom_service_verify_calling_ae',
)

# PS3.5 AE title: 1-16 characters of the default repertoire without backslash, not only spaces.
AE_TITLE = r'^(?! *$)[ -\[\]-~]{1,16}$'
PATH = r'^/[A-Za-z0-9/_.@+-]*$'


def allowed_titles(inputs):
    """Every calling AE title allowed in: the declared ones and the final check's own."""
    return ([entry.get('ae_title', '') for entry in inputs['dicom_service_allowed_calling_aes']]
            + ([inputs['dicom_service_verify_calling_ae']] if truthy(inputs['dicom_service_verify']) else []))


def check_dicom(inputs):
    allowed = allowed_titles(inputs)
    # The final check's own title and entries without one have messages of their own.
    declared = [entry['ae_title'] for entry in inputs['dicom_service_allowed_calling_aes'] if 'ae_title' in entry]
    bad_titles = rejected(declared + list(inputs['dicom_service_blocked_calling_aes']), AE_TITLE)
    storage_dir = str(inputs['dicom_service_storage_dir'])
    bad_networks = [str(net) for net in inputs['dicom_service_allowed_networks'] if network(net) is None]
    tests = [
        (matches(AE_TITLE, inputs['dicom_service_ae_title']),
         'dicom_service_ae_title=%s must be 1-16 printable ASCII characters without backslash'
         % inputs['dicom_service_ae_title']),
        (matches(AE_TITLE, inputs['dicom_service_verify_calling_ae']),
         'dicom_service_verify_calling_ae=%s must be 1-16 printable ASCII characters without backslash'
         % inputs['dicom_service_verify_calling_ae']),
        (in_range(inputs['dicom_service_port'], 1, 65535), 'dicom_service_port=%s must be 1-65535' % inputs['dicom_service_port']),
        (in_range(inputs['dicom_service_max_associations'], 1),
         'dicom_service_max_associations=%s must be at least 1' % inputs['dicom_service_max_associations']),
        # Orthanc accepts 4096-131072 (MaximumPduLength).
        (in_range(inputs['dicom_service_max_pdu_size'], 4096, 131072),
         'dicom_service_max_pdu_size=%s must be 4096-131072' % inputs['dicom_service_max_pdu_size']),
        (matches(PATH, storage_dir) and storage_dir.count('/') >= 2,
         'dicom_service_storage_dir=%s must match %s, two levels at least' % (storage_dir, PATH)),
        (matches(PATH, inputs['dicom_service_log_dir']),
         'dicom_service_log_dir=%s must match %s' % (inputs['dicom_service_log_dir'], PATH)),
        (not [entry for entry in inputs['dicom_service_allowed_calling_aes'] if 'ae_title' not in entry],
         'each entry of dicom_service_allowed_calling_aes needs ae_title'),
        (not bad_titles, 'calling AE titles %s are not AE titles' % bad_titles),
        (not duplicates(allowed), 'allowed calling AE titles %s repeat (dicom_service_allowed_calling_aes and '
                                  'dicom_service_verify_calling_ae)' % duplicates(allowed)),
        (not bad_networks, 'dicom_service_allowed_networks entries %s are not addresses or CIDRs' % bad_networks),
    ]
    return [message + '.' for ok, message in tests if not ok]


def check_combinations(inputs):
    engine, index = inputs['dicom_service_engine'], inputs['dicom_service_index']
    tests = [
        (bool(inputs['dicom_service_tls_cert']) == bool(inputs['dicom_service_tls_key']),
         'dicom_service_tls_cert and dicom_service_tls_key go together'),
        (engine == 'orthanc' or index == 'sqlite',
         'dicom_service_index=%s needs dicom_service_engine=orthanc (dicom_service_engine=%s)' % (index, engine)),
        (index == 'sqlite' or bool(inputs['dicom_service_mariadb_password']),
         'dicom_service_mariadb_password must be set (from vault) when dicom_service_index is %s' % index),
        (engine == 'orthanc' or bool(inputs['dicom_service_binary_src']) != bool(inputs['dicom_service_binary_url']),
         'the dicom_server engine needs exactly one of dicom_service_binary_src and dicom_service_binary_url'),
    ]
    return [message + '.' for ok, message in tests if not ok]


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    return check_dicom(inputs) + check_combinations(inputs)
