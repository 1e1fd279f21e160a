# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening role's input rules, and the guard that refuses an SSH configuration locking out the play."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import as_int, matches, rejected, truthy

ROLE = 'hardening'
INPUTS = (
    'hardening_ssh_manage', 'hardening_ssh_permit_root_login', 'hardening_ssh_allow_groups', 'hardening_umask',
    'hardening_password_min_days', 'hardening_password_max_days', 'hardening_sysctl_overrides',
    'hardening_audit_phi_paths', 'hardening_updates_reboot_time', 'hardening_shell_timeout',
    # The lock-out guard's view of the connection (vars/main.yml): the login user, whether the play goes
    # through sshd, the user's groups from the host read, and AllowGroups as the drop-in writes it.
    '__hardening_login_user', '__hardening_over_ssh', '__hardening_login_user_groups', '__hardening_ssh_allow_groups',
)

GROUP = r'^[a-z_][a-z0-9_.-]*[$]?$'
UMASK = r'^0?[0-7]{3}$'
SYSCTL_KEY = r'^[a-z0-9_.-]+(/[a-z0-9_.-]+)*$'
PHI_PATH = r'^/[^ ]*$'
CLOCK_TIME = r'^([01][0-9]|2[0-3]):[0-5][0-9]$'


def check_settings(inputs):
    groups = inputs['hardening_ssh_allow_groups']
    min_days, max_days = as_int(inputs['hardening_password_min_days']), as_int(inputs['hardening_password_max_days'])
    timeout = as_int(inputs['hardening_shell_timeout'])
    bad_keys = rejected(inputs['hardening_sysctl_overrides'].keys(), SYSCTL_KEY)
    bad_paths = rejected(inputs['hardening_audit_phi_paths'], PHI_PATH)
    tests = [
        (len(groups) > 0 and not rejected(groups, GROUP),
         'hardening_ssh_allow_groups=%s must list at least one group name (bad: %s)' % (groups, rejected(groups, GROUP))),
        (matches(UMASK, inputs['hardening_umask']),
         'hardening_umask=%s must be three octal digits' % inputs['hardening_umask']),
        (min_days is not None and max_days is not None and min_days <= max_days,
         'hardening_password_min_days=%s must not exceed hardening_password_max_days=%s'
         % (inputs['hardening_password_min_days'], inputs['hardening_password_max_days'])),
        (not bad_keys, 'hardening_sysctl_overrides keys %s are not sysctl keys' % bad_keys),
        (not bad_paths, 'hardening_audit_phi_paths entries %s must be absolute paths without spaces' % bad_paths),
        (matches(CLOCK_TIME, inputs['hardening_updates_reboot_time']),
         'hardening_updates_reboot_time=%s must be HH:MM' % inputs['hardening_updates_reboot_time']),
        (timeout is not None and timeout >= 0,
         'hardening_shell_timeout=%s must be 0 (off) or more seconds' % inputs['hardening_shell_timeout']),
    ]
    return [message + '.' for ok, message in tests if not ok]


def check_lockout(inputs):
    """002 least privilege, but never lock out the connection in use: the SSH login user must be root with
    root logins declared, or a member of one of the allowed groups. Only over SSH (a container or local
    connection does not depend on sshd)."""
    if not (truthy(inputs['hardening_ssh_manage']) and truthy(inputs['__hardening_over_ssh'])):
        return []
    user, groups = inputs['__hardening_login_user'], list(inputs['__hardening_login_user_groups'])
    if user == 'root':
        if inputs['hardening_ssh_permit_root_login'] != 'no':
            return []
        fix = 'set hardening_ssh_permit_root_login: prohibit-password (root with a key) or connect as an admin'
    else:
        if set(groups) & set(inputs['__hardening_ssh_allow_groups']):
            return []
        fix = 'add it to one of hardening_ssh_allow_groups=%s' % (inputs['hardening_ssh_allow_groups'],)
    return ['The SSH login user %s (groups: %s) could not log in again: %s.' % (user, ' '.join(groups), fix)]


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    return check_settings(inputs) + check_lockout(inputs)
