# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pacsops.server.host_state: its read-only logic runs on the host as one light Python program (see remote_python).

With the callback pacsops.server.host_reads enabled, the host is read once per run while nothing has changed it,
and the later host_state tasks are answered from that read (see plugin_utils/host_reads.py).
"""

from __future__ import annotations

from ansible import constants as C

from ansible_collections.pacsops.server.plugins.plugin_utils import host_reads
from ansible_collections.pacsops.server.plugins.plugin_utils.remote_python import LightReadAction


class ActionModule(LightReadAction):

    MODULE = 'pacsops.server.host_state'
    MODULE_UTILS = 'ansible_collections.pacsops.server.plugins.module_utils.host_state'

    def read_once(self, params, task_vars, options=None, plannable=True):
        tracker = host_reads.TRACKER
        host = task_vars.get('inventory_hostname')
        if tracker is None or not host or self._task.delegate_to:
            return self.read(params, task_vars, options)
        directory = self.CACHE_DIRECTORY or C.DEFAULT_LOCAL_TMP
        count = tracker.count(host)

        kept = host_reads.load(directory, host, count)
        if kept is not None and host_reads.covers(kept, params):
            answered = host_reads.answer(kept, params)
            answered['answered_from_first_read'] = True
            return answered

        plan = host_reads.load_plan(tracker.plan_dir, host)
        data = None
        if count == 0 and (kept is None or host_reads.cacheable(params)):
            # Nothing has changed the host in this run yet: read what the later tasks will ask for too, and
            # what the earlier ones asked for when a task asks for something new. The run's first light call on
            # the host also makes the other calls planned (LightReadAction.first_read). (A request for file texts
            # after the first read reads only itself: it is never answered from a kept read.)
            union = host_reads.union_params(params, host_reads.merge(plan, host_reads.items_of(kept)) if kept else plan)
            if host_reads.load_answers(directory, host, count) is None:
                data = self.first_read((self.MODULE_UTILS, union, options or {}), task_vars, host, directory, count)
            else:
                data = self.read(union, task_vars, options)
            if data is None:
                return None
            if data.get('failed'):
                data = None  # an item planned by an earlier run may not be readable now: read the request alone
            else:
                host_reads.store(directory, host, count, data)
                data = host_reads.answer(data, params)
        if data is None:
            data = self.read(params, task_vars, options)
            if data is None:
                return None
        if host_reads.cacheable(params) and not data.get('failed'):
            grown = host_reads.merge(plan, params)
            if grown != plan:
                host_reads.save_plan(tracker.plan_dir, host, grown)
        return data
