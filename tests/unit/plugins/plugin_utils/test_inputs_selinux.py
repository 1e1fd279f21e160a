# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The selinux role's input rules: the defaults pass, a bad boolean or policy name is named."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import selinux
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages


@pytest.fixture
def good():
    return defaults('selinux', selinux_booleans=[{'name': 'httpd_can_network_connect', 'state': True}])


def test_every_input_the_rules_read_is_a_documented_default(good):
    assert set(selinux.INPUTS) <= set(good)


def test_declared_inputs_pass(good):
    assert selinux.check(good) == []


@pytest.mark.parametrize('override, expected', [
    ({'selinux_booleans': [{'name': 'httpd-can', 'state': True}]}, "selinux_booleans names must match ^[a-z0-9_]+$ (bad: ['httpd-can'])"),
    ({'selinux_booleans': [{'state': True}]}, "(bad: [''])"),
    ({'selinux_policy': 'Targeted'}, 'selinux_policy=Targeted must match'),
])
def test_each_bad_input_is_named(good, override, expected):
    found = messages(selinux, good, **override)
    assert len(found) == 1 and expected in found[0], found
