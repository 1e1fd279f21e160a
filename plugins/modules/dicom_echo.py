#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dicom_echo
short_description: Verify a DICOM archive answers, with a C-ECHO
version_added: 0.2.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Opens a DICOM association to O(host):O(port) as O(calling_ae), asking for O(called_ae), sends one C-ECHO
    (Verification SOP class) and releases the association.
  - Returns whether the association was accepted, the DIMSE status of the C-ECHO response and its round-trip time.
    A rejected association returns the result, source and reason the archive gave.
  - Fails when the association is not accepted or the C-ECHO does not answer Success (0x0000), unless
    O(fail_on_reject=false).
  - Read-only, never changes anything; it runs the same in check mode and always reports C(changed=false).
  - "The 003 guide's alert \"Service down: no C-ECHO response\", and the final check of the
    P(pacsops.server.dicom_service#role) role."
requirements:
  - pynetdicom 2.0 or later (Debian package C(python3-pynetdicom)) on the host that runs the module.
options:
  host:
    description: Name or address of the DICOM archive.
    type: str
    required: true
  port:
    description: DICOM port of the archive (the 003 guide uses 11112).
    type: int
    default: 11112
  called_ae:
    description:
      - AE title asked for (the archive's own AE title). Archives that check the called AE title reject any other.
    type: str
    default: ANY-SCP
  calling_ae:
    description:
      - AE title this module presents. Archives with a calling-AE allow list accept only listed ones.
    type: str
    default: PACSOPS
  timeout:
    description: Seconds to wait for the connection, the association answer and the C-ECHO response, each.
    type: float
    default: 10
  tls:
    description: Use DICOM over TLS.
    type: bool
    default: false
  tls_ca_cert:
    description: CA certificate (PEM path on the host running the module) that signs the archive's certificate;
      the system CAs when omitted. The certificate must match O(host).
    type: path
  tls_cert:
    description: Client certificate (PEM path) to present; archives that require client certificates need it.
    type: path
  tls_key:
    description: Private key (PEM path) of O(tls_cert); omitted when the key is in O(tls_cert).
    type: path
  fail_on_reject:
    description:
      - Fail when the association is not accepted (rejected, aborted, no connection) or the C-ECHO does not
        answer Success.
      - Set to V(false) to test that an archive refuses a caller; decide on RV(accepted) yourself.
    type: bool
    default: true
notes:
  - Supports check mode; it runs the C-ECHO there too, as it only reads.
  - "When the task runs on the controller (C(delegate_to: localhost) or a local connection, without become or async),
    the action plugin of the same name opens the association in the controller's process with the module's own
    code, which saves starting a module and importing pynetdicom for it; pynetdicom must then be importable by the
    controller's Python, otherwise the module runs."
attributes:
  action:
    support: full
    description: Runs the C-ECHO in the controller's process when the task runs on the controller.
  check_mode:
    support: full
    description: Runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
"""

EXAMPLES = r"""
- name: The archive answers a C-ECHO from an allowed AE
  pacsops.server.dicom_echo:
    host: 127.0.0.1
    port: 11112
    called_ae: HOSPITAL_PACS
    calling_ae: PACSOPS

- name: A blocked modality is refused
  pacsops.server.dicom_echo:
    host: pacs.hospital.example
    called_ae: HOSPITAL_PACS
    calling_ae: OLD_DEVICE
    fail_on_reject: false
  register: echo
  failed_when: echo.accepted

- name: DICOM over TLS with a client certificate
  pacsops.server.dicom_echo:
    host: pacs.hospital.example
    port: 2762
    called_ae: HOSPITAL_PACS
    tls: true
    tls_ca_cert: /etc/pki/hospital-ca.pem
    tls_cert: /etc/pki/pacsops.crt
    tls_key: /etc/pki/pacsops.key
"""

RETURN = r"""
accepted:
  description: True when the archive accepted the association.
  returned: always
  type: bool
  sample: true
connected:
  description: True when a TCP connection was made (false for nothing listening, filtered or unreachable).
  returned: always
  type: bool
  sample: true
status:
  description: DIMSE status of the C-ECHO response (0 is Success); null when no C-ECHO was answered.
  returned: always
  type: int
  sample: 0
rtt_ms:
  description: Milliseconds from the C-ECHO request to its response; null when no C-ECHO was answered.
  returned: always
  type: float
  sample: 1.8
association_ms:
  description: Milliseconds to connect and negotiate the association (or to fail doing so).
  returned: always
  type: float
  sample: 6.2
rejection:
  description: The archive's A-ASSOCIATE-RJ answer; null unless the association was rejected.
  returned: always
  type: dict
  contains:
    result:
      description: Rejected permanently or transiently.
      type: str
    source:
      description: Which layer rejected.
      type: str
    reason:
      description: Why, for example C(Calling AE title not recognised).
      type: str
  sample:
    result: Rejected Permanent
    source: Service User
    reason: Calling AE title not recognised
message:
  description: One line saying what happened.
  returned: always
  type: str
  sample: "C-ECHO to HOSPITAL_PACS at 127.0.0.1:11112 as PACSOPS: status 0x0000 (success)"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.pacsops.server.plugins.module_utils.dicom_association import (
    ECHO_ARGUMENT_SPEC,
    ECHO_REQUIRED_BY,
    HAS_PYNETDICOM,
    PYNETDICOM_IMPORT_ERROR,
    echo_task,
)


def main():
    # The action plugin of the same name runs echo_task() in the controller's process instead, when
    # the task runs on the controller; this module is the path everywhere else.
    module = AnsibleModule(argument_spec=ECHO_ARGUMENT_SPEC, required_by=ECHO_REQUIRED_BY, supports_check_mode=True)
    if not HAS_PYNETDICOM:
        module.fail_json(msg=missing_required_lib('pynetdicom'), exception=str(PYNETDICOM_IMPORT_ERROR))
    result = echo_task(module.params)
    if result.pop('failed', False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
