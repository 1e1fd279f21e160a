# -*- coding: utf-8 -*-
# Copyright (c) pacsops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pacsops.server.validate_inputs: a role's input checks, in Python, on the controller.

The checks used to be ``ansible.builtin.assert`` tasks with dozens of Jinja expressions. Every run
compiled and rendered all of them in a fresh worker: 0.13-0.57 s per role on the re-run of a converged
host. Here each role's rules are a plain function (``plugins/plugin_utils/inputs/<role>.py``), unit-tested
without a host, and the task costs what a ``set_fact`` costs.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

import yaml

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.vars import load_extra_vars

RULES_PACKAGE = 'ansible_collections.pacsops.server.plugins.plugin_utils.inputs'


def load_rules(name):
    """The rules module of a role: ``INPUTS`` (the variables it reads) and ``check(inputs)``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise AnsibleActionFail('validate_inputs: rules must be a role name, got %r' % (name,))
    try:
        return importlib.import_module('%s.%s' % (RULES_PACKAGE, name))
    except ImportError:
        raise AnsibleActionFail('validate_inputs: no rules for the role %s' % name) from None


def validate(rules, values):
    """The task's result for these values: failed with every message, or ok."""
    errors = list(rules.check(values))
    if errors:
        return dict(failed=True, changed=False, errors=errors,
                    msg='Invalid %s input, nothing was changed: %s' % (rules.ROLE, ' '.join(errors)))
    result = dict(changed=False, msg='%d %s inputs are valid' % (len(values), rules.ROLE))
    # Optional: what the role derives from valid inputs (the firewall's ports and source entries), returned
    # as data for the task to register, so that no Jinja template in the role's vars computes it.
    if hasattr(rules, 'derive'):
        result['derived'] = rules.derive(values)
        # What is derived may carry a secret (a proxy URL with user:password@, for the file that needs it): the
        # task's output is then hidden, as no_log hides it; the registered result keeps the data. Only valid inputs
        # get here, so a refusal's messages (which never carry a secret) stay visible.
        if hasattr(rules, 'secret') and rules.secret(values):
            result['_ansible_no_log'] = True
    # Optional: what the role decided from valid inputs that the operator should see (the firewall's port
    # kept open for the connection), shown per host at the default verbosity, as a loop label was.
    notes = list(rules.notes(values)) if hasattr(rules, 'notes') else []
    if notes:
        result.update(notes=notes, msg='%s; %s' % (result['msg'], ' '.join(notes)), _ansible_verbose_always=True)
    return result


def role_options(role_path, entrypoint='main'):
    """The options of a role's argument spec (meta/argument_specs.yml), as validate_argument_spec takes them."""
    try:
        with open(os.path.join(role_path, 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
            specs = yaml.load(handle, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise AnsibleActionFail('validate_inputs: cannot read the argument spec of %s: %s' % (role_path, exc)) from None
    return ((specs or {}).get('argument_specs') or {}).get(entrypoint, {}).get('options') or {}


def argument_spec_errors(options, values):
    """What ansible.builtin.validate_argument_spec reports for these values: the same validator, the same messages."""
    return ArgumentSpecValidator(options).validate(values, validate_role_argument_spec=True).error_messages


def unvalidated_role(task):
    """The role of the task when Ansible did not check its argument spec: imported with ``rolespec_validate: false``
    (the host playbook does, so that one task per role checks both; see run()). None otherwise."""
    role = getattr(task, '_role', None)
    return role if role is not None and getattr(role, '_should_validate', True) is False else None


ROLES_DIRECTORY = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..', 'roles'))


def play_roles(play):
    """The roles a play imports (its roles section and its import_role tasks), each once, in the play's order: their
    paths, the name of their rules for the roles of this collection (None for the others), and the role."""
    found = {}
    for role in getattr(play, 'roles', None) or ():
        path = os.path.realpath(role.get_role_path())
        own = os.path.dirname(path) == ROLES_DIRECTORY
        found.setdefault(path, (path, os.path.basename(path) if own else None, role))
    return list(found.values())


def entry_options(role, entrypoint='main'):
    """The options of a role's entry point, read as Ansible reads them (meta/argument_specs.yml or .yaml, else the
    argument_specs of meta/main.yml); none when the role has no argument spec."""
    return ((role._get_role_argspecs() or {}).get(entrypoint) or {}).get('options') or {}


def role_view(task_vars, role, extra_vars):
    """The variables as the role's own tasks see them: the play's, then the role's (vars/main.yml, the vars: of its
    entry in the play's roles section, its parameters), then the extra variables (-e), which win over all."""
    return dict(task_vars, **dict(role.get_vars(), **extra_vars))


def variable_checks(rules):
    """A role's checks that need only its variables: check_variables() when its check() also reads the release's
    names or the host, else check()."""
    return getattr(rules, 'check_variables', rules.check)


class ActionModule(ActionBase):

    _supports_check_mode = True
    _requires_connection = False
    _VALID_ARGS = frozenset(('rules', 'play'))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        if self._task.args.get('play'):
            if 'rules' in self._task.args:
                raise AnsibleActionFail('validate_inputs: give rules (one role) or play (every role of the play), not both')
            result.update(self.run_play(task_vars))
            return result
        rules = load_rules(self._task.args.get('rules'))
        # A role imported with rolespec_validate: false gets Ansible's argument spec check here instead, from the
        # same spec and with the same messages: one task per role instead of two (about 60 ms each on a re-run).
        role = unvalidated_role(self._task)
        options = role_options(role._role_path) if role is not None else {}
        # As ansible.builtin.validate_argument_spec reads a role's inputs: from the task's variables,
        # templated here. Values are never returned: the messages name variables and the bad parts only.
        names = set(rules.INPUTS) | set(options)
        values = self._templar.template({name: task_vars[name] for name in names if name in task_vars})
        missing = sorted(set(rules.INPUTS) - set(values))
        if missing:
            raise AnsibleActionFail('validate_inputs: %s is not defined (the role defaults define it)' % ', '.join(missing))
        if options:
            errors = argument_spec_errors(options, dict((name, values[name]) for name in options if name in values))
            if errors:
                result.update(failed=True, changed=False, argument_errors=errors,
                              msg='Validation of arguments failed:\n%s' % '\n'.join(errors))
                return result
        result.update(validate(rules, dict((name, values[name]) for name in rules.INPUTS)))
        return result

    def run_play(self, task_vars):
        """Every role the play imports, before the first of them changes the host: its argument spec and the rules
        that need only its variables. Each role checks all its rules again when it runs (they may read the release's
        names and the host), and registers what it derives."""
        roles = play_roles(self._task.get_play())
        extra_vars = load_extra_vars(self._loader)
        errors = []
        for path, name, role in roles:
            options = entry_options(role)
            role_vars = role_view(task_vars, role, extra_vars)
            rules = load_rules(name) if name and importlib.util.find_spec('%s.%s' % (RULES_PACKAGE, name)) else None
            public = [input_name for input_name in (rules.INPUTS if rules else ()) if not input_name.startswith('__')]
            names = set(options) | set(public)
            values = self._templar.template({name_: role_vars[name_] for name_ in names if name_ in role_vars})
            label = name or os.path.basename(path)
            missing = sorted(set(public) - set(values))
            if missing:
                raise AnsibleActionFail('validate_inputs: %s is not defined (the role %s defines it)' % (', '.join(missing), label))
            messages = argument_spec_errors(options, dict((option, values[option]) for option in options if option in values))
            if rules is not None and not messages:
                messages = list(variable_checks(rules)(dict((input_name, values[input_name]) for input_name in public)))
            errors.extend('%s: %s' % (label, message) for message in messages)
        if errors:
            return dict(failed=True, changed=False, errors=errors,
                        msg='Invalid input, nothing was changed: %s' % ' '.join(errors))
        return dict(changed=False, roles=[name or os.path.basename(path) for path, name, role in roles],
                    msg='The inputs of the %d roles of this play are valid' % len(roles))
