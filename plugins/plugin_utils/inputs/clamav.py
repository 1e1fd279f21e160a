# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The clamav role's input rules. Messages name variables and bad values, never a signature's content,
the proxy password or a mirror (a URL may carry credentials)."""

from __future__ import annotations

import re

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import (
    in_range, matches, rejected, truthy)

ROLE = 'clamav'
INPUTS = (
    'clamav_onsite_av', 'clamav_freshclam_enabled', 'clamav_freshclam_private_mirrors',
    'clamav_freshclam_database_mirrors', 'clamav_freshclam_proxy_host', 'clamav_freshclam_proxy_port',
    'clamav_freshclam_proxy_username', 'clamav_freshclam_checks', 'clamav_offline_signatures',
    'clamav_scan_paths', 'clamav_scan_on_calendar', 'clamav_scan_log_file',
    'clamav_exclude_image_stores', 'clamav_exclude_docker_data_root', 'clamav_exclude_database_dir',
    'clamav_exclude_extra_paths',
)

# Paths go into the systemd ExecStart line and the clamd.conf regular expressions without quoting:
# plain characters only ("*" and "?" are globs, allowed in exclusions only).
SCAN_PATH = r'^/[A-Za-z0-9/_.@+-]*$'
EXCLUDE_PATH = r'^/[A-Za-z0-9/_.@+*?-]*$'
# Signature file suffixes clamd loads (sigtool(1), "Database formats").
SIGNATURE_NAME = (r'^[A-Za-z0-9][A-Za-z0-9._-]*\.(cvd|cld|cud|hdb|hsb|hdu|hsu|mdb|msb|mdu|msu|ndb|ndu|ldb|ldu|idb|cdb'
                  r'|crb|cat|fp|sfp|ign|ign2|pdb|gdb|wdb|cbc|ftm|info|yar|yara|pwdb)$')
# The exclusions of vars/main.yml's __clamav_excludes besides its fixed system paths; empty entries drop out.
EXCLUDE_LISTS = ('clamav_exclude_image_stores', 'clamav_exclude_extra_paths')
EXCLUDE_PATHS = ('clamav_exclude_docker_data_root', 'clamav_exclude_database_dir')


def check_paths(inputs):
    errors = []
    bad_scan = rejected(inputs['clamav_scan_paths'], SCAN_PATH)
    if bad_scan:
        errors.append('clamav_scan_paths entries %s must match %s' % (bad_scan, SCAN_PATH))
    if not matches(SCAN_PATH, inputs['clamav_scan_log_file']):
        errors.append('clamav_scan_log_file=%s must match %s' % (inputs['clamav_scan_log_file'], SCAN_PATH))
    for name in EXCLUDE_LISTS:
        bad = rejected([path for path in inputs[name] if path], EXCLUDE_PATH)
        if bad:
            errors.append('%s entries %s must match %s' % (name, bad, EXCLUDE_PATH))
    for name in EXCLUDE_PATHS:
        if inputs[name] and not matches(EXCLUDE_PATH, inputs[name]):
            errors.append('%s=%s must match %s, or be empty' % (name, inputs[name], EXCLUDE_PATH))
    if not str(inputs['clamav_scan_on_calendar']).strip():
        errors.append('clamav_scan_on_calendar must not be empty')
    return errors


def check_signatures(inputs):
    # Items are named by their name only: a content is a signature, a src a controller path.
    declared = inputs['clamav_offline_signatures']
    names = [item.get('name', '') for item in declared]
    both = [item.get('name', '') for item in declared if 'src' in item and 'content' in item]
    neither = [item.get('name', '') for item in declared if 'src' not in item and 'content' not in item]
    errors = []
    if rejected(names, SIGNATURE_NAME):
        errors.append('clamav_offline_signatures names %s must be signature files (daily.cvd, site.ndb, ...)'
                      % rejected(names, SIGNATURE_NAME))
    if both or neither:
        errors.append('clamav_offline_signatures items %s need exactly one of src and content' % (both + neither))
    if not (truthy(inputs['clamav_onsite_av']) or truthy(inputs['clamav_freshclam_enabled']) or declared):
        errors.append('with clamav_freshclam_enabled=false clamd needs clamav_offline_signatures (it has none)')
    return errors


def check_updates(inputs):
    errors = []
    for name in ('clamav_freshclam_private_mirrors', 'clamav_freshclam_database_mirrors'):
        blank = [number for number, mirror in enumerate(inputs[name], 1) if re.search(r'\s', str(mirror))]
        if blank:
            errors.append('%s entries %s (by position) must not contain blanks' % (name, blank))
    if not in_range(inputs['clamav_freshclam_proxy_port'], 1, 65535):
        errors.append('clamav_freshclam_proxy_port=%s must be 1-65535' % inputs['clamav_freshclam_proxy_port'])
    if inputs['clamav_freshclam_proxy_username'] and not inputs['clamav_freshclam_proxy_host']:
        errors.append('clamav_freshclam_proxy_username needs clamav_freshclam_proxy_host')
    if not in_range(inputs['clamav_freshclam_checks'], 1, 50):
        errors.append('clamav_freshclam_checks=%s must be 1-50' % inputs['clamav_freshclam_checks'])
    return errors


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    areas = [('scan paths and exclusions', check_paths(inputs)), ('offline signatures', check_signatures(inputs)),
             ('signature updates', check_updates(inputs))]
    return ['Invalid %s: %s.' % (area, '; '.join(errors)) for area, errors in areas if errors]
