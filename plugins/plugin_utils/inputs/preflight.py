# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight role's input rules: at least one concurrent user, and absolute paths to measure."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import as_int

ROLE = 'preflight'
INPUTS = ('preflight_concurrent_users', 'preflight_paths')


def check(inputs):
    """Every message for the inputs; empty when they can work (the message names the variable and its value)."""
    users, paths = inputs['preflight_concurrent_users'], inputs['preflight_paths']
    messages = []
    if (as_int(users) or 0) < 1:
        messages.append('preflight_concurrent_users must be at least 1, got %s' % (users,))
    if any(not str(path).startswith('/') for path in paths.values()):
        messages.append('every preflight_paths value must be an absolute path, got %s' % (paths,))
    return [message + '.' for message in messages]
