# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the unit tests: a real DICOM archive on loopback for dicom_echo (module and action
plugin). pynetdicom is imported when a test asks for the archive; those tests skip without it."""

from __future__ import annotations

import socket

import pytest

ARCHIVE_AE = 'TEST_PACS'


@pytest.fixture
def archive():
    """A Verification SCP on a free loopback port that accepts the calling AE PACSOPS only
    and checks the called AE title, as the dicom_service role configures Orthanc."""
    pynetdicom = pytest.importorskip('pynetdicom')
    from pynetdicom.sop_class import Verification  # pylint: disable=import-outside-toplevel
    ae = pynetdicom.AE(ae_title=ARCHIVE_AE)
    ae.add_supported_context(Verification)
    ae.require_calling_aet = ['PACSOPS']
    ae.require_called_aet = True
    echoes = []

    def on_echo(event):
        echoes.append(event.assoc.requestor.ae_title)
        return 0x0000

    server = ae.start_server(('127.0.0.1', 0), block=False, evt_handlers=[(pynetdicom.evt.EVT_C_ECHO, on_echo)])
    server.echoes = echoes
    server.port = server.server_address[1]
    yield server
    server.shutdown()


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
