# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive lynis_report.main() on fabricated Lynis report data files."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.pacsops.server.plugins.module_utils import lynis
from ansible_collections.pacsops.server.plugins.modules import lynis_report

# Shape of a real Lynis 3.0.8 file (Debian 12 container), shortened.
REPORT = """# Lynis Report
report_version_major=1
report_datetime_start=2026-11-30 03:57:56
lynis_version=3.0.8
os=Linux
warning[]=PKGS-7392|Found one or more vulnerable packages.|-|-|
warning[]=SSH-7408|Unsafe setting|AllowTcpForwarding=YES|Use AllowTcpForwarding=NO|
suggestion[]=DEB-0280|Install libpam-tmpdir to set $TMP and $TMPDIR for PAM sessions|-|-|
suggestion[]=KRNL-6000|One or more sysctl values differ from the scan profile and could be tweaked||Change sysctl value|
tests_executed=BOOT-5122|BOOT-5139|KRNL-5820|
lynis_tests_done=259
hardening_index=61
report_datetime_end=2026-11-30 04:01:02
"""


def run_main(capsys, args, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            lynis_report.main()
    result = json.loads(capsys.readouterr().out)
    assert bool(exc.value.code) == bool(result.get('failed', False))
    return result


@pytest.mark.parametrize('check_mode', [False, True])
def test_reads_index_warnings_and_suggestions(tmp_path, capsys, check_mode):
    report = tmp_path / 'lynis-report.dat'
    report.write_text(REPORT)
    result = run_main(capsys, {'path': str(report)}, check_mode=check_mode)
    assert result['changed'] is False and not result.get('failed')
    assert result['hardening_index'] == 61
    assert result['lynis_version'] == '3.0.8'
    assert result['tests_performed'] == 259
    assert result['report_datetime_end'] == '2026-11-30 04:01:02'
    assert result['lynis_warnings'] == [
        {'test_id': 'PKGS-7392', 'message': 'Found one or more vulnerable packages.', 'details': '', 'solution': ''},
        {'test_id': 'SSH-7408', 'message': 'Unsafe setting', 'details': 'AllowTcpForwarding=YES',
         'solution': 'Use AllowTcpForwarding=NO'},
    ]
    assert [s['test_id'] for s in result['lynis_suggestions']] == ['DEB-0280', 'KRNL-6000']
    assert result['lynis_suggestions'][1]['details'] == ''


def test_below_the_minimum_fails_with_the_figures(tmp_path, capsys):
    report = tmp_path / 'lynis-report.dat'
    report.write_text(REPORT)
    result = run_main(capsys, {'path': str(report), 'min_hardening_index': 72})
    assert result['failed'] is True
    assert '61 is below 72' in result['msg']
    assert result['hardening_index'] == 61 and len(result['lynis_warnings']) == 2


def test_at_the_minimum_passes(tmp_path, capsys):
    report = tmp_path / 'lynis-report.dat'
    report.write_text(REPORT)
    assert not run_main(capsys, {'path': str(report), 'min_hardening_index': 61}).get('failed')


def test_unfinished_audit_has_no_index_and_fails(tmp_path, capsys):
    report = tmp_path / 'lynis-report.dat'
    report.write_text('lynis_version=3.0.8\nwarning[]=X-1|m|-|-|\n')
    result = run_main(capsys, {'path': str(report)})
    assert result['failed'] is True and 'did not finish' in result['msg']
    assert result['hardening_index'] is None


def test_missing_file_says_to_run_lynis(tmp_path, capsys):
    result = run_main(capsys, {'path': str(tmp_path / 'absent.dat')})
    assert result['failed'] is True and 'lynis audit system' in result['msg']


def test_parse_keeps_lists_in_order_and_ignores_comments_and_junk():
    data = lynis.parse_report('# c\nnoequals\na=1\nb[]=x\nb[]=y\na=2\nempty=\n')
    assert data == {'a': '2', 'b': ['x', 'y'], 'empty': ''}


def test_finding_pads_short_values_and_keeps_pipes_out():
    assert lynis.finding('AUTH-9230|Configure rounds') == {
        'test_id': 'AUTH-9230', 'message': 'Configure rounds', 'details': '', 'solution': ''}


def test_tests_performed_falls_back_to_the_executed_list():
    summary = lynis.summarise(lynis.parse_report('hardening_index=70\ntests_executed=A-1|B-2|C-3|\n'))
    assert summary['tests_performed'] == 3 and summary['hardening_index'] == 70
