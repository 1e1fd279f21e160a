# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive pacs_preflight.main() end to end on fabricated host trees."""

from __future__ import annotations

import functools
import json

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.pacsops.server.plugins.module_utils import preflight
from ansible_collections.pacsops.server.plugins.modules import pacs_preflight
from ansible_collections.pacsops.server.tests.unit.plugins.hosttree import (
    GB,
    MDSTAT_DEGRADED,
    FakeStatvfs,
    make_host,
)


@pytest.fixture
def host(tmp_path, monkeypatch):
    """Point the module at a fabricated host: returns a function that builds it."""
    def build(sizes=None, **kwargs):
        make_host(tmp_path, **kwargs)
        statvfs = FakeStatvfs(tmp_path, sizes or {'/': 100 * GB, '/home': 1000 * GB})
        monkeypatch.setattr(preflight, 'run',
                            functools.partial(preflight.run, root=str(tmp_path), statvfs=statvfs, affinity=None))
        return tmp_path
    return build


def run_main(capsys, args, check_mode=False):
    """Run main() with module args; return (result dict, failed)."""
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            pacs_preflight.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(exc.value.code) == bool(result.get('failed', False))
    return result, bool(exc.value.code)


@pytest.mark.parametrize('check_mode', [False, True])
def test_ready_host_passes(host, capsys, check_mode):
    host(cpus=8, memory_gib=32, nics={'eno1': 10000})
    result, failed = run_main(capsys, {'profile': 'ipacs'}, check_mode=check_mode)
    assert not failed
    assert result['changed'] is False
    assert result['ready'] is True
    assert result['profile'] == 'ipacs'
    assert len(result['checks']) == 8
    assert result['facts']['cpu_cores'] == 8


@pytest.mark.parametrize('check_mode', [False, True])
def test_unmet_fails_with_every_failed_check(host, capsys, check_mode):
    host(cpus=2, memory_gib=8, mdstat=MDSTAT_DEGRADED, sizes={'/': 100 * GB, '/home': 300 * GB})
    result, failed = run_main(capsys, {'profile': 'ipacs'}, check_mode=check_mode)
    assert failed
    assert result['changed'] is False
    assert result['ready'] is False
    msg = result['msg']
    assert msg.startswith('Host does not meet the ipacs requirements: ')
    for fragment in ('cpu_cores: found 2, required >= 4', 'memory: found 8 GiB, required >= 16 GiB',
                     'storage_home: found 300 GB', 'raid: found md0 raid1 active [U_]'):
        assert fragment in msg
    assert [c['name'] for c in result['checks'] if c['status'] == 'fail'] == [
        'cpu_cores', 'memory', 'storage_home', 'raid']


def test_unmet_reports_without_failing(host, capsys):
    host(cpus=2, memory_gib=8)
    result, failed = run_main(capsys, {'profile': 'ipacs', 'fail_on_unmet': False})
    assert not failed
    assert result['ready'] is False
    assert result['changed'] is False


def test_warnings_do_not_fail(host, capsys):
    host(cpus=4, memory_gib=16, nics={'ens5': -1}, mdstat=None)
    result, failed = run_main(capsys, {'profile': 'ipacs'})
    assert not failed
    assert result['ready'] is True
    assert sorted(c['name'] for c in result['checks'] if c['status'] == 'warn') == ['memory', 'network', 'raid']


def test_o3_options(host, capsys):
    host(cpus=16, memory_gib=64, nics={'eth0': 1000}, dirs=())
    result, failed = run_main(capsys, {'profile': 'o3', 'concurrent_users': 75, 'paths': {'storage': '/data/o3'}})
    assert failed
    assert 'cpu_cores: found 16, required >= 21' in result['msg']
    result, failed = run_main(capsys, {'profile': 'o3', 'concurrent_users': 12, 'pathology': True})
    assert failed
    assert 'cpu_cores: found 16, required >= 18' in result['msg']
    result, failed = run_main(capsys, {'profile': 'o3', 'concurrent_users': 75, 'thresholds': {'cores_min': 16}})
    assert not failed


def test_cifs_home_is_refused(host, capsys):
    host(mounts=[('/dev/sda1', '/', 'ext4'), ('//nas/home', '/home', 'cifs')])
    result, failed = run_main(capsys, {'profile': 'ipacs'})
    assert failed
    assert 'filesystem_home: found cifs at /home' in result['msg']


@pytest.mark.parametrize('args,message', [
    ({'profile': 'ipacs', 'thresholds': {'ram': 4}}, 'unknown threshold(s) for profile ipacs: ram'),
    ({'profile': 'o3', 'concurrent_users': 0}, 'concurrent_users must be at least 1'),
    ({'profile': 'dicom_server', 'paths': {'app': '/x'}}, 'unknown path key(s) for profile dicom_server: app'),
])
def test_bad_input_fails_cleanly(host, capsys, args, message):
    host()
    result, failed = run_main(capsys, args)
    assert failed
    assert message in result['msg']
    assert 'checks' not in result


def test_profile_is_required_and_checked(host, capsys):
    host()
    result, failed = run_main(capsys, {'profile': 'orthanc'})
    assert failed
    assert 'value of profile must be one of' in result['msg']


# ---------------------------------------------------------------- the web server certificate

def _certificate(days_valid, generalized=False):
    """A self-signed PEM certificate valid from yesterday for days_valid days (GeneralizedTime past 2049)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'pacs.example.org')])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    end = (datetime.datetime(2051, 3, 1, tzinfo=datetime.timezone.utc) if generalized
           else start + datetime.timedelta(days=days_valid + 1, hours=1))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode(), end


@pytest.mark.parametrize('days, status', [(400, 'pass'), (29, 'warn'), (-1, 'warn')])
def test_certificate_days_to_expiry_are_reported_and_warned_under_30(host, capsys, days, status):
    root = host(cpus=8, memory_gib=32, nics={'eno1': 10000})
    pem, end = _certificate(days)
    (root / 'etc/ssl/pacsops').mkdir(parents=True)
    (root / 'etc/ssl/pacsops/server.crt').write_text(pem)
    result, failed = run_main(capsys, {'profile': 'ipacs', 'tls_certificates': ['/etc/ssl/pacsops/server.crt']})
    check = result['checks'][-1]
    assert not failed and result['ready'] is True, 'a certificate never fails the host'
    assert check['name'] == 'tls_certificate /etc/ssl/pacsops/server.crt'
    assert check['status'] == status, check
    assert check['found'] == 'expires %s (%d days)' % (end.strftime('%Y-%m-%d'), days), check
    assert ('renew' in check['remediation']) is (status == 'warn')


def test_missing_or_unreadable_certificate_is_a_warning(host, capsys):
    root = host(cpus=8, memory_gib=32, nics={'eno1': 10000})
    (root / 'etc/ssl').mkdir(parents=True, exist_ok=True)
    (root / 'etc/ssl/garbage.crt').write_text('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    result, failed = run_main(capsys, {'profile': 'ipacs', 'tls_certificates': ['/etc/ssl/none.crt', '/etc/ssl/garbage.crt']})
    missing, garbage = result['checks'][-2:]
    assert not failed
    assert (missing['status'], missing['found']) == ('warn', 'not installed')
    assert garbage['status'] == 'warn' and garbage['found'].startswith('unreadable'), garbage


def test_generalized_time_after_2049_is_read():
    import datetime

    from ansible_collections.pacsops.server.plugins.module_utils import tls_expiry

    pem, end = _certificate(0, generalized=True)
    assert tls_expiry.not_after(pem) == end
    assert tls_expiry.days_left(pem, datetime.datetime(2051, 2, 1, tzinfo=datetime.timezone.utc)) == 28
