# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight role's input rules: the defaults pass, each bad input is named with its value."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import preflight
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages


def test_every_input_the_rules_read_is_a_documented_default():
    assert set(preflight.INPUTS) <= set(defaults('preflight'))


def test_defaults_and_absolute_paths_pass():
    assert preflight.check(defaults('preflight')) == []
    assert messages(preflight, defaults('preflight'), preflight_concurrent_users='25',
                    preflight_paths={'data': '/srv/pacs', 'home': '/home'}) == []


@pytest.mark.parametrize('override, expected', [
    ({'preflight_concurrent_users': 0}, ['preflight_concurrent_users must be at least 1, got 0.']),
    ({'preflight_concurrent_users': 'many'}, ['preflight_concurrent_users must be at least 1, got many.']),
    ({'preflight_paths': {'data': 'srv/pacs', 'home': '/home'}},
     ["every preflight_paths value must be an absolute path, got {'data': 'srv/pacs', 'home': '/home'}."]),
])
def test_each_bad_input_is_named_with_its_value(override, expected):
    assert messages(preflight, defaults('preflight'), **override) == expected
