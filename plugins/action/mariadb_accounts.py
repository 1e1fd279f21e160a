# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pacsops.server.mariadb_accounts: a light check-mode probe first; the module runs only to change (see remote_python)."""

from __future__ import annotations

from ansible_collections.pacsops.server.plugins.plugin_utils.remote_python import LightReadAction


class ActionModule(LightReadAction):

    MODULE = 'pacsops.server.mariadb_accounts'
    MODULE_UTILS = 'ansible_collections.pacsops.server.plugins.module_utils.mariadb_accounts'
    PROBE = True
