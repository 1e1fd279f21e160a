#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: managed_files
short_description: Write a role's files in one call, only those whose content, mode or owner differ
version_added: 0.2.0
author:
  - pacsops maintainers (@pacsops)
description:
  - Takes the whole set of files a role manages, compares each with the host, and writes only the files that differ.
  - A new content is written next to the live file, given its mode and owner, checked with O(files[].validate), and
    only then renamed over the live file, so a file that fails validation never replaces a working one.
  - Returns a diff per changed file and the list of changed paths, so that handlers restart only the service whose
    file changed.
  - The action plugin of the same name renders O(files[].src) templates on the controller (from the role's
    C(templates/) directory, with the task's variables) before the module runs.
  - Missing parent directories are created C(root:root 0755).
  - A file with O(files[].marker) is managed as a block between two marker lines, the rest of the file kept, as
    M(ansible.builtin.blockinfile) writes it (so a block it wrote is taken over without a change).
  - On a local connection without become (C(delegate_to=localhost) for files on the controller, such as reports), the
    action plugin compares and writes the files in its own process, without starting the module.
options:
  files:
    description: The desired files.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path on the host.
        type: path
        required: true
      src:
        description: Template to render on the controller (looked up like M(ansible.builtin.template) does).
        type: str
      content:
        description: Content of the file. One of O(files[].src) and O(files[].content) is required when O(files[].state=present).
        type: str
      mode:
        description: Permission bits as octal string, for example C("0644"). New files without it get C(0644).
        type: str
      owner:
        description: Owner name; unmanaged when not set (a new file then belongs to the user the module runs as).
        type: str
      group:
        description: Group name; unmanaged when not set.
        type: str
      validate:
        description: Command run on the new content before it replaces the live file, C(%s) standing for the new file.
        type: str
      marker:
        description:
          - Manage only a block of the file, between the lines C(marker) with C({mark}) replaced by C(BEGIN) and C(END);
            O(files[].content) (or the rendered O(files[].src)) is then the block, and the rest of the file stays as it is.
          - A new block goes at the end of the file, which is created when missing. With O(files[].state=absent) the block
            is removed, not the file.
          - O(files[].mode), O(files[].owner) and O(files[].group) apply to the whole file.
          - To answer without a round trip, O(current) needs the file's content (O(pacsops.server.host_state#module:contents)).
        type: str
      secret:
        description: Never show the content in the diff (files holding passwords).
        type: bool
        default: false
      state:
        description: C(absent) removes the file (with O(files[].marker), the block only).
        type: str
        choices: [present, absent]
        default: present
  current:
    description:
      - The C(files) of a M(pacsops.server.host_state) result read earlier in the play for these paths.
      - The action plugin does not send the files this shows as already wanted (same SHA-1, mode, owner and group);
        when all match, the task returns C(changed=false) without contacting the host.
      - A file with O(files[].marker) is compared from the content the read returned (host_state's O(pacsops.server.host_state#module:contents)).
      - Handled by the action plugin; the module never sees it.
    type: dict
notes:
  - Validation does not run in check mode; check mode reports which files would change and their diff.
attributes:
  action:
    support: full
    description: Renders O(files[].src) on the controller.
  check_mode:
    support: full
    description: Reports what would be written, writes nothing.
  diff_mode:
    support: full
    description: One diff per changed file; secret files show a placeholder.
"""

EXAMPLES = r"""
- name: Configure chrony
  pacsops.server.managed_files:
    files:
      - path: /etc/chrony/chrony.conf
        src: chrony.conf.j2
        mode: "0644"
        owner: root
        group: root
        validate: chronyd -p -f %s
    current: "{{ __timesync_state.files }}"  # from pacsops.server.host_state: no round trip when all match
  register: __timesync_files
  notify: Restart chrony

- name: Announce the proxy in /etc/environment, keeping the file's other lines
  pacsops.server.managed_files:
    files:
      - path: /etc/environment
        marker: "# {mark} pacsops.server.proxy"
        content: |
          https_proxy="http://proxy.example.org:3128"
        mode: "0644"
        owner: root
        group: root
    current: "{{ __proxy_state.files }}"  # host_state with contents: [/etc/environment]

# handlers/main.yml: restart only when that file changed
- name: Restart chrony
  ansible.builtin.systemd_service:
    name: chrony
    state: restarted
  when: "'/etc/chrony/chrony.conf' in __timesync_files.changed_files"
"""

RETURN = r"""
changed_files:
  description: Paths written or removed (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/chrony/chrony.conf]
files:
  description: Per path sent to the host, what differed (C(content), C(mode), C(owner), C(group), or C(absent) for a removed file).
  returned: always
  type: dict
  sample: {/etc/chrony/chrony.conf: [content], /etc/default/chrony: []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pacsops.server.plugins.module_utils.managed_files import FILE_OPTIONS, ManagedFilesError, converge


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type='list', elements='dict', required=True, options=FILE_OPTIONS),
            current=dict(type='dict'),
        ),
        supports_check_mode=True,
    )
    files = module.params['files']
    for entry in files:
        if entry['src'] is not None:
            module.fail_json(msg='%s: src must be rendered by the managed_files action plugin' % entry['path'])
        if entry['secret'] and entry['content']:
            module.no_log_values.add(entry['content'])

    def runner(argv):
        return module.run_command(argv)

    try:
        result = converge(files, runner, check_mode=module.check_mode)
    except (ManagedFilesError, IOError, OSError) as exc:
        module.fail_json(msg=str(exc))
    diff = result.pop('diff')
    if module._diff:
        result['diff'] = diff
    module.exit_json(**result)


if __name__ == '__main__':
    main()
