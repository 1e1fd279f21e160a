#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: url_check
short_description: Check in one call that URLs answer, through a proxy, and classify each failure
version_added: 0.2.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Fetches every target (GET, redirects followed) from the managed host, in parallel, through the given proxy unless the
    target opts out or matches O(no_proxy).
  - Each target is reported reachable, or unreachable with a failure class (C(dns), C(connect), C(timeout),
    C(proxy_auth), C(tls), C(http_status), C(content), C(other)), a reason and a remediation hint.
  - Read-only, so it runs the same in check mode and always reports C(changed=false). It does not fail on unreachable
    targets; the caller decides (see RV(unreachable_targets)).
options:
  targets:
    description: The URLs to check.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name in the report.
        type: str
        required: true
      url:
        description: The http or https URL.
        type: str
        required: true
      marker:
        description: Text the answer must contain (the first MiB of it).
        type: str
      status_code:
        description: HTTP statuses that count as an answer.
        type: list
        elements: int
        default: [200]
      use_proxy:
        description: Whether to go through the proxy.
        type: bool
        default: true
      validate_certs:
        description: Whether to verify the TLS certificate.
        type: bool
        default: true
      hint:
        description: Extra remediation text added when the target is unreachable.
        type: str
  http_proxy:
    description: Proxy URL for http targets, without credentials; empty for none.
    type: str
    default: ""
  https_proxy:
    description: Proxy URL for https targets, without credentials; empty for none.
    type: str
    default: ""
  no_proxy:
    description: Hosts and domains (C(.example.org)) reached directly.
    type: list
    elements: str
    default: []
  proxy_username:
    description: Proxy login; empty when the proxy needs none.
    type: str
    default: ""
  proxy_password:
    description: Proxy password.
    type: str
    default: ""
  timeout:
    description: Seconds to wait for each target.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Check the install server through the proxy
  pacsops.server.url_check:
    targets:
      - name: iPACS install server
        url: https://install.invicro.com
        marker: ipacs
      - name: Docker Hub registry
        url: https://registry-1.docker.io/v2/
        status_code: [200, 401]
    http_proxy: http://proxy.example.org:3128
    https_proxy: http://proxy.example.org:3128
    proxy_username: "{{ vault_proxy_username }}"
    proxy_password: "{{ vault_proxy_password }}"
  register: __proxy_check
  no_log: true
"""

RETURN = r"""
results:
  description: One entry per target, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The target's name.
      type: str
    url:
      description: The target's URL.
      type: str
    reachable:
      description: Whether it answered with an accepted status (and the marker).
      type: bool
    status:
      description: HTTP status, or -1 when there was no HTTP answer.
      type: int
    failure:
      description: Failure class, empty when reachable.
      type: str
      sample: proxy_auth
    reason:
      description: What went wrong, empty when reachable.
      type: str
    hint:
      description: What to do about it, empty when reachable.
      type: str
    summary:
      description: One line for the report.
      type: str
      sample: "UNREACHABLE: iPACS install server (https://install.invicro.com): HTTP 407: the proxy wants (other) credentials. ..."
unreachable_targets:
  description: Number of unreachable targets.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils.url_check import ARGUMENT_SPEC, module_result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    result = module_result(module.params)
    if result.get('failed'):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
