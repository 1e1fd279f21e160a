#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_state
short_description: Read files, systemd units, packages, users and groups of a host in one call
version_added: 0.2.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Reads everything a role needs to decide what to change, in one round trip, so that the tasks which
    follow run only where something is missing or differs.
  - Files are read with C(lstat) (links are not followed); regular files get a SHA-1 checksum.
  - Units are read with one C(systemctl show) for all of them; packages with one C(dpkg-query) (Debian)
    or C(rpm -q) (RedHat); users and groups through the name service.
  - Read-only, so it runs the same in check mode and always reports C(changed=false).
options:
  files:
    description: Absolute paths to read.
    type: list
    elements: path
    default: []
  contents:
    description:
      - Absolute paths whose text is returned too, as C(content) in their RV(files) entry, for a file others write
        into as well (a block of M(pacsops.server.managed_files) with a marker is compared from it). Read like
        O(files), which need not list them.
      - Only regular files up to 64 KiB of UTF-8 text; for others C(content) is left out.
      - The text is in the task's result; set C(no_log) when the file may hold a secret.
    type: list
    elements: path
    default: []
  units:
    description:
      - systemd unit names (C(docker.service), C(chrony), C(pacsops-clamav-scan.timer)); a name without suffix is a service.
      - On a host not booted with systemd every unit is reported as not existing.
    type: list
    elements: str
    default: []
  packages:
    description: Package names (not virtual names or provides).
    type: list
    elements: str
    default: []
  users:
    description: User names.
    type: list
    elements: str
    default: []
  groups:
    description: Group names.
    type: list
    elements: str
    default: []
  firewalld_interfaces:
    description:
      - Network interfaces whose firewalld zone to read (through firewalld's D-Bus API; a stopped firewalld is never started).
    type: list
    elements: str
    default: []
  memory:
    description:
      - Also return C(memtotal_mb), the host's memory as the C(memtotal_mb) fact counts it, without gathering
        the C(hardware) fact subset (which lists every device and mount).
    type: bool
    default: false
  package_manager:
    description: Which package database to read; C(auto) takes C(dpkg) when C(dpkg-query) exists, else C(rpm).
    type: str
    choices: [auto, dpkg, rpm]
    default: auto
notes:
  - "The unit timestamps need systemd 248 or later (C(--timestamp=us+utc)): Debian 12, EL 9."
  - With the callback C(pacsops.server.host_reads) enabled, a host is read once per run while no task result
    has changed it. The first host_state task also reads what this host's host_state tasks asked for in earlier
    runs (a plan kept on the controller by the callback), and later tasks are answered from that read. Their
    results are the same as a read of their own. A request with O(contents) is always read from the host.
"""

EXAMPLES = r"""
- name: Read what the role manages
  pacsops.server.host_state:
    files: [/etc/chrony/chrony.conf]
    units: [chrony.service]
    packages: [chrony]
    users: [ipacs]
    groups: [docker]
  register: __timesync_state

- name: Install chrony only when it is missing
  ansible.builtin.apt:
    name: chrony
  when: not __timesync_state.packages.chrony.installed
"""

RETURN = r"""
files:
  description: Per requested path.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the path exists (a dangling link exists).
      type: bool
    type:
      description: C(file), C(directory), C(link) or C(other). Only when it exists.
      type: str
    mode:
      description: Permission bits as four octal digits, for example C(0644). Only when it exists.
      type: str
    owner:
      description: Owner name (the numeric id when no name maps to it). Only when it exists.
      type: str
    group:
      description: Group name (the numeric id when no name maps to it). Only when it exists.
      type: str
    size:
      description: Size in bytes. Only when it exists.
      type: int
    checksum:
      description: SHA-1 of the content. Only for regular files the module may read.
      type: str
    content:
      description: The file's text. Only for paths in O(contents), regular files of at most 64 KiB of UTF-8.
      type: str
  sample:
    /etc/chrony/chrony.conf: {exists: true, type: file, mode: "0644", owner: root, group: root, size: 412,
                              checksum: 2aae6c35c94fcfb415dbe95f408b9ce91ee846ed}
units:
  description: Per requested unit.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether systemd knows the unit (C(LoadState) is not C(not-found)).
      type: bool
    enabled:
      description: C(UnitFileState) (C(enabled), C(disabled), C(masked), C(static), ...); empty when it does not exist.
      type: str
    active:
      description: C(ActiveState) (C(active), C(inactive), C(failed), ...).
      type: str
    sub:
      description: C(SubState) (C(running), C(dead), C(exited), C(waiting), ...).
      type: str
    active_enter_timestamp:
      description: When the unit last entered the active state, microseconds since the epoch; 0 when never.
      type: int
  sample:
    chrony.service: {exists: true, enabled: enabled, active: active, sub: running,
                     active_enter_timestamp: 1796010279123456}
packages:
  description: Per requested package.
  returned: always
  type: dict
  contains:
    installed:
      description: Whether the package is installed.
      type: bool
    version:
      description: Installed version (Debian version, or version-release on RedHat); null when not installed.
      type: str
  sample:
    chrony: {installed: true, version: 4.3-2+deb12u1}
users:
  description: Per requested user.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the user exists.
      type: bool
    uid:
      description: User id. Only when it exists.
      type: int
    gid:
      description: Primary group id. Only when it exists.
      type: int
    home:
      description: Home directory. Only when it exists.
      type: str
    shell:
      description: Login shell. Only when it exists.
      type: str
    groups:
      description: Primary and supplementary group names, sorted. Only when it exists.
      type: list
      elements: str
    password_locked:
      description:
        - Whether password logins are locked (the C(/etc/shadow) entry starts with C(!) or C(*), or is empty); the hash
          itself is never returned. Null when there is no local shadow entry or it cannot be read. Only when it exists.
      type: bool
  sample:
    ipacs: {exists: true, uid: 1001, gid: 1001, home: /home/ipacs, shell: /bin/bash, groups: [docker, ipacs],
            password_locked: true}
groups:
  description: Per requested group.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the group exists.
      type: bool
    gid:
      description: Group id. Only when it exists.
      type: int
    members:
      description: Names listed as members (not users whose primary group it is), sorted. Only when it exists.
      type: list
      elements: str
  sample:
    docker: {exists: true, gid: 998, members: [ipacs]}
firewalld_interfaces:
  description: Per requested interface, its firewalld zone; empty when in no zone, null when firewalld does not answer.
  returned: always
  type: dict
  sample: {docker0: docker}
systemd_running:
  description: Whether the host was booted with systemd (C(/run/systemd/system) exists).
  returned: always
  type: bool
package_manager:
  description: The package database read (C(dpkg) or C(rpm)).
  returned: always
  type: str
memtotal_mb:
  description: MemTotal of C(/proc/meminfo) in MiB; null when it cannot be read.
  returned: when O(memory=true)
  type: int
  sample: 15843
answered_from_first_read:
  description:
    - True when the task was answered on the controller from the run's first read of the host, without a remote
      call (the callback C(pacsops.server.host_reads) is enabled and nothing has changed the host since).
  returned: when true
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils.host_state import ARGUMENT_SPEC, module_result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)

    def runner(argv):
        return module.run_command(argv, environ_update={'LC_ALL': 'C'})

    result = module_result(module.params, runner, module.get_bin_path)
    if result.get('failed'):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
