# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""connection_preload callback: the named connection plugins are imported in this (the parent) process."""

from __future__ import annotations

import subprocess
import sys

from ansible_collections.pacsops.server.plugins.callback import connection_preload

PLUGIN_MODULE = 'ansible_collections.community.docker.plugins.connection.docker_api'


class FakeLoader:
    def __init__(self, known):
        self.known = known
        self.asked = []

    def get(self, name, class_only=False):
        self.asked.append((name, class_only))
        if name == 'broken.plugin':
            raise ImportError('no module named broken')
        return object if name in self.known else None


def test_each_name_is_loaded_once_and_the_unknown_ones_are_returned():
    loader = FakeLoader({'community.docker.docker_api'})
    missing = connection_preload.preload(['community.docker.docker_api', 'no.such', 'broken.plugin'], loader)
    assert missing == ['no.such', 'broken.plugin']
    assert loader.asked == [('community.docker.docker_api', True), ('no.such', True), ('broken.plugin', True)]


def run_in_a_fresh_interpreter(code):
    """Run the code where nothing is imported yet (this test process may have imported the plugins already),
    with the collection loader finding collections the way ansible-playbook does."""
    preamble = ('import sys\n'
                'from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder\n'
                '_AnsibleCollectionFinder(paths=sys.path)._install()\n')
    result = subprocess.run([sys.executable, '-c', preamble + code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# The callback as ansible-playbook loads it (through the plugin loader, which reads its options).
CALLBACK = ('from ansible.plugins.loader import callback_loader, init_plugin_loader\n'
            'init_plugin_loader()\n'
            'callback = callback_loader.get("pacsops.server.connection_preload")\n')


def test_the_real_plugin_module_is_imported_by_the_real_loader():
    run_in_a_fresh_interpreter(
        'from ansible_collections.pacsops.server.plugins.callback import connection_preload\n'
        f'assert {PLUGIN_MODULE!r} not in sys.modules\n'
        "assert connection_preload.preload(['community.docker.docker_api']) == []\n"
        f'assert {PLUGIN_MODULE!r} in sys.modules\n'
        "assert 'requests' in sys.modules\n"
    )


def test_the_builtin_filter_and_test_files_are_imported_by_the_callback():
    # Before, no built-in filter or test file is imported; after, all of them are (a worker forked then needs none).
    run_in_a_fresh_interpreter(
        CALLBACK
        + 'def files(kind):\n'
        '    return sorted(n.split("_")[0] for n in sys.modules if n.startswith("ansible.plugins.%s." % kind))\n'
        'assert files("filter") == [] and files("test") == [], (files("filter"), files("test"))\n'
        'callback.set_options(direct={"connections": []})\n'
        'assert {"ansible.plugins.filter.core", "ansible.plugins.filter.mathstuff", "ansible.plugins.filter.urlsplit"}'
        ' <= set(files("filter")), files("filter")\n'
        'assert {"ansible.plugins.test.core", "ansible.plugins.test.files"} <= set(files("test")), files("test")\n'
    )


def test_builtin_jinja_plugins_off_imports_none():
    run_in_a_fresh_interpreter(
        CALLBACK
        + 'callback.set_options(direct={"connections": [], "builtin_jinja_plugins": False})\n'
        'assert not [n for n in sys.modules if n.startswith(("ansible.plugins.filter.", "ansible.plugins.test."))]\n'
    )
