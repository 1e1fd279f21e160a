# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads Lynis' report data file (/var/log/lynis-report.dat).

The file holds one ``key=value`` per line; ``key[]=value`` lines add to a list. Warnings and
suggestions are lists whose values are ``TEST-ID|message|details|solution|`` with ``-`` for an
empty field.
"""

from __future__ import annotations

FINDING_FIELDS = ('test_id', 'message', 'details', 'solution')


def parse_report(text):
    """Returns {key: str} for plain keys and {key: [str, ...]} for ``key[]`` keys, in file order."""
    data = {}
    for line in text.splitlines():
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        if key.endswith('[]'):
            data.setdefault(key[:-2], []).append(value)
        else:
            data[key] = value
    return data


def finding(value):
    """Splits one warning or suggestion value into a dict; ``-`` fields become empty strings."""
    parts = value.split('|')
    fields = [part.strip() for part in parts[:len(FINDING_FIELDS)]]
    fields += [''] * (len(FINDING_FIELDS) - len(fields))
    return {name: ('' if field == '-' else field) for name, field in zip(FINDING_FIELDS, fields)}


def summarise(data):
    """The figures a readiness report needs, from parse_report()'s result."""
    index = data.get('hardening_index', '')
    tests = data.get('tests_executed', '')
    return {
        'hardening_index': int(index) if index.isdigit() else None,
        'lynis_version': data.get('lynis_version', ''),
        'report_datetime_end': data.get('report_datetime_end', ''),
        'tests_performed': int(data['lynis_tests_done']) if data.get('lynis_tests_done', '').isdigit()
        else len([t for t in tests.split('|') if t]),
        'lynis_warnings': [finding(value) for value in data.get('warning', [])],
        'lynis_suggestions': [finding(value) for value in data.get('suggestion', [])],
    }
