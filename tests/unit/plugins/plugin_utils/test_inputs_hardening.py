# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening role's input rules and its SSH lock-out guard: the defaults pass, each bad input is named."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import hardening
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages


@pytest.fixture
def good():
    # The defaults as rendered on Debian, and a play that logs in over SSH as ipacs (group ipacs).
    return defaults('hardening', hardening_admin_group='sudo', hardening_ssh_allow_groups=['ipacs', 'sudo'],
                    hardening_audit_phi_paths=['/home/ipacs/demo', '/var/lib/dicom-server/data', '/var/lib/mysql'],
                    __hardening_login_user='ipacs', __hardening_over_ssh=True,
                    __hardening_login_user_groups=['docker', 'ipacs'], __hardening_ssh_allow_groups=['ipacs', 'sudo'])


def test_every_public_input_the_rules_read_is_a_documented_default():
    public = [name for name in hardening.INPUTS if not name.startswith('__')]
    assert set(public) <= set(defaults('hardening'))


def test_defaults_pass(good):
    assert hardening.check(good) == []


@pytest.mark.parametrize('override, expected', [
    ({'hardening_ssh_allow_groups': []}, 'hardening_ssh_allow_groups=[] must list at least one group name'),
    ({'hardening_ssh_allow_groups': ['ipacs', 'Bad Group']}, "(bad: ['Bad Group'])"),
    ({'hardening_umask': '0278'}, 'hardening_umask=0278 must be three octal digits'),
    ({'hardening_password_min_days': 400}, 'hardening_password_min_days=400 must not exceed hardening_password_max_days=365'),
    ({'hardening_sysctl_overrides': {'net.ipv4.ip_forward': 1, 'Bad Key': 1}}, "hardening_sysctl_overrides keys ['Bad Key']"),
    ({'hardening_audit_phi_paths': ['/srv/phi', 'relative/x', '/with space']},
     "hardening_audit_phi_paths entries ['relative/x', '/with space']"),
    ({'hardening_updates_reboot_time': '24:00'}, 'hardening_updates_reboot_time=24:00 must be HH:MM'),
    ({'hardening_shell_timeout': -1}, 'hardening_shell_timeout=-1 must be 0 (off)'),
    ({'hardening_shell_timeout': 'never'}, 'hardening_shell_timeout=never'),
    # The lock-out guard: ipacs would no longer be in an allowed group.
    ({'hardening_ssh_allow_groups': ['sudo'], '__hardening_ssh_allow_groups': ['sudo']},
     "The SSH login user ipacs (groups: docker ipacs) could not log in again: add it to one of"
     " hardening_ssh_allow_groups=['sudo']."),
    ({'__hardening_login_user': 'root', '__hardening_login_user_groups': ['root']},
     'The SSH login user root (groups: root) could not log in again: set hardening_ssh_permit_root_login'),
])
def test_each_bad_input_is_named(good, override, expected):
    found = messages(hardening, good, **override)
    assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize('override', [
    # Root with root logins declared (AllowGroups then includes root).
    {'__hardening_login_user': 'root', '__hardening_login_user_groups': ['root'],
     'hardening_ssh_permit_root_login': 'prohibit-password', '__hardening_ssh_allow_groups': ['ipacs', 'sudo', 'root']},
    # Not over SSH (docker or local connection), or sshd not managed: nothing to lock out.
    {'__hardening_over_ssh': False, '__hardening_ssh_allow_groups': ['sudo']},
    {'hardening_ssh_manage': False, '__hardening_ssh_allow_groups': ['sudo']},
])
def test_the_lockout_guard_lets_connections_that_keep_working_pass(good, override):
    assert messages(hardening, good, **override) == []


def test_values_are_read_as_ansible_reads_them(good):
    assert messages(hardening, good, hardening_password_min_days='7', hardening_password_max_days='90',
                    hardening_shell_timeout='0', hardening_ssh_manage='no', __hardening_over_ssh='True',
                    __hardening_ssh_allow_groups=['sudo']) == []
