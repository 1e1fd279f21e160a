# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dicom_service role's input rules. Messages name variables and bad values, never the database password."""

from __future__ import annotations

import json
import posixpath
import re

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import (
    as_int, duplicates, in_range, matches, network, rejected, truthy)

ROLE = 'dicom_service'
INPUTS = (
    'dicom_service_engine', 'dicom_service_ae_title', 'dicom_service_port', 'dicom_service_max_associations',
    'dicom_service_max_pdu_size', 'dicom_service_storage_dir', 'dicom_service_log_dir',
    'dicom_service_allowed_calling_aes', 'dicom_service_blocked_calling_aes', 'dicom_service_allowed_networks',
    'dicom_service_tls_cert', 'dicom_service_tls_key', 'dicom_service_index', 'dicom_service_mariadb_password',
    'dicom_service_binary_src', 'dicom_service_binary_url', 'dicom_service_verify', 'dicom_service_verify_calling_ae',
    # What derive() builds the files, directories and the host read from.
    'dicom_service_verify_source', 'dicom_service_tls_trusted_certs', 'dicom_service_verbose', 'dicom_service_http_enabled',
    'dicom_service_http_port', 'dicom_service_http_remote_access', 'dicom_service_sysctl',
    # The role's paths (vars/main.yml) and the engine's account and unit (vars/engine_<engine>.yml, loaded before
    # the validate task).
    '__dicom_service_config_dir', '__dicom_service_sysctl_file', '__dicom_service_user', '__dicom_service_group',
    '__dicom_service_unit_file',
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


# The dicom_server engine's binary (installed by tasks/install.yml); Orthanc's comes with its package.
DICOM_SERVER_BINARY = '/usr/local/bin/dicom-server'
ORTHANC_MYSQL_PLUGIN = '/usr/share/orthanc/plugins/libOrthancMySQLIndex.so'


def known_aes(inputs):
    """The calling AEs let in: the declared ones and the final check's own (its host: the controller's address
    as the host sees it, or empty). 003: the block list wins, a blocked AE title is never a known one."""
    verify = ([{'ae_title': inputs['dicom_service_verify_calling_ae'], 'host': inputs['dicom_service_verify_source']}]
              if truthy(inputs['dicom_service_verify']) else [])
    blocked = inputs['dicom_service_blocked_calling_aes']
    return [entry for entry in list(inputs['dicom_service_allowed_calling_aes']) + verify
            if entry['ae_title'] not in blocked]


def tls(inputs):
    return len(inputs['dicom_service_tls_cert']) > 0


def dicom_server_config(inputs):
    """003 "Configuration File" (config.json), the same keys in the same order."""
    config = {
        'aeTitle': inputs['dicom_service_ae_title'],
        'port': as_int(inputs['dicom_service_port']),
        'dataDirectory': inputs['dicom_service_storage_dir'],
        'databaseURL': '',
        'maxConcurrentConnections': as_int(inputs['dicom_service_max_associations']),
        'maxPDUSize': as_int(inputs['dicom_service_max_pdu_size']),
        'allowedCallingAETitles': [entry['ae_title'] for entry in known_aes(inputs)],
        'blockedCallingAETitles': inputs['dicom_service_blocked_calling_aes'],
        'verbose': truthy(inputs['dicom_service_verbose']),
        'enableTLS': tls(inputs),
    }
    if tls(inputs):
        config.update(tlsCertificate=inputs['dicom_service_tls_cert'], tlsPrivateKey=inputs['dicom_service_tls_key'])
    return config


def orthanc_modality_host(entry):
    """A known AE's host as Orthanc reads it: none declared (or empty) is any address. As the old
    ``regex_replace('^$', '0.0.0.0')`` did: on the host as text."""
    host = entry.get('host', '')
    return re.sub('^$', '0.0.0.0', host if isinstance(host, str) else str(host))


def orthanc_config(inputs):
    """Orthanc's configuration (option names: Orthanc 1.10 "Configuration.json"), without the secrets (those are
    credentials.json's, rendered by its template from the vault values: never in this task's result).
    A known modality is [AET, host, port]: every known AE may echo, store, find, get and move; with
    DicomAlwaysAllow* false no other AE may do anything."""
    known = known_aes(inputs)
    verbose = truthy(inputs['dicom_service_verbose'])
    return {
        'Name': inputs['dicom_service_ae_title'],
        'StorageDirectory': inputs['dicom_service_storage_dir'],
        'IndexDirectory': inputs['dicom_service_storage_dir'],
        'StorageCompression': False,
        # Only the plugin the role asks for (Debian's default loads every installed plugin).
        'Plugins': [ORTHANC_MYSQL_PLUGIN] if inputs['dicom_service_index'] == 'mariadb' else [],
        'DicomServerEnabled': True,
        'DicomAet': inputs['dicom_service_ae_title'],
        'DicomPort': as_int(inputs['dicom_service_port']),
        'DicomCheckCalledAet': True,
        'DicomAlwaysAllowEcho': False,
        'DicomAlwaysAllowStore': False,
        'DicomAlwaysAllowFind': False,
        'DicomAlwaysAllowFindWorklist': False,
        'DicomAlwaysAllowGet': False,
        'DicomAlwaysAllowMove': False,
        # Orthanc checks the calling host only when every known AE declares one.
        'DicomCheckModalityHost': all(entry.get('host', '') != '' for entry in known),
        'DicomModalities': {entry['ae_title']: [entry['ae_title'], orthanc_modality_host(entry), entry.get('port', 104)]
                            for entry in known},
        'DicomModalitiesInDatabase': False,
        # Associations served at once (Orthanc's DICOM server threads).
        'DicomThreadsCount': as_int(inputs['dicom_service_max_associations']),
        'MaximumPduLength': as_int(inputs['dicom_service_max_pdu_size']),
        'DicomTlsEnabled': tls(inputs),
        'DicomTlsCertificate': inputs['dicom_service_tls_cert'],
        'DicomTlsPrivateKey': inputs['dicom_service_tls_key'],
        'DicomTlsTrustedCertificates': inputs['dicom_service_tls_trusted_certs'],
        'DicomTlsRemoteCertificateRequired': len(inputs['dicom_service_tls_trusted_certs']) > 0,
        'HttpServerEnabled': truthy(inputs['dicom_service_http_enabled']),
        'HttpPort': as_int(inputs['dicom_service_http_port']),
        'RemoteAccessAllowed': truthy(inputs['dicom_service_http_remote_access']),
        'AuthenticationEnabled': True,
        'WebDavEnabled': False,
        'ExecuteLuaEnabled': False,
        # 003: no PHI in logs.
        'DeidentifyLogs': not verbose,
        'OverwriteInstances': False,
    }


def nice_json(value, sort_keys=True):
    """Ansible's ``to_nice_json(indent=2)``, with the newline the file ends with."""
    return json.dumps(value, indent=2, sort_keys=sort_keys, separators=(',', ': ')) + '\n'


def engine_files(inputs):
    """The engine's files in pacsops.server.managed_files' shape: its configuration, then its unit (the
    dicom_server's own, Orthanc's hardening drop-in; its directory is created root 0755 when missing)."""
    config_dir, group = inputs['__dicom_service_config_dir'], inputs['__dicom_service_group']
    if inputs['dicom_service_engine'] == 'dicom_server':
        configs = [{'path': config_dir + '/config.json', 'content': nice_json(dicom_server_config(inputs), sort_keys=False),
                    'mode': '0640', 'owner': 'root', 'group': group}]
    else:
        # Orthanc merges every *.json of the directory. credentials.json holds the REST API and database
        # passwords: its template renders them in the file task (no_log), so that they never are data here.
        configs = [{'path': config_dir + '/orthanc.json', 'content': nice_json(orthanc_config(inputs)),
                    'mode': '0640', 'owner': 'root', 'group': group},
                   {'path': config_dir + '/credentials.json', 'src': 'credentials.json.j2',
                    'mode': '0640', 'owner': 'root', 'group': group, 'secret': True}]
    return configs + [{'path': inputs['__dicom_service_unit_file'], 'src': 'service.conf.j2',
                       'mode': '0644', 'owner': 'root', 'group': 'root'}]


def directories(inputs):
    """003 "Directory Structure", created in this order: the configuration (root:<service group>), the
    storage's parent, the storage and the logs (the service's own); 0750 each."""
    user, group = inputs['__dicom_service_user'], inputs['__dicom_service_group']
    storage_dir = inputs['dicom_service_storage_dir']
    return [{'path': inputs['__dicom_service_config_dir'], 'mode': '0750', 'owner': 'root', 'group': group}] + [
        {'path': path, 'mode': '0750', 'owner': user, 'group': group}
        for path in (posixpath.dirname(storage_dir), storage_dir, inputs['dicom_service_log_dir'])]


def exec_start(inputs):
    config_dir = inputs['__dicom_service_config_dir']
    if inputs['dicom_service_engine'] == 'dicom_server':
        return '%s start --config %s/config.json' % (DICOM_SERVER_BINARY, config_dir)
    return '/usr/sbin/Orthanc --logdir=%s %s' % (inputs['dicom_service_log_dir'], config_dir)


def derive(inputs):
    """What the role installs, reads and writes, from valid inputs (the validate task registers it as
    __dicom_service_inputs; tasks, handlers and service.conf.j2 read it as plain data, so that no later task
    renders the AE lists and the engine's configuration again):

    - ``packages``: the engine's packages (Orthanc, its MySQL plugin with the mariadb index; none for dicom_server);
    - ``binary``: dicom_server's binary (empty for Orthanc);
    - ``dirs``: the directories in creation order ({path, mode, owner, group});
    - ``files``: the engine's configuration and unit, then the 003 kernel settings when dicom_service_sysctl has
      any (pacsops.server.managed_files' shape; credentials.json is ``src`` only: its passwords are rendered by
      the file task, never returned here);
    - ``restart_paths``: the engine's files, whose change restarts the service (not the kernel settings);
    - ``read_users``, ``read_groups``, ``read_files``: what the host read asks for (the account only for
      dicom_server: Orthanc's package makes its own; the directories, the files and the binary);
    - ``exec_start``: the unit's ExecStart.
    """
    dicom_server = inputs['dicom_service_engine'] == 'dicom_server'
    if dicom_server:
        packages = []
    else:
        packages = ['orthanc'] + (['orthanc-mysql'] if inputs['dicom_service_index'] == 'mariadb' else [])
    binary = DICOM_SERVER_BINARY if dicom_server else ''
    dirs, engine = directories(inputs), engine_files(inputs)
    files = engine + ([{'path': inputs['__dicom_service_sysctl_file'], 'src': 'sysctl.conf.j2', 'mode': '0644',
                        'owner': 'root', 'group': 'root'}] if len(inputs['dicom_service_sysctl']) > 0 else [])
    return {
        'packages': packages,
        'binary': binary,
        'dirs': dirs,
        'files': files,
        'restart_paths': [entry['path'] for entry in engine],
        'read_users': [inputs['__dicom_service_user']] if dicom_server else [],
        'read_groups': [inputs['__dicom_service_group']] if dicom_server else [],
        'read_files': [entry['path'] for entry in dirs + files] + ([binary] if dicom_server else []),
        'exec_start': exec_start(inputs),
    }
