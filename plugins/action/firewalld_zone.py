# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pacsops.server.firewalld_zone: a light check-mode probe first; the module runs only to change (see remote_python)."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.remote_python import LightReadAction


class ActionModule(LightReadAction):

    MODULE = 'pacsops.server.firewalld_zone'
    MODULE_UTILS = 'ansible_collections.pacsops.server.plugins.module_utils.firewalld_zone'
    PROBE = True
