# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening role's input rules and its SSH lock-out guard: the defaults pass, each bad input is named."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import hardening
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages


# A few of Debian 12's own login.defs keys (vars/Debian.yml): it hashes with SHA-512.
DEBIAN_12_LOGIN_DEFS = {'UID_MIN': 1000, 'ENCRYPT_METHOD': 'SHA512', 'PASS_MAX_DAYS': 99999, 'UMASK': '022'}
KEX_COMMON = ('curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,'
              'diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256')


@pytest.fixture
def good():
    # The defaults as rendered on Debian 12 (a VM), and a play that logs in over SSH as ipacs (group ipacs).
    return defaults('hardening', hardening_admin_group='sudo', hardening_ssh_allow_groups=['ipacs', 'sudo'],
                    hardening_audit_phi_paths=['/home/ipacs/demo', '/var/lib/dicom-server/data', '/var/lib/mysql'],
                    __hardening_login_user='ipacs', __hardening_over_ssh=True,
                    __hardening_login_user_groups=['docker', 'ipacs'],
                    __hardening_openssh_major='9', __hardening_login_defs_base=DEBIAN_12_LOGIN_DEFS,
                    __hardening_auditd_unit='auditd.service', __hardening_updates_timer='apt-daily-upgrade.timer',
                    __hardening_sysstat_units=['sysstat.service'], __hardening_in_container=False)


def test_every_public_input_the_rules_read_is_a_documented_default():
    public = [name for name in hardening.INPUTS if not name.startswith('__')]
    assert set(public) <= set(defaults('hardening'))


def test_defaults_pass(good):
    assert hardening.check(good) == []


@pytest.mark.parametrize('override, expected', [
    # (Not over SSH: with no group at all, the lock-out guard would refuse it too.)
    ({'hardening_ssh_allow_groups': [], '__hardening_over_ssh': False},
     'hardening_ssh_allow_groups=[] must list at least one group name'),
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
    ({'hardening_ssh_allow_groups': ['sudo']},
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
     'hardening_ssh_permit_root_login': 'prohibit-password'},
    # A member of root's group when root logins are declared (root joins AllowGroups).
    {'__hardening_login_user_groups': ['root'], 'hardening_ssh_permit_root_login': 'prohibit-password'},
    # Not over SSH (docker or local connection), or sshd not managed: nothing to lock out.
    {'__hardening_over_ssh': False, 'hardening_ssh_allow_groups': ['sudo']},
    {'hardening_ssh_manage': False, 'hardening_ssh_allow_groups': ['sudo']},
])
def test_the_lockout_guard_lets_connections_that_keep_working_pass(good, override):
    assert messages(hardening, good, **override) == []


def test_values_are_read_as_ansible_reads_them(good):
    assert messages(hardening, good, hardening_password_min_days='7', hardening_password_max_days='90',
                    hardening_shell_timeout='0', hardening_ssh_manage='no', __hardening_over_ssh='True',
                    hardening_ssh_allow_groups=['sudo']) == []


def test_a_release_without_a_key_exchange_list_needs_one_given(good):
    assert messages(hardening, good, __hardening_openssh_major='7') == [
        '__hardening_openssh_major=7 has no key exchange list in the role: set hardening_ssh_kex_algorithms.']
    assert messages(hardening, good, __hardening_openssh_major='7', hardening_ssh_kex_algorithms=['curve25519-sha256']) == []
    assert messages(hardening, good, __hardening_openssh_major='7', hardening_ssh_manage=False) == []
    assert hardening.derive(dict(good, __hardening_openssh_major='7', hardening_ssh_manage=False))['ssh_kex_algorithms'] == ''


def test_derive_the_defaults(good):
    derived = hardening.derive(good)
    assert derived['ssh_ciphers'] == ('chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,'
                                      'aes256-ctr,aes192-ctr,aes128-ctr')
    assert derived['ssh_kex_algorithms'] == 'sntrup761x25519-sha512@openssh.com,' + KEX_COMMON
    assert derived['ssh_macs'] == 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com'
    assert derived['ssh_allow_groups'] == ['ipacs', 'sudo']
    assert len(derived['sysctl']) == 39
    assert derived['sysctl']['net.core.rmem_max'] == 16777216 and derived['sysctl']['kernel.sysrq'] == 0
    assert derived['sysctl']['net.ipv4.tcp_rmem'] == '4096 87380 16777216'
    assert 'net.ipv4.ip_forward' not in derived['sysctl']
    # The release's keys, the role's ageing and umask over them, SHA-512's rounds.
    assert derived['login_defs'] == {'UID_MIN': 1000, 'ENCRYPT_METHOD': 'SHA512', 'PASS_MAX_DAYS': 365, 'UMASK': '027',
                                     'PASS_MIN_DAYS': 1, 'PASS_WARN_AGE': 14,
                                     'SHA_CRYPT_MIN_ROUNDS': 65536, 'SHA_CRYPT_MAX_ROUNDS': 65536}
    assert derived['audit_phi_paths'] == ['/home/ipacs/demo', '/var/lib/dicom-server/data', '/var/lib/mysql']
    assert derived['wanted_units'] == [{'unit': 'auditd.service', 'run': True},
                                       {'unit': 'apt-daily-upgrade.timer', 'run': True},
                                       {'unit': 'sysstat.service', 'run': True}]
    assert derived['manages_tmp_mounts'] is False


@pytest.mark.parametrize('major, first', [
    ('8', 'curve25519-sha256,'), ('9', 'sntrup761x25519-sha512@openssh.com,curve25519-sha256,'),
    ('10', 'mlkem768x25519-sha256,sntrup761x25519-sha512@openssh.com,curve25519-sha256,')])
def test_derive_the_key_exchange_list_fits_the_release(good, major, first):
    kex = hardening.derive(dict(good, __hardening_openssh_major=major))['ssh_kex_algorithms']
    assert kex.startswith(first) and kex.endswith(KEX_COMMON)


def test_derive_given_algorithm_lists_replace_the_roles(good):
    derived = hardening.derive(dict(good, hardening_ssh_ciphers=['aes256-ctr', 'aes128-ctr'],
                                    hardening_ssh_kex_algorithms=['curve25519-sha256'],
                                    hardening_ssh_macs=['hmac-sha2-512-etm@openssh.com']))
    assert (derived['ssh_ciphers'], derived['ssh_kex_algorithms'], derived['ssh_macs']) == (
        'aes256-ctr,aes128-ctr', 'curve25519-sha256', 'hmac-sha2-512-etm@openssh.com')


@pytest.mark.parametrize('groups, permit, expected', [
    (['ipacs', 'sudo'], 'prohibit-password', ['ipacs', 'sudo', 'root']),
    (['root', 'sudo'], 'prohibit-password', ['root', 'sudo']),
    # Ansible's unique: the first of each, strings compared without case.
    (['ipacs', 'sudo', 'ipacs', 'IPACS'], 'no', ['ipacs', 'sudo']),
    (['sudo', 'Root'], 'prohibit-password', ['sudo', 'Root']),
])
def test_derive_allow_groups_add_root_when_root_logins_are_declared(good, groups, permit, expected):
    assert hardening.derive(dict(good, hardening_ssh_allow_groups=groups,
                                 hardening_ssh_permit_root_login=permit))['ssh_allow_groups'] == expected


def test_derive_sysctl_overrides_replace_and_add_keys(good):
    sysctl = hardening.derive(dict(good, hardening_sysctl_overrides={'kernel.sysrq': 1, 'net.ipv4.ip_forward': '1'}))['sysctl']
    assert sysctl['kernel.sysrq'] == 1 and sysctl['net.ipv4.ip_forward'] == '1' and len(sysctl) == 40


def test_derive_login_defs_without_sha512_have_no_rounds(good):
    login_defs = hardening.derive(dict(good, __hardening_login_defs_base={'ENCRYPT_METHOD': 'YESCRYPT', 'HOME_MODE': '0700'},
                                       hardening_password_max_days='90', hardening_umask='077'))['login_defs']
    assert login_defs == {'ENCRYPT_METHOD': 'YESCRYPT', 'HOME_MODE': '0700', 'PASS_MAX_DAYS': '90', 'PASS_MIN_DAYS': 1,
                          'PASS_WARN_AGE': 14, 'UMASK': '077'}
    # No ENCRYPT_METHOD at all: no rounds either.
    assert 'SHA_CRYPT_MIN_ROUNDS' not in hardening.derive(dict(good, __hardening_login_defs_base={}))['login_defs']


@pytest.mark.parametrize('override, expected', [
    # A container: auditd is not wanted (the kernel's audit subsystem belongs to the host).
    ({'__hardening_in_container': True}, [('apt-daily-upgrade.timer', True), ('sysstat.service', True)]),
    ({'hardening_auditd_enabled': 'no'}, [('apt-daily-upgrade.timer', True), ('sysstat.service', True)]),
    # Updates off: the timer is kept stopped, not forgotten.
    ({'hardening_updates_enabled': 'false'}, [('auditd.service', True), ('apt-daily-upgrade.timer', False),
                                              ('sysstat.service', True)]),
    ({'hardening_audit_tools': False}, [('auditd.service', True), ('apt-daily-upgrade.timer', True)]),
    ({'hardening_auditd_enabled': False, 'hardening_audit_tools': 'no', 'hardening_updates_enabled': False,
      '__hardening_updates_timer': 'dnf-automatic.timer'}, [('dnf-automatic.timer', False)]),
])
def test_derive_wanted_units(good, override, expected):
    wanted = hardening.derive(dict(good, **override))['wanted_units']
    assert [(unit['unit'], unit['run']) for unit in wanted] == expected


@pytest.mark.parametrize('manage, in_container, expected', [
    (True, False, True), ('yes', False, True), (True, True, False), (False, False, False), ('no', False, False)])
def test_derive_tmp_mounts_only_when_asked_and_not_in_a_container(good, manage, in_container, expected):
    assert hardening.derive(dict(good, hardening_tmp_mounts_manage=manage,
                                 __hardening_in_container=in_container))['manages_tmp_mounts'] is expected
