# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small checks shared by the roles' input rules (plugins/action/validate_inputs.py)."""

from __future__ import annotations

import ipaddress
import re

ABSOLUTE_PATH = re.compile(r'^/[^\s]+$')
ONE_LINE = re.compile(r'^[^\n\r]+$')


def matches(pattern, value):
    """Whether the whole of str(value) matches: Jinja's ``is match`` anchors at the start only, the
    patterns here carry their own ``$``."""
    return re.match(pattern, str(value)) is not None


def rejected(values, pattern):
    """The values (as strings) that do not match the pattern, in order."""
    return [str(value) for value in values if not matches(pattern, value)]


def network(value, version=None):
    """``value`` as an IP network, as the standard library reads it (an address is a /32 or /128; host bits may
    be set), or None when it is not one or not of ``version``."""
    try:
        parsed = ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return None
    return parsed if version in (None, parsed.version) else None


def as_int(value, default=None):
    """An integer input as Ansible's ``int`` filter reads it (``'3306'`` is 3306), or ``default``."""
    if isinstance(value, bool):
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def in_range(value, low, high=None):
    number = as_int(value)
    return number is not None and number >= low and (high is None or number <= high)


def duplicates(values):
    seen, repeated = set(), []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated


def unique(values):
    """Ansible's ``unique`` filter as roles call it (case_sensitive unset, so false): the first of the values equal
    when lower-cased is kept, in order (``/srv/Data`` after ``/srv/data`` is dropped)."""
    seen, out = [], []
    for value in values:
        key = value.lower() if isinstance(value, str) else value
        if key not in seen:
            seen.append(key)
            out.append(value)
    return out


def truthy(value):
    """Ansible's ``bool`` filter."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on', 'y', 't')
