# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive dicom_echo.main() against a real pynetdicom archive on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

pynetdicom = pytest.importorskip('pynetdicom')

from pynetdicom import AE, evt  # noqa: E402
from pynetdicom.sop_class import Verification  # noqa: E402

from ansible_collections.pacsops.server.tests.unit.plugins.conftest import ARCHIVE_AE  # noqa: E402

from ansible_collections.pacsops.server.plugins.modules import dicom_echo  # noqa: E402


def run_main(capsys, args, check_mode=False):
    """Run main() with module args; return (result dict, failed)."""
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            dicom_echo.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(exc.value.code) == bool(result.get('failed', False))
    return result, bool(exc.value.code)


@pytest.mark.parametrize('check_mode', [False, True])
def test_allowed_calling_ae_gets_success(archive, capsys, check_mode):
    result, failed = run_main(capsys, {'host': '127.0.0.1', 'port': archive.port, 'called_ae': ARCHIVE_AE},
                              check_mode=check_mode)
    assert not failed
    assert result['changed'] is False
    assert result['accepted'] is True and result['connected'] is True
    assert result['status'] == 0
    assert isinstance(result['rtt_ms'], float) and result['rtt_ms'] >= 0
    assert result['rejection'] is None
    assert result['message'] == 'C-ECHO to %s at 127.0.0.1:%s as PACSOPS: status 0x0000 (success)' % (
        ARCHIVE_AE, archive.port)
    # The echo really reached the archive (check mode included: it only reads).
    assert archive.echoes == ['PACSOPS']


def test_unknown_calling_ae_is_rejected_and_fails(archive, capsys):
    result, failed = run_main(capsys, {'host': '127.0.0.1', 'port': archive.port, 'called_ae': ARCHIVE_AE,
                                       'calling_ae': 'OLD_DEVICE'})
    assert failed
    assert result['changed'] is False
    assert result['accepted'] is False and result['connected'] is True
    assert result['status'] is None and result['rtt_ms'] is None
    assert result['rejection']['reason'] == 'Calling AE title not recognised'
    assert result['msg'] == ('association from OLD_DEVICE to %s at 127.0.0.1:%s rejected: Rejected Permanent, '
                             'Service User, Calling AE title not recognised' % (ARCHIVE_AE, archive.port))
    assert archive.echoes == []


def test_rejection_reported_without_failing(archive, capsys):
    result, failed = run_main(capsys, {'host': '127.0.0.1', 'port': archive.port, 'called_ae': ARCHIVE_AE,
                                       'calling_ae': 'OLD_DEVICE', 'fail_on_reject': False})
    assert not failed
    assert result['accepted'] is False


def test_wrong_called_ae_is_rejected(archive, capsys):
    result, failed = run_main(capsys, {'host': '127.0.0.1', 'port': archive.port, 'called_ae': 'ANY-SCP'})
    assert failed
    assert result['rejection']['reason'] == 'Called AE title not recognised'


@pytest.mark.parametrize('check_mode', [False, True])
def test_nothing_listening(closed_port, capsys, check_mode):
    result, failed = run_main(capsys, {'host': '127.0.0.1', 'port': closed_port, 'timeout': 2},
                              check_mode=check_mode)
    assert failed
    assert result['changed'] is False
    assert result['connected'] is False and result['accepted'] is False
    assert result['status'] is None
    assert result['msg'] == ('no connection to 127.0.0.1:%s within 2.0s (nothing listening, filtered or unreachable)'
                             % closed_port)


def test_echo_failure_status_fails(capsys):
    ae = AE(ae_title=ARCHIVE_AE)
    ae.add_supported_context(Verification)
    server = ae.start_server(('127.0.0.1', 0), block=False, evt_handlers=[(evt.EVT_C_ECHO, lambda event: 0x0211)])
    try:
        result, failed = run_main(capsys, {'host': '127.0.0.1', 'port': server.server_address[1],
                                           'called_ae': ARCHIVE_AE})
    finally:
        server.shutdown()
    assert failed
    assert result['accepted'] is True and result['status'] == 0x0211


@pytest.mark.parametrize('args, fragment', [
    ({'calling_ae': 'A_CALLING_AE_THAT_IS_TOO_LONG'}, 'calling_ae'),
    ({'called_ae': '   '}, 'called_ae'),
    ({'port': 70000}, 'port must be 1-65535'),
    ({'tls_cert': '/nonexistent.pem'}, 'need tls=true'),
    ({'tls': True, 'tls_ca_cert': '/nonexistent.pem'}, 'cannot load the TLS files'),
])
def test_bad_input_fails_before_connecting(capsys, args, fragment):
    result, failed = run_main(capsys, dict({'host': '127.0.0.1'}, **args))
    assert failed
    assert fragment in result['msg']
