# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening role's input rules, the guard that refuses an SSH configuration locking out the play, and what
the role writes and runs, derived from valid inputs: the sshd drop-in's algorithms and AllowGroups, the sysctl
and login.defs keys, the audited PHI paths and the units to keep running."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import (
    as_int, matches, rejected, truthy, unique)

ROLE = 'hardening'
INPUTS = (
    'hardening_ssh_manage', 'hardening_ssh_permit_root_login', 'hardening_ssh_allow_groups', 'hardening_umask',
    'hardening_password_min_days', 'hardening_password_max_days', 'hardening_sysctl_overrides',
    'hardening_audit_phi_paths', 'hardening_updates_reboot_time', 'hardening_shell_timeout',
    # The lock-out guard's view of the connection (vars/main.yml): the login user, whether the play goes
    # through sshd and the user's groups from the host read.
    '__hardening_login_user', '__hardening_over_ssh', '__hardening_login_user_groups',
    # What derive() builds the files and the wanted units from: the role's variables, the release's names
    # (vars/<os_family>.yml) and whether the host is a container (vars/main.yml, from two facts).
    'hardening_ssh_ciphers', 'hardening_ssh_kex_algorithms', 'hardening_ssh_macs', 'hardening_password_warn_days',
    'hardening_auditd_enabled', 'hardening_updates_enabled', 'hardening_audit_tools', 'hardening_tmp_mounts_manage',
    '__hardening_openssh_major', '__hardening_login_defs_base', '__hardening_auditd_unit', '__hardening_updates_timer',
    '__hardening_sysstat_units', '__hardening_in_container',
)

GROUP = r'^[a-z_][a-z0-9_.-]*[$]?$'
UMASK = r'^0?[0-7]{3}$'
SYSCTL_KEY = r'^[a-z0-9_.-]+(/[a-z0-9_.-]+)*$'
PHI_PATH = r'^/[^ ]*$'
CLOCK_TIME = r'^([01][0-9]|2[0-3]):[0-5][0-9]$'

# Modern algorithms (no CBC, no SHA-1, no NIST curves); lists per OpenSSH version of the release:
# Debian 12 has OpenSSH 9.2 (sntrup761), Debian 13 10.0 (ML-KEM, its default), EL 9 8.7, EL 8 8.0.
# An algorithm the daemon does not know makes `sshd -t` fail, so the list must fit the release
# (__hardening_openssh_major, vars/<os_family>.yml).
SSH_CIPHERS = ('chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,'
               'aes256-ctr,aes192-ctr,aes128-ctr')
SSH_MACS = 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com'
SSH_KEX_COMMON = ('curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,'
                  'diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha256')
SSH_KEX_BY_OPENSSH = {
    '8': SSH_KEX_COMMON,
    '9': 'sntrup761x25519-sha512@openssh.com,' + SSH_KEX_COMMON,
    '10': 'mlkem768x25519-sha256,sntrup761x25519-sha512@openssh.com,' + SSH_KEX_COMMON,
}

# 003 (Performance Tuning): the network buffers and TCP options, then the usual kernel and network protections.
# Docker publishes container ports by forwarding: net.ipv4.ip_forward stays as the docker role sets it.
SYSCTL_DEFAULTS = {
    'net.core.rmem_max': 16777216,
    'net.core.wmem_max': 16777216,
    'net.ipv4.tcp_rmem': '4096 87380 16777216',
    'net.ipv4.tcp_wmem': '4096 65536 16777216',
    'fs.file-max': 2097152,
    'net.ipv4.tcp_window_scaling': 1,
    'net.ipv4.tcp_timestamps': 1,
    'net.ipv4.tcp_sack': 1,
    'net.ipv4.tcp_syncookies': 1,
    'net.ipv4.conf.all.rp_filter': 1,
    'net.ipv4.conf.default.rp_filter': 1,
    'net.ipv4.conf.all.accept_redirects': 0,
    'net.ipv4.conf.default.accept_redirects': 0,
    'net.ipv4.conf.all.secure_redirects': 0,
    'net.ipv4.conf.default.secure_redirects': 0,
    'net.ipv4.conf.all.send_redirects': 0,
    'net.ipv4.conf.default.send_redirects': 0,
    'net.ipv6.conf.all.accept_redirects': 0,
    'net.ipv6.conf.default.accept_redirects': 0,
    'net.ipv4.conf.all.accept_source_route': 0,
    'net.ipv4.conf.default.accept_source_route': 0,
    'net.ipv6.conf.all.accept_source_route': 0,
    'net.ipv6.conf.default.accept_source_route': 0,
    'net.ipv4.conf.all.log_martians': 1,
    'net.ipv4.conf.default.log_martians': 1,
    'net.ipv4.icmp_echo_ignore_broadcasts': 1,
    'net.ipv4.icmp_ignore_bogus_error_responses': 1,
    'kernel.kptr_restrict': 2,
    'kernel.dmesg_restrict': 1,
    'kernel.sysrq': 0,
    'kernel.yama.ptrace_scope': 1,
    'kernel.unprivileged_bpf_disabled': 1,
    'net.core.bpf_jit_harden': 2,
    'fs.protected_hardlinks': 1,
    'fs.protected_symlinks': 1,
    'fs.protected_fifos': 2,
    'fs.protected_regular': 2,
    'fs.suid_dumpable': 0,
    'dev.tty.ldisc_autoload': 0,
}

# The hashing rounds only where the release hashes with SHA-512 (Debian 13 and EL 10 use yescrypt).
SHA_CRYPT_ROUNDS = {'SHA_CRYPT_MIN_ROUNDS': 65536, 'SHA_CRYPT_MAX_ROUNDS': 65536}


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


def check_release(inputs):
    """The role's key exchange list exists per OpenSSH major version only: a release without one (vars/<os_family>.yml)
    needs the list given, else the drop-in could not be written."""
    if (truthy(inputs['hardening_ssh_manage']) and not inputs['hardening_ssh_kex_algorithms']
            and inputs['__hardening_openssh_major'] not in SSH_KEX_BY_OPENSSH):
        return ['__hardening_openssh_major=%s has no key exchange list in the role: set hardening_ssh_kex_algorithms.'
                % (inputs['__hardening_openssh_major'],)]
    return []


def ssh_allow_groups(inputs):
    """AllowGroups as the drop-in writes it: root's own group joins when root logins are declared."""
    root = ['root'] if inputs['hardening_ssh_permit_root_login'] != 'no' else []
    return unique(list(inputs['hardening_ssh_allow_groups']) + root)


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
        if set(groups) & set(ssh_allow_groups(inputs)):
            return []
        fix = 'add it to one of hardening_ssh_allow_groups=%s' % (inputs['hardening_ssh_allow_groups'],)
    return ['The SSH login user %s (groups: %s) could not log in again: %s.' % (user, ' '.join(groups), fix)]


def check_variables(inputs):
    """The messages that need only the role's variables (not the release, not the host read): the host playbook runs
    them for every role before the first role changes the host."""
    return check_settings(inputs)


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    return check_settings(inputs) + check_release(inputs) + check_lockout(inputs)


def algorithms(inputs, name, role_list):
    """An sshd algorithm line's value: the variable's list joined with commas, or the role's list when it is empty."""
    given = inputs[name]
    return ','.join(str(value) for value in given) if given else role_list


def sysctl(inputs):
    """The role's sysctl keys with hardening_sysctl_overrides on top (each key replaces the role's, as Ansible's
    ``combine`` does)."""
    keys = dict(SYSCTL_DEFAULTS)
    keys.update(inputs['hardening_sysctl_overrides'])
    return keys


def login_defs(inputs):
    """login.defs, written whole (one file compared by checksum on a re-run, not a task per key): the release's own
    keys (vars/<os_family>.yml), the role's password ageing and umask on top, and SHA-512's rounds where the release
    hashes with SHA-512."""
    base = inputs['__hardening_login_defs_base']
    keys = dict(base)
    keys.update({'PASS_MAX_DAYS': inputs['hardening_password_max_days'],
                 'PASS_MIN_DAYS': inputs['hardening_password_min_days'],
                 'PASS_WARN_AGE': inputs['hardening_password_warn_days'],
                 'UMASK': inputs['hardening_umask']})
    if base.get('ENCRYPT_METHOD', '') == 'SHA512':
        keys.update(SHA_CRYPT_ROUNDS)
    return keys


def wanted_units(inputs):
    """The units the role keeps running or stopped, and whether each should run: auditd (not in a container, whose
    kernel audit subsystem belongs to the host), the upgrade timer (on or off), sysstat's collection (with the
    audit tools)."""
    units = []
    if truthy(inputs['hardening_auditd_enabled']) and not inputs['__hardening_in_container']:
        units.append({'unit': inputs['__hardening_auditd_unit'], 'run': True})
    units.append({'unit': inputs['__hardening_updates_timer'], 'run': truthy(inputs['hardening_updates_enabled'])})
    if truthy(inputs['hardening_audit_tools']):
        units.extend({'unit': unit, 'run': True} for unit in inputs['__hardening_sysstat_units'])
    return units


def derive(inputs):
    """What the role writes and runs, from valid inputs (the validate task registers it as __hardening_inputs; the
    templates and tasks/converge.yml read it as plain data, so no later task renders these chains again):

    - ``ssh_ciphers``, ``ssh_kex_algorithms``, ``ssh_macs``: the sshd drop-in's algorithm lines (the variables'
      lists, or the role's modern set for the release's OpenSSH);
    - ``ssh_allow_groups``: AllowGroups (the lock-out guard checks the same list);
    - ``sysctl``: the role's kernel and network settings with hardening_sysctl_overrides on top (each key replaces
      the role's, as Ansible's ``combine`` does);
    - ``login_defs``: login.defs' keys (the release's, the role's ageing and umask, SHA-512's rounds);
    - ``audit_phi_paths``: hardening_audit_phi_paths as this task rendered it (its default reads other roles'
      variables: the audit rules template no longer renders that chain);
    - ``wanted_units``: ``unit`` and ``run`` of each unit the role keeps running (or stopped);
    - ``manages_tmp_mounts``: /tmp and /var/tmp are mounted (asked for, and not a container).
    """
    return {
        'ssh_ciphers': algorithms(inputs, 'hardening_ssh_ciphers', SSH_CIPHERS),
        # Empty only for a release the table lacks while sshd is not managed (check() refuses it otherwise).
        'ssh_kex_algorithms': algorithms(inputs, 'hardening_ssh_kex_algorithms',
                                         SSH_KEX_BY_OPENSSH.get(inputs['__hardening_openssh_major'], '')),
        'ssh_macs': algorithms(inputs, 'hardening_ssh_macs', SSH_MACS),
        'ssh_allow_groups': ssh_allow_groups(inputs),
        'sysctl': sysctl(inputs),
        'login_defs': login_defs(inputs),
        'audit_phi_paths': list(inputs['hardening_audit_phi_paths']),
        'wanted_units': wanted_units(inputs),
        'manages_tmp_mounts': truthy(inputs['hardening_tmp_mounts_manage']) and not inputs['__hardening_in_container'],
    }
