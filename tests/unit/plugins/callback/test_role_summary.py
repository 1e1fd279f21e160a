# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""role_summary callback: fake tasks and results, a fake clock, the lines it prints and writes."""

from __future__ import annotations

from types import SimpleNamespace

from ansible_collections.pacsops.server.plugins.callback import role_summary


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class FakeRole:
    def __init__(self, name):
        self.name = name

    def get_name(self, include_role_fqcn=True):
        return f"pacsops.server.{self.name}" if include_role_fqcn else self.name


class FakeDisplay:
    def __init__(self):
        self.lines = []

    def banner(self, text):
        self.lines.append(f"BANNER {text}")

    def display(self, text, **kwargs):
        self.lines.append(text)


def task(role=None):
    return SimpleNamespace(_role=FakeRole(role) if role else None)


def result(of_task, changed=False):
    return SimpleNamespace(_task=of_task, _result={"changed": changed})


def make_callback(tmp_path, clock):
    callback = role_summary.CallbackModule(clock=clock)
    callback._display = FakeDisplay()
    # Options as Ansible's config would set them (set_options needs the plugin loader's context).
    callback._plugin_options = {"path": str(tmp_path / "summary.txt")}
    return callback


def test_one_line_per_role_with_counts_and_wall_time(tmp_path):
    clock = FakeClock()
    callback = make_callback(tmp_path, clock)

    gather = task()
    callback.v2_playbook_on_task_start(gather, False)
    callback.v2_runner_on_ok(result(gather))
    clock.now += 2.0

    preflight = task("preflight")
    callback.v2_playbook_on_task_start(preflight, False)
    callback.v2_runner_on_ok(result(preflight))
    callback.v2_runner_on_ok(result(preflight))  # second host
    clock.now += 5.5
    skipped = task("preflight")
    callback.v2_playbook_on_task_start(skipped, False)
    callback.v2_runner_on_skipped(result(skipped))
    clock.now += 0.5

    docker = task("docker")
    callback.v2_playbook_on_task_start(docker, False)
    callback.v2_runner_on_ok(result(docker, changed=True))
    callback.v2_runner_on_failed(result(docker))
    clock.now += 3.0
    ignored = task("docker")
    callback.v2_playbook_on_task_start(ignored, False)
    callback.v2_runner_on_failed(result(ignored), ignore_errors=True)
    clock.now += 1.0
    handler = task("docker")
    callback.v2_playbook_on_handler_task_start(handler)
    callback.v2_runner_on_ok(result(handler, changed=True))
    clock.now += 4.0

    callback.v2_playbook_on_stats(stats=None)

    expected = [
        "(play)     ok=1 changed=0 failed=0 skipped=0     2.0s",
        "preflight  ok=2 changed=0 failed=0 skipped=1     6.0s",
        "docker     ok=0 changed=2 failed=1 skipped=0 ignored=1     8.0s",
    ]
    assert callback._display.lines == ["BANNER ROLE SUMMARY"] + expected
    assert (tmp_path / "summary.txt").read_text() == "".join(line + "\n" for line in expected)


def test_unreachable_shown_only_when_it_happened(tmp_path):
    clock = FakeClock()
    callback = make_callback(tmp_path, clock)
    first = task("timesync")
    callback.v2_playbook_on_task_start(first, False)
    callback.v2_runner_on_unreachable(result(first))
    clock.now += 1.25
    callback.v2_playbook_on_stats(stats=None)
    assert callback._display.lines[1] == "timesync  ok=0 changed=0 failed=0 skipped=0 unreachable=1     1.2s"


def test_no_file_without_path(tmp_path):
    callback = role_summary.CallbackModule(clock=FakeClock())
    callback._display = FakeDisplay()
    callback._plugin_options = {"path": None}
    callback.v2_playbook_on_stats(stats=None)
    assert callback._display.lines == ["BANNER ROLE SUMMARY"]
    assert not list(tmp_path.iterdir())
