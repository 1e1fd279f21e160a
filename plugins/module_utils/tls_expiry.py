# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expiry date of a PEM certificate, read without a crypto library.

The readiness report runs before anything is installed on the host, so it cannot rely on
python3-cryptography being there. An X.509 certificate's validity is at a fixed place of its
DER encoding (RFC 5280 4.1): Certificate -> tbsCertificate -> [version], serialNumber,
signature, issuer, validity -> notBefore, notAfter. Only that walk is done here.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re

_PEM = re.compile(r'-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----', re.S)
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_CONTEXT_0 = 0xA0


class CertificateError(Exception):
    """The text holds no certificate whose validity can be read."""


def _item(der, pos):
    """(tag, start of content, end of content) of the DER item at pos."""
    if pos + 2 > len(der):
        raise CertificateError('truncated DER')
    tag = der[pos]
    length = der[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(der):
            raise CertificateError('bad DER length')
        length = int.from_bytes(der[pos:pos + count], 'big')
        pos += count
    if pos + length > len(der):
        raise CertificateError('truncated DER')
    return tag, pos, pos + length


def _time(tag, text):
    if tag == _UTC_TIME:
        # RFC 5280 4.1.2.5.1: YYMMDDHHMMSSZ, years 50-99 are 19xx.
        parsed = datetime.datetime.strptime(text, '%y%m%d%H%M%SZ')
        if parsed.year >= 2050:
            parsed = parsed.replace(year=parsed.year - 100)
    elif tag == _GENERALIZED_TIME:
        parsed = datetime.datetime.strptime(text, '%Y%m%d%H%M%SZ')
    else:
        raise CertificateError('validity is not a time')
    return parsed.replace(tzinfo=datetime.timezone.utc)


def not_after(pem_text):
    """The notAfter of the first certificate in pem_text, as an aware UTC datetime."""
    match = _PEM.search(pem_text)
    if not match:
        raise CertificateError('no PEM certificate')
    try:
        der = base64.b64decode(''.join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        raise CertificateError('PEM body is not base64')
    _tag, start, _end = _item(der, 0)          # Certificate
    _tag, pos, _end = _item(der, start)        # tbsCertificate
    tag, _start, end = _item(der, pos)
    if tag == _CONTEXT_0:                      # [0] version, absent in v1 certificates
        pos = end
    for _field in ('serialNumber', 'signature', 'issuer'):
        _tag, _start, pos = _item(der, pos)
    _tag, validity, _end = _item(der, pos)
    _tag, _start, after = _item(der, validity)  # notBefore
    tag, start, end = _item(der, after)         # notAfter
    try:
        return _time(tag, der[start:end].decode('ascii'))
    except (UnicodeDecodeError, ValueError):
        raise CertificateError('unreadable notAfter')


def days_left(pem_text, now):
    """Whole days from now (aware UTC datetime) to the certificate's notAfter; negative once expired."""
    return (not_after(pem_text) - now).days
