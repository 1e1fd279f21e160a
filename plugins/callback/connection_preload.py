# -*- coding: utf-8 -*-
# Copyright (c) 2026 pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: connection_preload
type: aggregate
short_description: Imports connection plugins and the built-in Jinja plugins once, before ansible-playbook forks a worker per task
version_added: 0.2.0
description:
  - C(ansible-playbook) runs every task in a freshly forked worker process, and the worker imports the
    host's connection plugin. A connection plugin with heavy imports pays for them on every task,
    including tasks that never contact the host (C(assert), C(set_fact), argument validation).
    C(community.docker.docker_api) imports C(requests) and the Docker SDK, measured here at
    0.1-0.4 s per task and the larger part of a re-run's wall time against a container.
  - This callback imports the named connection plugins in the main process when it loads, so that
    every forked worker inherits them already imported. It prints nothing and changes nothing else.
  - The same holds for ansible-core's built-in filter and test plugins. The main process never imports
    them, and a worker imports all their files the first time it templates any filter (C(bool),
    C(combine)) or test (C(match)). In the re-run of this collection's host playbook 62 of 87 workers did,
    at 24 ms of CPU each (measured with forked children on 2 cores; 5 ms when the parent had them).
    O(builtin_jinja_plugins) imports them once in the main process.
  - Enable it with C(callbacks_enabled = pacsops.server.connection_preload) in C(ansible.cfg);
    this repository's C(ansible.cfg) does so for C(make demo) and the tests.
options:
  connections:
    description:
      - Fully qualified names of the connection plugins to import. A name that cannot be loaded is
        reported as a warning and skipped.
    type: list
    elements: str
    default: [community.docker.docker_api]
    env:
      - name: PACSOPS_PRELOAD_CONNECTIONS
    ini:
      - section: callback_connection_preload
        key: connections
  builtin_jinja_plugins:
    description:
      - Also import ansible-core's built-in filter and test plugins (all their files, as a worker's first use
        of one does). Collections' Jinja plugins are not imported.
    type: bool
    default: true
    env:
      - name: PACSOPS_PRELOAD_BUILTIN_JINJA_PLUGINS
    ini:
      - section: callback_connection_preload
        key: builtin_jinja_plugins
"""

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import connection_loader, filter_loader, test_loader

# One name per loader: ansible-core imports every built-in filter (test) file on the first lookup of any.
BUILTIN_JINJA_PLUGINS = ((filter_loader, 'ansible.builtin.bool'), (test_loader, 'ansible.builtin.match'))


def preload(names, loader=connection_loader):
    """Import each named connection plugin; return the names that could not be loaded."""
    missing = []
    for name in names:
        try:
            plugin = loader.get(name, class_only=True)
        except Exception:  # pylint: disable=broad-exception-caught
            plugin = None
        if plugin is None:
            missing.append(name)
    return missing


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "pacsops.server.connection_preload"
    CALLBACK_NEEDS_ENABLED = True

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        for name in preload(self.get_option("connections")):
            self._display.warning(f"connection_preload: connection plugin {name} could not be loaded")
        if self.get_option("builtin_jinja_plugins"):
            for loader, name in BUILTIN_JINJA_PLUGINS:
                if loader.get(name) is None:
                    self._display.warning(f"connection_preload: the built-in Jinja plugin {name} could not be loaded")
