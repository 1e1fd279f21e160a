# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_account role's input rules: the defaults pass, each bad input is named, a password never is."""

from __future__ import annotations

import pytest

from ansible_collections.pacsops.server.plugins.plugin_utils.inputs import service_account
from ansible_collections.pacsops.server.tests.unit.plugins.plugin_utils.inputs_testlib import defaults, messages

SECRET = 'vault-secret-3e8d'
HASH = '$6$rounds=5000$salt$' + 'x' * 86


@pytest.fixture
def good():
    return defaults('service_account', service_account_instances=['main', 'test_2'], service_account_password_hash=HASH)


def test_every_input_the_rules_read_is_a_documented_default(good):
    assert set(service_account.INPUTS) <= set(defaults('service_account'))


def test_defaults_pass_with_and_without_a_password_hash(good):
    assert service_account.check(good) == []
    assert service_account.check(defaults('service_account')) == []


@pytest.mark.parametrize('override, expected', [
    ({'service_account_name': 'iPACS'}, 'service_account_name=iPACS must match'),
    ({'service_account_name': '../root'}, 'service_account_name=../root must match'),
    ({'service_account_name': 'ipacs\n'}, 'service_account_name=ipacs\n must match'),
    ({'service_account_name': 'a' * 33}, 'service_account_name=%s must match' % ('a' * 33)),
    ({'service_account_instances': ['main', '../etc']}, "service_account_instances entries ['../etc'] must match"),
    ({'service_account_instances': ['_main']}, "service_account_instances entries ['_main']"),
    ({'service_account_instances': ['main/sub']}, "service_account_instances entries ['main/sub']"),
    ({'service_account_home_mode': '750'}, 'service_account_home_mode=750 must be an octal string like "0750"'),
    ({'service_account_home_mode': 488}, 'service_account_home_mode=488 must be an octal string'),
    ({'service_account_instance_mode': '0780'}, 'service_account_instance_mode=0780 must be an octal string'),
    ({'service_account_password_hash': SECRET}, 'service_account_password_hash must be a crypt(3) hash'),
])
def test_each_bad_input_is_named_without_the_password(good, override, expected):
    found = messages(service_account, good, **override)
    assert len(found) == 1 and expected in found[0], found
    assert SECRET not in ' '.join(found)


def test_every_bad_input_is_reported_in_one_run(good):
    found = messages(service_account, good, service_account_name='Bad', service_account_instances=['x y'],
                     service_account_home_mode='1', service_account_instance_mode='2', service_account_password_hash='pw')
    assert len(found) == 5, found


@pytest.mark.parametrize('keys, exclusive, ssh', [
    ([], False, False),
    (['ssh-ed25519 AAAA demo'], False, True),
    ([], True, True),
    ([], 'yes', True),
])
def test_the_directories_kept_are_the_home_each_instance_and_ssh_when_keys_are_managed(good, keys, exclusive, ssh):
    good.update(service_account_home='/srv/ipacs', service_account_home_mode='0750', service_account_instance_mode='0770',
                service_account_authorized_keys=keys, service_account_authorized_keys_exclusive=exclusive)
    expected = [{'path': '/srv/ipacs', 'mode': '0750'}, {'path': '/srv/ipacs/main', 'mode': '0770'},
                {'path': '/srv/ipacs/test_2', 'mode': '0770'}] + ([{'path': '/srv/ipacs/.ssh', 'mode': '0700'}] if ssh else [])
    assert service_account.derive(good)['directories'] == expected
