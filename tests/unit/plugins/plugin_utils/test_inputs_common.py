# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helpers the input rules share."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs._common import network


@pytest.mark.parametrize('value, version, prefix', [
    ('10.0.0.0/8', None, 8), ('10.1.2.3/24', 4, 24), ('192.0.2.7', None, 32), ('fd00::/8', 6, 8), ('::1', None, 128),
])
def test_network_reads_addresses_and_networks(value, version, prefix):
    assert network(value, version).prefixlen == prefix


@pytest.mark.parametrize('value, version', [
    ('999.1.1.1', None), ('10.0.0.0/33', None), ('fd00::/129', None), ('pacs.example', None), ('', None),
    (42, None), ('fd00::/8', 4), ('10.0.0.0/8', 6),
])
def test_network_refuses_what_is_not_one_or_of_another_version(value, version):
    assert network(value, version) is None
