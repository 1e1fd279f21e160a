#!/usr/bin/env python3
"""Role variables from one source: each role's meta/argument_specs.yml.

    tools/gen-role-docs.py           rewrite what is out of date
    tools/gen-role-docs.py --check   change nothing; print a diff and exit 1 when anything is out of date

For every role under roles/ it
  - checks that every argument_specs default equals the role's defaults/main.yml, that every
    variable of defaults/main.yml is declared, and that every option has a description
    (exits 1 naming the variable otherwise, in both modes);
  - writes the `## Variables` section of roles/<role>/README.md (from that heading to the next
    `## ` heading; inserted before `## Example`, or at the end, when missing): one table row per
    option and sub-option with its type, default and description;
  - writes inventories/example/group_vars/all/<role>.yml: every option commented out at its
    default, its description above it, then the file's site block.

The site block is the one hand-written part of an example file, between the lines
`# BEGIN site settings` and `# END site settings`: what the example inventory sets differently from
the role's defaults (the undersized demo host, the demo's vault fallbacks, ...). The generator keeps
it verbatim, checks that it is YAML and names only options of the role, and comments nothing out:
defaults stay commented, so nothing but the site block overrides a role default and
inventory-file variables (inventories/example/aws_provision.yml) keep their precedence.
"""
import argparse
import difflib
import pathlib
import re
import sys
import textwrap

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventories" / "example" / "group_vars" / "all"
SITE_BEGIN = "# BEGIN site settings"
SITE_END = "# END site settings"
SITE_EMPTY = (
    f"{SITE_BEGIN}: what this example inventory sets differently from the role's defaults.\n"
    f"{SITE_END}\n"
)
# Ansible's documentation markup: C(code), O(option), V(value), I(italic), M(module), B(bold),
# U(url), L(text,url), R(text,anchor), E(env), P(plugin#type).
MARKUP = re.compile(r"\b([CVIOMBUERP])\(([^()]*)\)|\bL\(([^,()]*),[^()]*\)|\bR\(([^,()]*),[^()]*\)")
WIDTH = 110


class SpecError(Exception):
    pass


class Dumper(yaml.SafeDumper):
    """Strings that need quotes get double quotes, as in the roles' own files ("{{ var }}");
    block sequences indented under their key, as yamllint wants them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper, value):
    style = '"' if "{{" in value or "'" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


Dumper.add_representer(str, _represent_str)


def plain(text):
    """Documentation markup as Markdown: code-like markup in backticks."""
    def repl(match):
        kind, body, link_text, ref_text = match.groups()
        if link_text is not None:
            return link_text
        if ref_text is not None:
            return ref_text
        if kind in "OP" and "#" in body:  # O(collection.plugin#type:option), O(collection.role#role:entrypoint:option)
            body = body.rsplit(":", 1)[-1] if ":" in body else body.split("#")[0]
        if kind in ("I", "B", "U"):
            return body
        return f"`{body}`"
    return MARKUP.sub(repl, text)


def description(option):
    text = option.get("description", "")
    if isinstance(text, list):
        text = " ".join(text)
    return plain(" ".join(str(text).split()))


def type_name(option):
    kind = option.get("type", "str")
    if kind == "list" and option.get("elements"):
        return f"list of {option['elements']}"
    return kind


def flow(value):
    """A value as one line of YAML."""
    if value == "":
        return '""'
    text = yaml.dump(value, Dumper=Dumper, default_flow_style=True, width=10**6, sort_keys=False).strip()
    return text[:-4].strip() if text.endswith("\n...") or text.endswith(" ...") else text


def load_role(role_dir):
    specs_file = role_dir / "meta" / "argument_specs.yml"
    specs = yaml.safe_load(specs_file.read_text())["argument_specs"]
    # main first; options of every entry point (a role may have more than one).
    options = {}
    for name in sorted(specs, key=lambda n: (n != "main", n)):
        options.update(specs[name].get("options") or {})
    defaults_file = role_dir / "defaults" / "main.yml"
    defaults = (yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.exists() else {}
    for name, option in options.items():
        if "default" not in option and name in defaults and computed(option, defaults[name]):
            option["computed"] = defaults[name]
    return specs, options, defaults


def computed(option, value):
    """A default computed at run time for a non-string option (a Jinja expression giving a bool, say).

    argument_specs cannot state it: the role's argument validation applies a spec default of the
    wrong type as is and fails. Such an option has no default in argument_specs; the docs show the
    expression from defaults/main.yml."""
    return isinstance(value, str) and "{{" in value and option.get("type", "str") not in ("str", "raw", "path")


def check_role(role, options, defaults):
    """Disagreements between argument_specs and defaults/main.yml, one message each."""
    errors = []
    for name, option in options.items():
        where = f"roles/{role}: {name}"
        if not description(option):
            errors.append(f"{where}: no description in meta/argument_specs.yml")
        if "default" in option:
            if name not in defaults:
                errors.append(f"{where}: argument_specs default {flow(option['default'])} but not in defaults/main.yml")
            elif defaults[name] != option["default"]:
                errors.append(f"{where}: argument_specs default {flow(option['default'])} != defaults/main.yml {flow(defaults[name])}")
        elif name in defaults and not computed(option, defaults[name]):
            errors.append(f"{where}: defaults/main.yml sets {flow(defaults[name])} but argument_specs has no default")
        elif not option.get("required") and "computed" not in option:
            errors.append(f"{where}: neither required nor given a default in meta/argument_specs.yml")
    for name in defaults:
        if name not in options:
            errors.append(f"roles/{role}: {name} is in defaults/main.yml but not declared in meta/argument_specs.yml")
    return errors


def cell(text):
    return str(text).replace("|", "\\|")


def default_cell(option):
    if option.get("required"):
        return "required"
    if "default" not in option:
        return f"computed: `{cell(option['computed'])}`" if "computed" in option else ""
    value = flow(option["default"])
    if len(value) > 70 and isinstance(option["default"], (list, dict)):
        kind = "items" if isinstance(option["default"], list) else "keys"
        return f"{len(option['default'])} {kind}, see `defaults/main.yml`"
    return f"`{cell(value)}`" if "`" not in value else cell(value)


def table_rows(options, prefix=""):
    for name, option in options.items():
        text = description(option)
        if option.get("choices"):
            text += " Choices: " + ", ".join(f"`{flow(c)}`" for c in option["choices"]) + "."
        yield f"| `{prefix}{name}` | {type_name(option)} | {default_cell(option)} | {cell(text)} |"
        if option.get("options"):
            sub_prefix = f"{prefix}{name}[]." if option.get("type") == "list" else f"{prefix}{name}."
            yield from table_rows(option["options"], sub_prefix)


def readme_section(role, specs):
    lines = [
        "## Variables",
        "",
        f"Generated from `meta/argument_specs.yml` by `tools/gen-role-docs.py` (do not edit this section by hand).",
        f"Every variable is shown at its default in `inventories/example/group_vars/all/{role}.yml`.",
        "",
    ]
    for name in sorted(specs, key=lambda n: (n != "main", n)):
        if len(specs) > 1:
            lines += [f"Entry point `{name}`:", ""]
        lines += ["| variable | type | default | description |", "|---|---|---|---|"]
        lines += list(table_rows(specs[name].get("options") or {}))
        lines.append("")
    return "\n".join(lines) + "\n"


def render_readme(text, role, specs):
    section = readme_section(role, specs)
    start = re.search(r"^## Variables[ \t]*$", text, re.M)
    if start:
        end = re.compile(r"^## ", re.M).search(text, start.end())
        return text[:start.start()] + section + (text[end.start():] if end else "")
    example = re.search(r"^## Example", text, re.M)
    if example:
        return text[:example.start()] + section + text[example.start():]
    return text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"


def comment_block(text, indent="# "):
    return [indent + line for line in textwrap.wrap(text, WIDTH - len(indent), break_on_hyphens=False)] or [indent.rstrip()]


def site_block(role, text):
    """The hand-written site block of an example file (empty when the file or block is missing)."""
    if text is None or SITE_BEGIN not in text:
        return SITE_EMPTY
    start = text.index(SITE_BEGIN)
    end = text.find(SITE_END, start)
    if end < 0:
        raise SpecError(f"{INVENTORY.name}/{role}.yml: '{SITE_BEGIN}' without '{SITE_END}'")
    return text[start:text.index("\n", end) + 1 if "\n" in text[end:] else len(text)].rstrip("\n") + "\n"


def check_site(role, block, options):
    try:
        values = yaml.safe_load(block) or {}
    except yaml.YAMLError as err:
        raise SpecError(f"inventories/example/group_vars/all/{role}.yml: site block is not YAML: {err}")
    unknown = [name for name in values if name not in options]
    if unknown:
        raise SpecError(f"inventories/example/group_vars/all/{role}.yml: site block sets {', '.join(unknown)}, "
                        f"not options of roles/{role}/meta/argument_specs.yml")


def render_inventory(role, specs, options, current):
    block = site_block(role, current)
    check_site(role, block, options)
    lines = [
        "---",
        f"# pacsops.server.{role}: every variable of the role, commented out at its default (roles/{role}/README.md).",
        f"# Generated from roles/{role}/meta/argument_specs.yml by tools/gen-role-docs.py: change the role, not",
        "# these lines. The site block at the end is kept as written: what this example inventory sets differently.",
    ]
    for name, option in options.items():
        lines.append("")
        text = description(option)
        if option.get("choices"):
            text += " Choices: " + ", ".join(flow(c) for c in option["choices"]) + "."
        lines += comment_block(text)
        if "computed" in option:
            lines += comment_block(f"Unset: computed by the role, {flow(option['computed'])}")
            lines.append(f"# {name}:")
            continue
        if "default" not in option:
            lines.append(f"# {name}:  # {'required' if option.get('required') else 'no default'}")
            continue
        single = f"{name}: {flow(option['default'])}"
        if len(single) + 2 <= WIDTH:
            lines.append("# " + single)
        else:
            dumped = yaml.dump({name: option["default"]}, Dumper=Dumper, default_flow_style=False, width=WIDTH, sort_keys=False)
            lines += [("# " + line).rstrip() for line in dumped.rstrip("\n").split("\n")]
    return "\n".join(lines) + "\n\n" + block


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 with a diff when out of date")
    args = parser.parse_args()

    errors, stale = [], []
    for role_dir in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
        role = role_dir.name
        if not (role_dir / "meta" / "argument_specs.yml").exists():
            errors.append(f"roles/{role}: no meta/argument_specs.yml (every role declares its inputs there)")
            continue
        try:
            specs, options, defaults = load_role(role_dir)
            errors += check_role(role, options, defaults)
            outputs = {}
            readme = role_dir / "README.md"
            current = readme.read_text() if readme.exists() else f"# pacsops.server.{role}\n"
            outputs[readme] = (current, render_readme(current, role, specs))
            example = INVENTORY / f"{role}.yml"
            current = example.read_text() if example.exists() else None
            outputs[example] = (current, render_inventory(role, specs, options, current))
        except SpecError as err:
            errors.append(str(err))
            continue
        for path, (old, new) in outputs.items():
            if old == new:
                continue
            stale.append(path.relative_to(ROOT))
            if args.check:
                sys.stdout.writelines(difflib.unified_diff(
                    (old or "").splitlines(keepends=True), new.splitlines(keepends=True),
                    f"a/{path.relative_to(ROOT)}", f"b/{path.relative_to(ROOT)}"))
            else:
                path.write_text(new)
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    if stale:
        verb = "out of date (run tools/gen-role-docs.py)" if args.check else "rewritten"
        print(f"{len(stale)} file(s) {verb}: " + " ".join(map(str, stale)), file=sys.stderr)
    return 1 if errors or (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
