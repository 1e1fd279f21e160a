# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The selinux role's input rules: boolean and policy names the config file and seboolean can take."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import matches, rejected

ROLE = 'selinux'
INPUTS = ('selinux_booleans', 'selinux_policy')

BOOLEAN = r'^[a-z0-9_]+$'
POLICY = r'^[a-z0-9_-]+$'


def check(inputs):
    """Every message for the inputs; empty when they can work."""
    bad_booleans = rejected([boolean.get('name', '') for boolean in inputs['selinux_booleans']], BOOLEAN)
    tests = [
        (not bad_booleans, 'selinux_booleans names must match %s (bad: %s)' % (BOOLEAN, bad_booleans)),
        (matches(POLICY, inputs['selinux_policy']), 'selinux_policy=%s must match %s' % (inputs['selinux_policy'], POLICY)),
    ]
    return [message + '.' for ok, message in tests if not ok]
