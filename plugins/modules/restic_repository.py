#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_repository
short_description: Initialise a restic repository once, or inspect it and choose a snapshot
version_added: 0.2.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Reads a restic repository's config (C(restic cat config)) and snapshot list (C(restic snapshots --json)).
  - With O(state=present), initialises the repository when it does not exist. An existing repository is never
    initialised again, and a repository that exists but cannot be opened (wrong password, unreadable) fails
    instead of being touched.
  - With O(state=inspected), only reads, and fails with a clear message when the repository does not exist, is
    unreachable, or the password is wrong. O(snapshot) then picks one snapshot, O(check) runs C(restic check).
  - The password is read by restic from O(password_file); it never appears on a command line or in the result.
options:
  repository:
    description: The repository location, as restic's C(--repo), for example C(/var/backups/pacsops/restic) or
      C(s3:https://s3.eu-central-1.amazonaws.com/bucket/prefix).
    type: str
    required: true
  password_file:
    description: File holding the repository password (mode 0600, owned by root).
    type: path
    required: true
  environment_file:
    description:
      - File of C(KEY=VALUE) lines added to restic's environment, for example C(AWS_ACCESS_KEY_ID) and
        C(AWS_SECRET_ACCESS_KEY) of an S3 repository. Read on the managed host; its values never appear in the result.
      - Omit it on AWS hosts, where restic takes the instance role's credentials.
    type: path
  environment:
    description: Further environment variables for restic (for example C(AWS_DEFAULT_REGION)); never logged.
    type: dict
    default: {}
  state:
    description:
      - V(present) creates the repository when it is missing.
      - V(inspected) only reads it; a missing repository fails.
    type: str
    choices: [present, inspected]
    default: inspected
  snapshot:
    description:
      - With O(state=inspected), the snapshot to return as RV(snapshot) - V(latest), a snapshot id (or a unique
        prefix of at least 8 hex digits), or a date C(YYYY-MM-DD) or date and time C(YYYY-MM-DD HH:MM[:SS]) in UTC,
        which picks the latest snapshot taken at or before it. Nothing matching fails.
    type: str
  check:
    description: With O(state=inspected), run C(restic check) (structure and index) and fail when it finds errors.
    type: bool
    default: false
  check_read_data_subset:
    description: With O(check), also read back this share of the data, as C(restic check --read-data-subset), for
      example V(5%) or V(1/10).
    type: str
    default: ""
  restic_binary:
    description: The restic program.
    type: path
    default: restic
notes:
  - Supports check mode, in which a missing repository is reported as C(changed) and not created.
requirements:
  - restic 0.14 or newer on the managed host.
attributes:
  check_mode:
    support: full
    description: Reads the same; reports the initialisation it would do.
  diff_mode:
    support: none
    description: A repository has no text to compare.
"""

EXAMPLES = r"""
- name: Create the local repository unless it exists
  pacsops.server.restic_repository:
    repository: /var/backups/pacsops/restic
    password_file: /etc/pacsops/backup/password
    state: present

- name: Refuse to restore from a broken repository; pick the snapshot of 1 March
  pacsops.server.restic_repository:
    repository: s3:https://s3.eu-central-1.amazonaws.com/ipacs-backup/home/ipacs/main/restic
    password_file: /etc/pacsops/backup/password
    snapshot: "2026-03-01"
    check: true
  register: backup_repository

- name: Show the snapshot
  ansible.builtin.debug:
    msg: "{{ backup_repository.snapshot.short_id }} of {{ backup_repository.snapshot.time }}"
"""

RETURN = r"""
exists:
  description: Whether the repository exists (after the task; in check mode, before it).
  returned: always
  type: bool
repository_id:
  description: The repository's id from its config.
  returned: when the repository exists
  type: str
snapshots:
  description: Every snapshot, oldest first, as restic lists them (id, short_id, time, paths, hostname, tags, tree).
  returned: when the repository exists
  type: list
  elements: dict
snapshot:
  description: The snapshot chosen by O(snapshot).
  returned: when O(snapshot) is set
  type: dict
  sample: {"id": "a38c67e46612fbbd55766b246ba60f8aeecb33bb9201bc514b37d2baca90b923", "short_id": "a38c67e4",
           "time": "2026-01-01T10:00:00Z", "paths": ["/home/ipacs/main"]}
checked:
  description: Whether C(restic check) ran and passed.
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils.restic import (
    Restic,
    ResticError,
    parse_time,
    read_env_file,
    select_snapshot,
)

_KIND_HINTS = {
    'no_repository': 'no restic repository at %s (nothing was initialised; run the backup role first)',
    'wrong_password': 'the password in %s does not open the repository',
    'locked': 'the repository is locked by another restic process',
    'failed': 'restic cannot read the repository (unreachable or damaged)',
}


def _fail(module, error, repository, password_file, **result):
    hint = _KIND_HINTS[error.kind]
    if error.kind == 'no_repository':
        hint = hint % repository
    elif error.kind == 'wrong_password':
        hint = hint % password_file
    module.fail_json(msg='%s: %s' % (hint, error.message), error_kind=error.kind, **result)


def run(module):
    params = module.params
    result = dict(changed=False, exists=False, checked=False)
    env = dict(params['environment'])
    if params['environment_file']:
        if not os.path.exists(params['environment_file']) and module.check_mode:
            result.update(changed=params['state'] == 'present',
                          msg='environment file %s not there yet' % params['environment_file'])
            return result
        env.update(read_env_file(params['environment_file']))
    if not os.path.exists(params['password_file']):
        if module.check_mode and params['state'] == 'present':
            # A fresh host in check mode: the role would write the password, then initialise.
            result.update(changed=True, msg='would initialise %s' % params['repository'])
            return result
        module.fail_json(msg='password file %s does not exist' % params['password_file'], **result)

    restic = Restic(module.run_command, params['repository'], params['password_file'], env, params['restic_binary'])
    try:
        config = restic.config()
    except ResticError as error:
        if error.kind != 'no_repository' or params['state'] == 'inspected':
            _fail(module, error, params['repository'], params['password_file'], **result)
        result['changed'] = True
        if module.check_mode:
            result['msg'] = 'would initialise %s' % params['repository']
            return result
        try:
            restic.init()
            config = restic.config()
        except ResticError as init_error:
            _fail(module, init_error, params['repository'], params['password_file'], **result)
    result.update(exists=True, repository_id=config.get('id'))

    if params['state'] == 'inspected':
        try:
            snapshots = sorted(restic.snapshots(), key=lambda snap: parse_time(snap['time']))
            result['snapshots'] = snapshots
            if params['snapshot'] is not None:
                try:
                    result['snapshot'] = select_snapshot(snapshots, params['snapshot'])
                except ValueError as error:
                    module.fail_json(msg='no snapshot to restore: %s' % error, **result)
            if params['check']:
                restic.check(params['check_read_data_subset'])
                result['checked'] = True
        except ResticError as error:
            _fail(module, error, params['repository'], params['password_file'], **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            repository=dict(type='str', required=True),
            password_file=dict(type='path', required=True, no_log=False),
            environment_file=dict(type='path'),
            environment=dict(type='dict', default={}, no_log=True),
            state=dict(type='str', choices=['present', 'inspected'], default='inspected'),
            snapshot=dict(type='str'),
            check=dict(type='bool', default=False),
            check_read_data_subset=dict(type='str', default=''),
            restic_binary=dict(type='path', default='restic'),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == '__main__':
    main()
