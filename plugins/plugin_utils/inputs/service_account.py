# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_account role's input rules: names and modes safe to use as paths. The password hash is
never shown, only whether it looks like one."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import matches, rejected, truthy

ROLE = 'service_account'
INPUTS = (
    'service_account_name', 'service_account_instances', 'service_account_home_mode',
    'service_account_instance_mode', 'service_account_password_hash', 'service_account_home',
    'service_account_authorized_keys', 'service_account_authorized_keys_exclusive',
)

# Portable POSIX user names; instance names as the issue and iPACS paths require (/home/ipacs/<instance>).
# \Z, not $: "$" would let a trailing newline into a user name or a path.
NAME = r'^[a-z_][a-z0-9_-]{0,31}\Z'
INSTANCE = r'^[a-z][a-z0-9_-]{0,31}\Z'
MODE = r'^0[0-7]{3}\Z'


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    name, password_hash = inputs['service_account_name'], inputs['service_account_password_hash']
    bad_instances = rejected(inputs['service_account_instances'], INSTANCE)
    tests = [
        (matches(NAME, name), 'service_account_name=%s must match %s' % (name, NAME)),
        (not bad_instances, 'service_account_instances entries %s must match %s' % (bad_instances, INSTANCE)),
    ]
    for mode in ('service_account_home_mode', 'service_account_instance_mode'):
        tests.append((matches(MODE, inputs[mode]), '%s=%s must be an octal string like "0750"' % (mode, inputs[mode])))
    tests.append((not password_hash or str(password_hash).startswith('$'),
                  'service_account_password_hash must be a crypt(3) hash starting with "$", not a clear-text password'))
    return [message + '.' for ok, message in tests if not ok]


def derive(inputs):
    """The directories the role keeps, with their modes: the home, one per instance (/home/ipacs/<instance>) and
    ~/.ssh when the role manages the keys (the validate task registers them; vars/main.yml reads them)."""
    home = inputs['service_account_home']
    manages_keys = bool(inputs['service_account_authorized_keys']) or truthy(inputs['service_account_authorized_keys_exclusive'])
    return {
        'directories': ([{'path': home, 'mode': inputs['service_account_home_mode']}]
                        + [{'path': '%s/%s' % (home, instance), 'mode': inputs['service_account_instance_mode']}
                           for instance in inputs['service_account_instances']]
                        + ([{'path': home + '/.ssh', 'mode': '0700'}] if manages_keys else [])),
    }
