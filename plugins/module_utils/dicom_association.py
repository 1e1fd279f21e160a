# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DICOM associations for the pacsops modules: a C-ECHO (Verification) with pynetdicom.

Works with pynetdicom 2.x (Debian's python3-pynetdicom) and 3.x (the controller's venv).
"""

from __future__ import annotations

import logging
import ssl
import time

try:
    from pynetdicom import AE, evt
    from pynetdicom.sop_class import Verification
    HAS_PYNETDICOM = True
    PYNETDICOM_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - the module reports it
    HAS_PYNETDICOM = False
    PYNETDICOM_IMPORT_ERROR = exc

# DIMSE status of a successful C-ECHO (PS3.7 Annex C).
STATUS_SUCCESS = 0x0000

# The options of pacsops.server.dicom_echo, validated the same way by the module (AnsibleModule) and
# by its action plugin when it runs the C-ECHO in the controller's process (ArgumentSpecValidator).
ECHO_ARGUMENT_SPEC = dict(
    host=dict(type='str', required=True),
    port=dict(type='int', default=11112),
    called_ae=dict(type='str', default='ANY-SCP'),
    calling_ae=dict(type='str', default='PACSOPS'),
    timeout=dict(type='float', default=10),
    tls=dict(type='bool', default=False),
    tls_ca_cert=dict(type='path'),
    tls_cert=dict(type='path'),
    tls_key=dict(type='path'),
    fail_on_reject=dict(type='bool', default=True),
)
ECHO_REQUIRED_BY = dict(tls_key=['tls_cert'])


class DicomAssociationError(Exception):
    """Bad input (a TLS file that cannot be loaded, an AE title that is too long)."""


def tls_context(ca_cert=None, cert=None, key=None):
    """An SSL context for the requestor: verifies the peer against ca_cert (system CAs when None),
    presents cert/key when given (Orthanc asks for a client certificate by default)."""
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_cert)
        if cert:
            context.load_cert_chain(cert, keyfile=key)
    except (OSError, ssl.SSLError) as exc:
        raise DicomAssociationError('cannot load the TLS files: %s' % exc)
    return context


def _check_ae_title(name, value):
    # PS3.5: AE titles are 1-16 characters of the default repertoire, not all spaces, no backslash.
    if not value.strip() or len(value) > 16 or '\\' in value or not all(32 <= ord(c) < 127 for c in value):
        raise DicomAssociationError('%s %r is not a DICOM AE title (1-16 printable ASCII characters, no backslash)'
                                    % (name, value))


def _ms(seconds):
    return round(seconds * 1000.0, 1)


def echo(host, port, called_ae='ANY-SCP', calling_ae='PACSOPS', timeout=10.0, context=None):
    """Open an association to host:port and send one C-ECHO.

    Returns a dict: connected (a TCP connection was made), accepted (the association was
    accepted), status (DIMSE status of the C-ECHO response or None), rtt_ms (C-ECHO request to
    response), association_ms (connect and negotiation), rejection (result/source/reason of an
    A-ASSOCIATE-RJ or None) and message.
    """
    _check_ae_title('called_ae', called_ae)
    _check_ae_title('calling_ae', calling_ae)
    # pynetdicom logs a rejection as an error: keep the module's output clean.
    logging.getLogger('pynetdicom').setLevel(logging.CRITICAL + 1)

    ae = AE(ae_title=calling_ae)
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout

    opened = []
    handlers = [(evt.EVT_CONN_OPEN, lambda event: opened.append(True))]
    tls_args = (context, host) if context is not None else None

    result = dict(connected=False, accepted=False, status=None, rtt_ms=None, association_ms=None, rejection=None)
    where = '%s at %s:%s' % (called_ae, host, port)
    start = time.monotonic()
    assoc = ae.associate(host, port, ae_title=called_ae, tls_args=tls_args, evt_handlers=handlers)
    result['association_ms'] = _ms(time.monotonic() - start)
    result['connected'] = bool(opened)
    try:
        if assoc.is_established:
            result['accepted'] = True
            sent = time.monotonic()
            response = assoc.send_c_echo()
            if response is not None and 'Status' in response:
                status = int(response.Status)
                result['rtt_ms'] = _ms(time.monotonic() - sent)
                result['status'] = status
                result['message'] = 'C-ECHO to %s as %s: status 0x%04X%s' % (
                    where, calling_ae, status, ' (success)' if status == STATUS_SUCCESS else '')
            else:
                result['message'] = 'C-ECHO to %s as %s: no response within %ss' % (where, calling_ae, timeout)
        elif assoc.is_rejected:
            primitive = assoc.acceptor.primitive
            result['rejection'] = dict(result=primitive.result_str, source=primitive.source_str,
                                       reason=primitive.reason_str)
            result['message'] = 'association from %s to %s rejected: %s, %s, %s' % (
                calling_ae, where, primitive.result_str, primitive.source_str, primitive.reason_str)
        elif not result['connected']:
            result['message'] = 'no connection to %s:%s within %ss (nothing listening, filtered or unreachable)' % (
                host, port, timeout)
        else:
            result['message'] = 'association from %s to %s aborted or timed out after connecting%s' % (
                calling_ae, where, ' (TLS handshake failed?)' if context is not None else '')
    finally:
        if assoc.is_established:
            assoc.release()
        ae.shutdown()
    return result


def echo_succeeded(result):
    """True when the association was accepted and the C-ECHO answered Success."""
    return result['accepted'] and result['status'] == STATUS_SUCCESS


def echo_task(params):
    """The whole dicom_echo task on validated parameters (ECHO_ARGUMENT_SPEC), for the module and the
    action plugin alike: the task result, with failed=True and msg when the task fails."""
    if not 1 <= params['port'] <= 65535:
        return dict(failed=True, msg='port must be 1-65535, got %s' % params['port'])
    if params['timeout'] <= 0:
        return dict(failed=True, msg='timeout must be positive, got %s' % params['timeout'])
    if not params['tls'] and (params['tls_ca_cert'] or params['tls_cert']):
        return dict(failed=True, msg='tls_ca_cert and tls_cert need tls=true')
    try:
        context = tls_context(params['tls_ca_cert'], params['tls_cert'], params['tls_key']) if params['tls'] else None
        result = echo(params['host'], params['port'], called_ae=params['called_ae'], calling_ae=params['calling_ae'],
                      timeout=params['timeout'], context=context)
    except DicomAssociationError as exc:
        return dict(failed=True, msg=str(exc))
    result['changed'] = False
    if params['fail_on_reject'] and not echo_succeeded(result):
        result.update(failed=True, msg=result['message'])
    return result
