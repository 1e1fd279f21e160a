#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lynis_report
short_description: Read the hardening index, warnings and suggestions of the last Lynis audit
version_added: 0.2.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Reads the report data file that C(lynis audit system) writes (C(/var/log/lynis-report.dat) by default) and
    returns the hardening index, the warnings and the suggestions as data, for a readiness report or a test.
  - The file holds one C(key=value) per line; C(key[]=value) lines make a list. Each warning and suggestion is
    C(TEST-ID|message|details|solution|), returned as a dict with an empty string where Lynis wrote C(-).
  - Read-only; it does not run Lynis (run C(lynis audit system) first).
options:
  path:
    description: The Lynis report data file.
    type: path
    default: /var/log/lynis-report.dat
  min_hardening_index:
    description:
      - Fail when the hardening index is below this value (the result still carries every figure).
      - V(0) never fails on the index.
    type: int
    default: 0
notes:
  - Supports check mode; it runs the same, as it only reads.
attributes:
  check_mode:
    support: full
    description: Runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
"""

EXAMPLES = r"""
- name: Audit the host
  ansible.builtin.command:
    argv: [lynis, audit, system, --quick, --no-colors]
  changed_when: false

- name: Read the figures, fail below 72
  pacsops.server.lynis_report:
    min_hardening_index: 72
  register: lynis

- name: Show the warnings
  ansible.builtin.debug:
    msg: "{{ lynis.lynis_warnings | map(attribute='test_id') | list }}"
"""

RETURN = r"""
hardening_index:
  description: The hardening index (0-100), or null when the file has none (an audit that did not finish).
  returned: always
  type: int
  sample: 74
lynis_version:
  description: Version of Lynis that wrote the file.
  returned: always
  type: str
  sample: 3.0.8
report_datetime_end:
  description: When the audit finished, as Lynis wrote it.
  returned: always
  type: str
  sample: "2026-11-30 04:01:02"
tests_performed:
  description: Number of tests Lynis ran.
  returned: always
  type: int
  sample: 259
lynis_warnings:
  description: The warnings, in the order Lynis found them (named so, as C(warnings) is Ansible's own key).
  returned: always
  type: list
  elements: dict
  contains:
    test_id:
      description: Lynis test identifier.
      type: str
      sample: PKGS-7392
    message:
      description: What Lynis found.
      type: str
      sample: Found one or more vulnerable packages.
    details:
      description: Details, empty when none.
      type: str
      sample: ""
    solution:
      description: Suggested solution, empty when none.
      type: str
      sample: ""
lynis_suggestions:
  description: The suggestions, same fields as RV(lynis_warnings).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils.lynis import parse_report, summarise


def main():
    module = AnsibleModule(
        argument_spec={
            'path': {'type': 'path', 'default': '/var/log/lynis-report.dat'},
            'min_hardening_index': {'type': 'int', 'default': 0},
        },
        supports_check_mode=True,
    )
    path = module.params['path']
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            text = handle.read()
    except OSError as exc:
        module.fail_json(msg=f'Cannot read the Lynis report data file {path}: {exc.strerror}. Run "lynis audit system" first.')
    result = summarise(parse_report(text))
    minimum = module.params['min_hardening_index']
    if result['hardening_index'] is None:
        module.fail_json(msg=f'{path} has no hardening_index: the audit did not finish.', changed=False, **result)
    if result['hardening_index'] < minimum:
        module.fail_json(msg=f"Lynis hardening index {result['hardening_index']} is below {minimum}.", changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
