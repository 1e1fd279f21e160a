#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mariadb_accounts
short_description: MariaDB databases, accounts, exact privileges and root policy in one connection
version_added: 0.2.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Reads every account, its authentication, its global, database and table privileges and every database over one
    PyMySQL connection, computes the difference to the declaration in Python and applies only that.
  - Passwords are compared through their C(mysql_native_password) hash computed on the host; a password or a hash
    never appears in the result, the diff or an error message.
  - "Privileges are exact: what is declared and missing is granted, what is granted and not declared is revoked.
    C(ALL) means every privilege of the level except C(GRANT OPTION)."
  - "Secure installation (O(secure_installation)): anonymous accounts and root accounts other than
    C(root@localhost) are dropped, the C(test) database is dropped only while it holds no tables, and the
    wildcard grants on C(test) and C(test_%) are removed."
  - Root policy C(unix_socket) leaves root with the socket plugin and an impossible password; C(password) adds the
    declared password. unix_socket always stays, the distribution's maintenance scripts log in through it.
  - Accounts of a declared user on hosts not in its O(users[].hosts) are reported in RV(left_alone), not dropped.
  - Requires MariaDB 10.4 or later (C(mysql.global_priv)) and PyMySQL on the host.
options:
  login_unix_socket:
    description: Server socket to connect through.
    type: path
    default: /run/mysqld/mysqld.sock
  login_user:
    description: Account to log in as; C(root) over the socket authenticates through unix_socket.
    type: str
    default: root
  login_password:
    description: Password of O(login_user); empty for unix_socket authentication.
    type: str
    default: ''
  databases:
    description: Databases to create, to keep at a character set, or to drop.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Database name.
        type: str
        required: true
      state:
        description: V(absent) drops the database with its data.
        type: str
        choices: [present, absent]
        default: present
      encoding:
        description: Default character set; an existing database's default is changed, its tables are not converted.
        type: str
        default: utf8mb4
      collation:
        description: Default collation.
        type: str
        default: utf8mb4_general_ci
  users:
    description: Application accounts, one per user and host.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      password:
        description: Password (stored as a C(mysql_native_password) hash). Required when O(users[].state=present).
        type: str
      hosts:
        description: Hosts the account exists for.
        type: list
        elements: str
        default: [localhost]
      priv:
        description: "Privileges by object, for example C({\"db.*\": \"ALL\", \"other.*\": \"SELECT,INSERT\"}); empty is USAGE."
        type: dict
        default: {}
      state:
        description: V(absent) drops the user on every host.
        type: str
        choices: [present, absent]
        default: present
  root_policy:
    description: How root@localhost authenticates (unix_socket always, a password only with V(password)).
    type: str
    choices: [unix_socket, password]
    default: unix_socket
  root_password:
    description: Root password for O(root_policy=password).
    type: str
    default: ''
  secure_installation:
    description: Drop anonymous accounts, remote root accounts, the empty test database and its wildcard grants.
    type: bool
    default: true
notes:
  - Supports check mode (it reads, plans and reports, and executes nothing) and diff mode.
requirements:
  - PyMySQL on the managed host.
"""

EXAMPLES = r"""
- name: Accounts and schemas of the iPACS and the O3 PACS/VIEW
  pacsops.server.mariadb_accounts:
    login_unix_socket: /run/mysqld/mysqld.sock
    databases:
      - name: public_pacs
      - name: public_view
    users:
      - name: ipacs
        password: "{{ vault_ipacs_password }}"
        hosts: [localhost]
        priv: {"public_pacs.*": "ALL", "public_view.*": "ALL"}
      - name: olduser
        state: absent
    root_policy: unix_socket
  no_log: true
"""

RETURN = r"""
actions:
  description: What was (or in check mode would be) done, one line each, without secrets.
  returned: always
  type: list
  elements: str
  sample: ["create database public_pacs", "create user 'ipacs'@'localhost'", "grant SELECT on public_pacs.* to 'ipacs'@'localhost'"]
left_alone:
  description: Things left alone on purpose (an extra host of a declared user, a test database with tables).
  returned: always
  type: list
  elements: str
  sample: ["'ipacs'@'%' exists but is not in the hosts of ipacs; declare it with state: absent to remove it"]
diff:
  description: The databases, accounts and root policy before and after; passwords only as markers.
  returned: when diff mode is on
  type: dict
  sample: {"before": {"databases": {"public_pacs": "absent"}}, "after": {"databases": {"public_pacs": {"charset": "utf8mb4"}}}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils.mariadb_accounts import (
    ARGUMENT_SPEC,
    REQUIRED_IF,
    module_result,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    result = module_result(module.params, check_mode=module.check_mode, diff=module._diff)
    for warning in result.pop('warnings', []):
        module.warn(warning)
    if result.get('failed'):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
