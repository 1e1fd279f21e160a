"""Helpers shared by the scenarios' testinfra tests.

Import from a scenario's tests with:
    sys.path.insert(0, os.environ["PACSOPS_SHARED"]); import pacsops_testlib
"""
from __future__ import annotations

import os
import re
import subprocess

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)", re.M)


def run_playbook(playbook: str, *args: str, check: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs a playbook against the scenario's Molecule inventory; returns the finished process."""
    scenario = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    path = playbook if os.path.isabs(playbook) else os.path.join(scenario, playbook)
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], path, *args]
    if check:
        cmd.append("--check")
    # Molecule forces colour for its own output; the recap must be parsed as plain text.
    plain = {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1", "PY_COLORS": "0"}
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **plain, **(env or {})}, check=False)


def recap(output: str) -> dict[str, dict[str, int]]:
    """Parses PLAY RECAP lines into {host: {ok, changed, unreachable, failed}}."""
    output = ANSI.sub("", output)
    return {m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")} for m in RECAP.finditer(output)}


def assert_check_mode_clean(playbook: str = "converge.yml") -> None:
    """Check mode on a converged host must succeed and report zero changes on every host."""
    result = run_playbook(playbook, check=True)
    hosts = recap(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert hosts, "no PLAY RECAP in output:\n" + result.stdout[-2000:]
    changed = {h: r["changed"] for h, r in hosts.items() if r["changed"]}
    assert not changed, f"check mode reported changes {changed}:\n" + result.stdout[-4000:]
