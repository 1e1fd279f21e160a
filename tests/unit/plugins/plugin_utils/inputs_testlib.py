# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's documented defaults as its input rules receive them (templated by the task)."""

from __future__ import annotations

import pathlib

import yaml

ROLES = pathlib.Path(__file__).resolve().parents[4] / 'roles'


def defaults(role, **templated):
    """roles/<role>/defaults/main.yml; values that are templates must be given, already rendered."""
    values = yaml.safe_load((ROLES / role / 'defaults' / 'main.yml').read_text())
    values.update(templated)
    return values


def role_vars(role, os_family):
    """roles/<role>/vars/main.yml and vars/<os_family>.yml, as the role has them when its validate task runs (the
    private inputs; templates in them are not rendered)."""
    values = {}
    for name in ('main', os_family):
        values.update(yaml.safe_load((ROLES / role / 'vars' / ('%s.yml' % name)).read_text()))
    return values


def messages(rules, values, **override):
    return rules.check(dict(values, **override))
