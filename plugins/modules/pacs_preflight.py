#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pacs_preflight
short_description: Check a host's hardware against a PACS vendor's installation requirements
version_added: 0.1.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Reads CPU count, memory, network link speed, file system size and type, and software RAID state
    from C(/proc) and C(/sys) and grades each against the requirements of a PACS vendor guide.
  - Each check is C(pass), C(warn) (below the recommendation, or not measurable) or C(fail) (below the minimum).
  - Read-only, never changes the host, so it runs the same in check mode and always reports C(changed=false).
  - "Profile C(ipacs) (000 iPACS guide): at least 4 logical CPUs; at least 16 GiB RAM, 32 GiB recommended;
    1 Gbit/s network recommended; at least 200 GB for the application (key C(app) of O(paths), default C(/home/ipacs));
    at least 500 GB for C(/home) (key C(home) of O(paths)); both on a POSIX file system (cifs, smb3, smbfs, vfat, ntfs, ntfs3,
    fuseblk and exfat fail); software RAID advisory (no md array warns, a degraded or inactive array fails)."
  - "Profile C(o3) (001 O3 PACS/VIEW guide): CPU and RAM minimums from the sizing table for O(concurrent_users)
    (10 users 6 cores/12 GB, 20 users 10/20, 50 users 18/36, above 50 +1 core and +4 GB per started 10 users;
    between rows the next row up applies); with O(pathology) 1.5 cores per user, rounded up;
    at least 50 GB storage on key C(storage) of O(paths) (default C(/srv/o3)); 100 Mbit/s network recommended."
  - "Profile C(dicom_server) (003 guide): at least 2 CPUs, 2 GiB RAM and 100 GB storage on key C(data) of O(paths)
    (default C(/var/lib/dicom-server/data)); 4 CPUs, 8 GiB, 500 GB and 1 Gbit/s recommended."
  - CPUs are logical CPUs (the guide's minimum AWS instance m5.xlarge has 4 vCPUs), limited by the scheduler
    affinity and the cgroup CPU quota when those allow fewer.
  - Memory is C(MemTotal) from C(/proc/meminfo), limited by the cgroup memory limit. C(MemTotal) is below the installed
    RAM, so it is compared with a tolerance of C(memory_tolerance_pct) percent (default 10).
  - Storage is the total capacity of the file system holding the path (its nearest existing parent when the path does
    not exist yet), in decimal GB, compared with a tolerance of C(storage_tolerance_pct) percent (default 5) for file
    system overhead. Free space is not graded, it changes with every write.
  - Network is the highest link speed of the interfaces backed by a device; a speed of -1 or an unreadable speed
    (virtual NICs, link down) is C(unknown) and a warning, never a failure.
options:
  profile:
    description: Which vendor guide to check against.
    type: str
    required: true
    choices: [ipacs, o3, dicom_server]
  thresholds:
    description:
      - Overrides for the profile's thresholds, by name. Unknown names fail.
      - "Common: C(cores_min), C(cores_recommended), C(memory_gib_min), C(memory_gib_recommended), C(network_mbit_min),
        C(network_mbit_recommended), C(memory_tolerance_pct), C(storage_tolerance_pct)."
      - "Storage, per path key: C(<key>_gb_min), C(<key>_gb_recommended), for example C(home_gb_min)."
      - "C(ipacs) only: C(refused_filesystems) (list of file system types)."
      - A value of 0 disables that minimum or recommendation.
      - For C(o3), C(cores_min) and C(memory_gib_min) replace the values from the sizing table.
    type: dict
    default: {}
  paths:
    description:
      - Paths whose file systems are checked, by key. Keys the profile does not know fail.
      - "C(ipacs): C(app) (default C(/home/ipacs)) and C(home) (default C(/home)).
        C(o3): C(storage) (default C(/srv/o3)). C(dicom_server): C(data) (default C(/var/lib/dicom-server/data))."
    type: dict
    default: {}
  concurrent_users:
    description: Expected concurrent users, for the C(o3) sizing table. Ignored by other profiles.
    type: int
    default: 10
  pathology:
    description: Digital pathology project (C(o3) only), which needs 1.5 CPU cores per concurrent user.
    type: bool
    default: false
  tls_certificates:
    description:
      - PEM certificates (the web server's, 000 strongly recommends HTTPS) whose days to expiry are reported, one check
        each. Under 30 days, missing or unreadable is a warning, never a failure.
      - Read without a crypto library, so it works on a host where nothing is installed yet.
    type: list
    elements: path
    default: []
  fail_on_unmet:
    description:
      - Fail the task when any check fails, with a message listing every failed check with the found and the required
        value. The result still carries RV(checks) and RV(ready).
      - Set to V(false) to always succeed and decide on RV(ready) yourself.
    type: bool
    default: true
notes:
  - Supports check mode; it runs the same, as it only reads.
  - Linux only.
attributes:
  check_mode:
    support: full
    description: Runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
"""

EXAMPLES = r"""
- name: Fail unless the host meets the iPACS requirements
  pacsops.server.pacs_preflight:
    profile: ipacs

- name: Size an O3 PACS/VIEW host for 35 pathology users, report only
  pacsops.server.pacs_preflight:
    profile: o3
    concurrent_users: 35
    pathology: true
    paths:
      storage: /data/o3
    fail_on_unmet: false
  register: preflight

- name: Show what is missing
  ansible.builtin.debug:
    msg: "{{ preflight.checks | rejectattr('status', 'equalto', 'pass') | list }}"

- name: Report the web server certificate's days to expiry with the iPACS checks
  pacsops.server.pacs_preflight:
    profile: ipacs
    tls_certificates: [/etc/ssl/pacsops/server.crt]
    fail_on_unmet: false

- name: A staging dicom-server with a smaller data disk
  pacsops.server.pacs_preflight:
    profile: dicom_server
    thresholds:
      data_gb_min: 50
      data_gb_recommended: 0
"""

RETURN = r"""
profile:
  description: The profile checked.
  returned: always
  type: str
  sample: ipacs
ready:
  description: True when no check failed (warnings allowed).
  returned: always
  type: bool
  sample: false
checks:
  description: One entry per check, in a stable order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: >-
        Check name: C(cpu_cores), C(memory), C(network), C(storage_<key>), C(filesystem_<key>), C(raid).
      type: str
      sample: memory
    required:
      description: The requirement, human readable.
      type: str
      sample: ">= 16 GiB, 32 GiB recommended"
    found:
      description: What the host has, human readable.
      type: str
      sample: 15.3 GiB
    status:
      description: C(pass), C(warn) or C(fail).
      type: str
      sample: warn
    remediation:
      description: What to do about it; empty when the check passed.
      type: str
      sample: "000 iPACS: install at least 32 GiB ECC RAM (MemTotal is accepted down to 10% below that)"
  sample:
    - name: cpu_cores
      required: ">= 4"
      found: "8"
      status: pass
      remediation: ""
facts:
  description: The raw numbers the checks were computed from, and the thresholds used.
  returned: always
  type: dict
  contains:
    cpu_cores:
      description: Usable logical CPUs (smallest of cpuinfo, affinity and cgroup quota).
      type: int
    cpu_cores_cpuinfo:
      description: Processors listed in C(/proc/cpuinfo).
      type: int
    cpu_cores_affinity:
      description: CPUs in the module process's affinity mask.
      type: int
    cpu_cgroup_limit:
      description: CPUs allowed by the cgroup quota, rounded up; null when unlimited.
      type: int
    memory_bytes:
      description: Usable memory in bytes (MemTotal or the cgroup limit when lower).
      type: int
    memory_memtotal_bytes:
      description: C(MemTotal) in bytes.
      type: int
    memory_cgroup_limit_bytes:
      description: cgroup memory limit in bytes; null when unlimited.
      type: int
    interfaces:
      description: Link speed in Mbit/s per device-backed interface; null when unknown.
      type: dict
    network_mbit:
      description: Highest known link speed in Mbit/s; null when unknown.
      type: int
    paths:
      description: Per path key, C(path), C(mount_point) (of the path or its nearest existing parent), C(fstype), C(source), C(total_bytes).
      type: dict
    md_arrays:
      description: Software RAID arrays from C(/proc/mdstat) with C(name), C(state), C(level), C(devices), C(active), C(status), C(degraded).
      type: list
      elements: dict
    thresholds:
      description: The thresholds used, after the profile defaults, the o3 sizing table and O(thresholds).
      type: dict
    concurrent_users:
      description: Concurrent users sized for (C(o3) only).
      type: int
    pathology:
      description: Whether pathology sizing was used (C(o3) only).
      type: bool
  sample:
    cpu_cores: 8
    memory_bytes: 33363550208
    network_mbit: 10000
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils.preflight import ARGUMENT_SPEC, module_result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    result = module_result(module.params)
    if result.get('failed'):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
