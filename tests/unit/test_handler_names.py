# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Handler names are unique across the collection's roles.

A play that runs several roles has one handler namespace: a notification goes to the last handler of
that name the play loaded, not to the notifying role's own. Two roles with a handler "Reload systemd"
left ClamAV's drop-in unloaded (clamd skipped by its condition, started only by the re-run).
"""

from __future__ import annotations

import collections
import pathlib

import yaml

ROLES = pathlib.Path(__file__).resolve().parents[2] / 'roles'


def handler_names():
    names = collections.defaultdict(list)
    for path in sorted(ROLES.glob('*/handlers/*.yml')):
        for handler in yaml.safe_load(path.read_text()) or []:
            for name in [handler.get('name')] + list(handler.get('listen') or []):
                if name:
                    names[name].append(path.parts[-3])
    return names


def test_the_roles_have_handlers():
    assert len(handler_names()) >= 10


def test_no_two_roles_share_a_handler_name():
    shared = {name: roles for name, roles in handler_names().items() if len(set(roles)) > 1}
    assert shared == {}
