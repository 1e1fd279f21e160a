# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One read of a host per run while nothing has changed it: the later host_state tasks are answered from it.

Why: every role reads its host once (``pacsops.server.host_state``), and on a converged host each read
is a remote call of about 0.25 s for an answer that the read before it could have given. The host
playbook made ten of them per re-run.

How, and why it is safe:

- The callback ``pacsops.server.host_reads`` runs in the controller's main process and counts, per
  host, every task result that may have changed the host: changed, failed (with or without
  ``ignore_errors``: a failed task may have changed part of what it manages) and unreachable. A changed
  result of a delegated task counts for every host. ``ansible-playbook`` forks each task's worker
  after it has processed the results of the tasks before it, so a worker sees the count as it was
  when its task started. Without the callback there is no count, and every host_state task reads the
  host as before.
- The first host_state task on a host, while the count is zero, reads besides its own request what
  the host's host_state tasks asked for in earlier runs: the host's plan, a small JSON file on the
  controller (the callback's ``plan_dir``). It leaves that read, without any file's text, in the run's
  private temporary directory (removed when the run ends) with the count it was taken at. The plan is
  only a list of what to read: a stale or missing plan makes reads slower, never wrong. It is not a fact:
  facts are copied into every task's variables, and 150 paths there cost 4 s of CPU per run.
- A later host_state task is answered from that read when the count is still the same and the read
  covers its whole request (a request for file texts never is). Its result is the one a read of its own
  would have returned. Anything else reads the host.

- The other light calls (pacs_preflight's measurement, url_check, firewalld_zone's probe) take part too: the
  run's first light call on a host, while the count is zero, makes in the same program the host_state read
  of the plan and the calls the host's tasks made in earlier runs (the calls plan, one slot per task), and
  keeps their answers beside the read. A later task making exactly the same call (module, parameters and
  options) while the count has not moved is answered from them. A call holding a no_log value (a proxy or
  database password) is never planned nor kept: it is always made by its own task.

So on a converged host the run reads the host once; on a host where a role changes something, the
roles after it read the host again, as without the cache.
"""

from __future__ import annotations

import hashlib
import json
import os

# The kinds of items a host_state request lists; the result has one dict of the same name, keyed by item.
KINDS = ('files', 'units', 'packages', 'users', 'groups', 'firewalld_interfaces')
# Set by the callback in the controller's main process; inherited by every worker forked after that.
TRACKER = None


class Tracker:
    """Per host, how many task results may have changed it since the run started; and where the plans are kept."""

    def __init__(self, plan_dir):
        self.plan_dir = plan_dir
        self._hosts = {}
        self._everywhere = 0

    def note(self, host, everywhere=False):
        if everywhere:
            self._everywhere += 1
        else:
            self._hosts[host] = self._hosts.get(host, 0) + 1

    def count(self, host):
        return self._everywhere + self._hosts.get(host, 0)


def cacheable(params):
    """Whether a host_state request may be answered from (and recorded for) a shared read."""
    return params.get('package_manager', 'auto') == 'auto' and not params.get('contents')


def _name(host):
    # Hashed: inventory names may hold any character, and two names must never share a file.
    return hashlib.sha256(host.encode('utf-8')).hexdigest()


def _write(path, data):
    """Replace ``path`` with ``data`` as JSON, readable by this user only; False when it cannot be written.

    Best effort: a plan or a kept read that cannot be written only makes later reads remote. The temporary
    name is per process, so that two runs writing the same host's plan never mix their files.
    """
    temporary = '%s.%d.new' % (path, os.getpid())
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
            json.dump(data, handle)
        os.replace(temporary, path)
    except OSError:
        try:
            os.remove(temporary)
        except OSError:
            pass
        return False
    return True


def _read(path):
    """The JSON in ``path``, or None when it is missing or not JSON."""
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _kept_at(path, count, key):
    """``key`` of a file kept by ``_write(path, {'count': count, key: {...}})``; None when it was kept at another
    count, or is missing or malformed."""
    kept = _read(path)
    if not isinstance(kept, dict) or kept.get('count') != count or not isinstance(kept.get(key), dict):
        return None
    return kept[key]


def empty_plan():
    plan = {kind: [] for kind in KINDS}
    plan['memory'] = False
    return plan


def load_plan(directory, host):
    """What the host's host_state tasks asked for in earlier runs, as a request; an empty one when there is none
    or it is malformed."""
    result = empty_plan()
    plan = _read(os.path.join(directory, _name(host) + '.json'))
    if not isinstance(plan, dict):
        return result
    for kind in KINDS:
        items = plan.get(kind)
        if isinstance(items, list):
            result[kind] = sorted(set(str(item) for item in items))
    result['memory'] = plan.get('memory') is True
    return result


def save_plan(directory, host, plan):
    """Keep the host's plan for the next runs (the directory is made, private, when missing); False when it cannot."""
    return _write_in(directory, os.path.join(directory, _name(host) + '.json'), plan)


def _write_in(directory, path, data):
    """``_write`` into the plans' ``directory``, made (private) when missing."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError:
        return False
    return _write(path, data)


def merge(plan, params):
    """``plan`` grown by the items of ``params`` (sorted, without duplicates); file texts are never planned."""
    merged = {kind: sorted(set(plan.get(kind, [])) | set(params.get(kind) or [])) for kind in KINDS}
    merged['memory'] = bool(plan.get('memory')) or bool(params.get('memory'))
    return merged


def items_of(read):
    """The request a host_state result answers (its items), to grow a plan with."""
    items = dict((kind, sorted(read.get(kind) or {})) for kind in KINDS)
    items['memory'] = 'memtotal_mb' in read
    return items


def union_params(params, plan):
    """The parameters of one read that answers ``params`` and everything in ``plan``."""
    union = dict(params)
    union.update(merge(plan, params))
    return union


def covers(read, params):
    """Whether ``read`` (a host_state result) holds every item ``params`` asks for."""
    if read.get('failed') or not cacheable(params):
        return False
    if params.get('memory') and 'memtotal_mb' not in read:
        return False
    return all(item in (read.get(kind) or {}) for kind in KINDS for item in params.get(kind) or [])


def answer(read, params):
    """The result a read of ``params`` alone returns, cut from a ``read`` that covers them.

    File entries of ``params['contents']`` keep their text (the read was made with them); others never have one.
    """
    texts = set(params.get('contents') or [])
    result = dict((key, value) for key, value in read.items() if key not in KINDS and key != 'memtotal_mb')
    for kind in KINDS:
        wanted = set(params.get(kind) or [])
        if kind == 'files':
            wanted |= texts
        result[kind] = dict((item, entry) for item, entry in (read.get(kind) or {}).items() if item in wanted)
    result['files'] = dict((path, entry if path in texts else without_text(entry)) for path, entry in result['files'].items())
    if params.get('memory'):
        result['memtotal_mb'] = read.get('memtotal_mb')
    return result


def without_text(entry):
    return dict((key, value) for key, value in entry.items() if key != 'content') if isinstance(entry, dict) else entry


def _path(directory, host):
    return os.path.join(directory, 'pacsops-host-read-%s.json' % _name(host))


def store(directory, host, count, read):
    """Keep ``read`` (file texts removed) as the host's read at ``count``, readable by this user only; False when
    it cannot be written."""
    kept = dict(read)
    kept['files'] = dict((path, without_text(entry)) for path, entry in (read.get('files') or {}).items())
    return _write(_path(directory, host), {'count': count, 'read': kept})


def load(directory, host, count):
    """The host's kept read when it was taken at ``count``; None otherwise."""
    return _kept_at(_path(directory, host), count, 'read')


# The other light calls (plugin_utils/remote_python.py): pacs_preflight, url_check, firewalld_zone's probe. The run's
# first light call on a host, while the count is zero, makes those its earlier runs made too (the host's calls
# plan), in the same program as its own, and keeps their answers; a later task making exactly the same call (the
# same module, parameters and options) is answered from them while the count has not moved. Only calls without
# any no_log value are planned and kept: the plan outlives the run.
HOST_STATE = 'ansible_collections.pacsops.server.plugins.module_utils.host_state'
MODULE_UTILS = 'ansible_collections.pacsops.server.plugins.module_utils.'
# Calls kept per host: each task has one slot, so this only bounds a plan whose tasks keep moving.
MAX_CALLS = 32


def call_key(call):
    """A light call ``(module_utils entry, params, options)`` as a short key."""
    entry, params, options = call
    return hashlib.sha256(json.dumps([entry, params, options or {}], sort_keys=True).encode('utf-8')).hexdigest()


def _calls_path(directory, host):
    return os.path.join(directory, _name(host) + '.calls.json')


def _valid_call(call):
    return (isinstance(call, list) and len(call) == 3 and isinstance(call[0], str) and call[0].startswith(MODULE_UTILS)
            and call[0] != HOST_STATE and isinstance(call[1], dict) and isinstance(call[2], dict))


def _slots(directory, host):
    """The host's calls plan as ``[[slot, call]]``, its malformed entries left out."""
    slots = _read(_calls_path(directory, host))
    return [item for item in slots if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
            and _valid_call(item[1])] if isinstance(slots, list) else []


def load_calls(directory, host):
    """The light calls the host's tasks made in earlier runs, as ``[(entry, params, options)]``, oldest first; empty
    when there are none or the file is malformed (only this collection's module_utils are ever called)."""
    return [tuple(call) for _slot, call in _slots(directory, host)]


def plan_call(directory, host, slot, call):
    """Keep ``call`` as the one the task ``slot`` makes (replacing its earlier one); False when it cannot be kept."""
    entry, params, options = call
    slots = _slots(directory, host)
    wanted = [slot, [entry, params, options or {}]]
    if wanted in slots:
        return True
    slots = [item for item in slots if item[0] != slot][-(MAX_CALLS - 1):] + [wanted]
    return _write_in(directory, _calls_path(directory, host), slots)


def _answers_path(directory, host):
    return os.path.join(directory, 'pacsops-host-calls-%s.json' % _name(host))


def store_answers(directory, host, count, answers):
    """Keep the answers of the first read's other calls (``{call_key: result}``) at ``count``; this also records
    that the run's first read on the host was made. False when it cannot be written."""
    return _write(_answers_path(directory, host), {'count': count, 'answers': answers})


def load_answers(directory, host, count):
    """``{call_key: result}`` kept by the first read at ``count``; None when no first read was made at it."""
    return _kept_at(_answers_path(directory, host), count, 'answers')


def planned(plan):
    """Whether a host_state plan asks for anything."""
    return bool(plan.get('memory')) or any(plan.get(kind) for kind in KINDS)
