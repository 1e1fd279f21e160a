# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The clamav role's input rules, and what the role writes and runs, derived from valid inputs. Messages name
variables and bad values, never a signature's content, the proxy password or a mirror (a URL may carry
credentials); the derived data holds neither the proxy password nor a mirror."""

from __future__ import annotations

import json
import re

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import (
    in_range, matches, rejected, truthy, unique)

ROLE = 'clamav'
INPUTS = (
    'clamav_onsite_av', 'clamav_freshclam_enabled', 'clamav_freshclam_private_mirrors',
    'clamav_freshclam_database_mirrors', 'clamav_freshclam_proxy_host', 'clamav_freshclam_proxy_port',
    'clamav_freshclam_proxy_username', 'clamav_freshclam_checks', 'clamav_offline_signatures',
    'clamav_scan_paths', 'clamav_scan_on_calendar', 'clamav_scan_log_file',
    'clamav_exclude_image_stores', 'clamav_exclude_docker_data_root', 'clamav_exclude_database_dir',
    'clamav_exclude_extra_paths',
    # What derive() builds the files, the units and the host read from: more role variables, the names of
    # vars/<os_family>.yml (loaded before the validate task) and the scan unit's name (vars/main.yml).
    # The proxy password only decides the file mode and the secret flag; it is never derived.
    'clamav_onsite_av_note', 'clamav_scan_enabled', 'clamav_freshclam_proxy_password', '__clamav_packages',
    '__clamav_clamd_service', '__clamav_freshclam_service', '__clamav_clamd_conf', '__clamav_freshclam_conf',
    '__clamav_database_dir', '__clamav_db_owner', '__clamav_db_group', '__clamav_condition_dropin_units',
    '__clamav_scan_unit',
)

# Paths go into the systemd ExecStart line and the clamd.conf regular expressions without quoting:
# plain characters only ("*" and "?" are globs, allowed in exclusions only).
SCAN_PATH = r'^/[A-Za-z0-9/_.@+-]*$'
EXCLUDE_PATH = r'^/[A-Za-z0-9/_.@+*?-]*$'
# Signature file suffixes clamd loads (sigtool(1), "Database formats").
SIGNATURE_NAME = (r'^[A-Za-z0-9][A-Za-z0-9._-]*\.(cvd|cld|cud|hdb|hsb|hdu|hsu|mdb|msb|mdu|msu|ndb|ndu|ldb|ldu|idb|cdb'
                  r'|crb|cat|fp|sfp|ign|ign2|pdb|gdb|wdb|cbc|ftm|info|yar|yara|pwdb)$')
# The exclusions of clamd_excludes() besides its fixed system paths; empty entries drop out.
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


# Always excluded from scanning: kernel pseudo file systems (the database directory is added by clamd_excludes()).
EXCLUDE_SYSTEM_PATHS = ('/proc', '/sys', '/dev', '/run')
# The local fact recording who provides antivirus (ansible_local.pacsops_antivirus), written in the on-site mode.
FACT_FILE = '/etc/ansible/facts.d/pacsops_antivirus.fact'
SYSTEMD_DIR = '/etc/systemd/system/'


def clamd_excludes(inputs):
    """Every path clamd.conf excludes (globs), in order: the system paths, the image stores, the Docker data
    root, the database directory (the variable and the OS's), then the extra paths; empty entries drop out."""
    paths = (list(EXCLUDE_SYSTEM_PATHS) + list(inputs['clamav_exclude_image_stores'])
             + [inputs['clamav_exclude_docker_data_root'], inputs['clamav_exclude_database_dir']]
             + list(inputs['clamav_exclude_extra_paths']))
    return unique(unique([path for path in paths if path]) + [inputs['__clamav_database_dir']])


def config_file(path, src, mode='0644', group='root', **more):
    return dict({'path': path, 'src': src, 'mode': mode, 'owner': 'root', 'group': group}, **more)


def files(inputs, secret):
    """The files of pacsops.server.managed_files: the on-site mode writes only the local fact; otherwise the
    configuration, the unit drop-ins and the signature files given as content, and the fact file is removed.
    Signature files from the controller (src) go through ansible.builtin.copy: they may be large and are not
    templates."""
    if truthy(inputs['clamav_onsite_av']):
        fact = {'provider': 'onsite', 'note': inputs['clamav_onsite_av_note']}
        # As the filter to_nice_json wrote it.
        return [{'path': FACT_FILE, 'content': json.dumps(fact, indent=4, sort_keys=True, separators=(',', ': ')) + '\n',
                 'mode': '0644', 'owner': 'root', 'group': 'root'}]
    service, timer = scan_unit_files(inputs)
    # The proxy password must not be world-readable.
    out = [config_file(inputs['__clamav_clamd_conf'], 'clamd.conf.j2'),
           config_file(inputs['__clamav_freshclam_conf'], 'freshclam.conf.j2', '0640' if secret else '0644',
                       inputs['__clamav_db_group'], secret=secret),
           config_file(service, 'scan.service.j2'), config_file(timer, 'scan.timer.j2'),
           {'path': FACT_FILE, 'state': 'absent'}]
    out += [config_file(path, 'signature-condition.conf.j2') for path in dropin_files(inputs)]
    out += [{'content': item['content'], 'path': '%s/%s' % (inputs['__clamav_database_dir'], item['name']),
             'mode': '0644', 'owner': inputs['__clamav_db_owner'], 'group': inputs['__clamav_db_group']}
            for item in inputs['clamav_offline_signatures'] if 'content' in item]
    return out


def scan_unit_files(inputs):
    return ['%s%s.service' % (SYSTEMD_DIR, inputs['__clamav_scan_unit']),
            '%s%s.timer' % (SYSTEMD_DIR, inputs['__clamav_scan_unit'])]


def dropin_files(inputs):
    """Debian's packaged units start only when main.* and daily.* exist; the drop-ins let clamd start on the
    operator's signatures alone (vars/Debian.yml)."""
    return ['%s%s.d/pacsops-signatures.conf' % (SYSTEMD_DIR, unit) for unit in inputs['__clamav_condition_dropin_units']]


def derive(inputs):
    """What the role writes, runs and reads, from valid inputs (the validate task registers it; tasks, templates
    and handlers read it as plain data, so no later task renders these lists or the proxy defaults again):

    - ``files``: the files of pacsops.server.managed_files (on-site mode: the local fact only); the freshclam.conf
      entry is 0640 and a secret when a proxy password is set;
    - ``secret``: a proxy password is set (the file task's output and diff are hidden then, as before);
    - ``units``: clamd, freshclam and the scan timer, each with ``run`` (whether it should run);
    - ``read_packages``, ``read_units``: what the host read asks for (nothing in the on-site mode);
    - ``clamd_inputs``: the files whose change restarts clamd (its configuration, the drop-ins, the signatures
      given as content);
    - ``scan_unit_files``: the scan's service and timer, whose change restarts the timer;
    - ``clamd_excludes``: the paths clamd.conf excludes (globs);
    - ``freshclam_proxy``: freshclam's proxy ``host``, ``port`` and ``username`` as the inputs rendered them (the
      password stays a variable: the registered result is shown with -v).
    """
    onsite = truthy(inputs['clamav_onsite_av'])
    # As `| length > 0` read it; str() only for a non-string a length would refuse.
    secret = len(str(inputs['clamav_freshclam_proxy_password'])) > 0
    # Offline sites: freshclam would only fail against mirrors it cannot reach.
    units = [{'name': inputs['__clamav_clamd_service'], 'run': True},
             {'name': inputs['__clamav_freshclam_service'], 'run': truthy(inputs['clamav_freshclam_enabled'])},
             {'name': '%s.timer' % inputs['__clamav_scan_unit'], 'run': truthy(inputs['clamav_scan_enabled'])}]
    signatures = ['%s/%s' % (inputs['__clamav_database_dir'], item['name'])
                  for item in inputs['clamav_offline_signatures'] if 'content' in item]
    return {
        'files': files(inputs, secret),
        'secret': secret,
        'units': units,
        'read_packages': [] if onsite else list(inputs['__clamav_packages']),
        'read_units': [] if onsite else [unit['name'] for unit in units],
        'clamd_inputs': [inputs['__clamav_clamd_conf']] + dropin_files(inputs) + signatures,
        'scan_unit_files': scan_unit_files(inputs),
        'clamd_excludes': clamd_excludes(inputs),
        'freshclam_proxy': {name: inputs['clamav_freshclam_proxy_%s' % name] for name in ('host', 'port', 'username')},
    }
