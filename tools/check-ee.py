#!/usr/bin/env python3
"""Checks the execution environment files against each other (tools/run-tests.sh `ee`).

    tools/check-ee.py deps                      requirements.yml == galaxy.yml dependencies, and the
                                                collections installed here (the pinned `ansible`
                                                bundle) satisfy every range
    tools/check-ee.py context DIR               DIR (ansible-builder create output) holds our files
                                                and its Containerfile uses them
    tools/check-ee.py introspect OUTPUT_FILE    `ansible-builder introspect` of the installed tarball
                                                lists every line of meta/ee-*.txt as pacsops.server's
"""
import importlib.util
import pathlib
import re
import sys

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = pathlib.Path(__file__).resolve().parent.parent


def requirement_lines(path):
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def installed_version(name):
    namespace, collection = name.split(".")
    for base in importlib.util.find_spec("ansible_collections").submodule_search_locations:
        manifest = pathlib.Path(base, namespace, collection, "MANIFEST.json")
        if manifest.exists():
            return yaml.safe_load(manifest.read_text())["collection_info"]["version"]
    return None


def check_deps():
    errors = []
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"]
    required = {c["name"]: c["version"] for c in yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]}
    if galaxy != required:
        errors.append(f"requirements.yml {required} != galaxy.yml dependencies {galaxy}")
    for name, spec in required.items():
        version = installed_version(name)
        if version is None:
            errors.append(f"{name}: not installed here")
        elif Version(version) not in SpecifierSet(spec):
            errors.append(f"{name} {version} (the pinned ansible bundle) is outside requirements.yml's {spec}")
        else:
            print(f"{name} {version} satisfies {spec}")
    return errors


def check_context(context):
    context = pathlib.Path(context)
    containerfile = context / "Containerfile"
    if not containerfile.exists():
        return [f"{containerfile} missing"]
    text = containerfile.read_text()
    errors = []
    if not re.search(r'^ARG EE_BASE_IMAGE="[^"]+"', text, re.M) or "FROM $EE_BASE_IMAGE" not in text:
        errors.append("Containerfile: no EE_BASE_IMAGE build argument for the base image")
    ours = {
        "_build/requirements.txt": ROOT / "meta" / "ee-requirements.txt",
        "_build/bindep.txt": ROOT / "meta" / "ee-bindep.txt",
        "_build/requirements.yml": ROOT / "requirements.yml",
    }
    for built, source in ours.items():
        if not (context / built).exists():
            errors.append(f"{built} missing from the build context")
        elif requirement_lines(context / built) != requirement_lines(source):
            errors.append(f"{built} differs from {source.relative_to(ROOT)}")
    if "COPY _build/requirements.txt" not in text or "COPY _build/bindep.txt" not in text or "-r requirements.yml" not in text:
        errors.append("Containerfile does not use the Python, system and Galaxy requirements")
    if not list((context / "_build" / "collection").glob("pacsops-server-*.tar.gz")):
        errors.append("the collection tarball is missing from the build context")
    if "pacsops-server-*.tar.gz" not in text:
        errors.append("Containerfile does not install the collection tarball")
    if not errors:
        print(f"{containerfile}: base image from EE_BASE_IMAGE, installs meta/ee-requirements.txt, "
              "meta/ee-bindep.txt, requirements.yml and the collection tarball")
    return errors


def check_introspect(output):
    data = yaml.safe_load(pathlib.Path(output).read_text())
    errors = []
    for key, source in (("python", "ee-requirements.txt"), ("system", "ee-bindep.txt")):
        found = {entry.split("#")[0].strip() for entry in data.get(key) or [] if "from collection pacsops.server" in entry}
        missing = [line for line in requirement_lines(ROOT / "meta" / source) if line not in found]
        if missing:
            errors.append(f"ansible-builder introspect does not see meta/{source} lines {missing} "
                          "(meta/execution-environment.yml paths, or the file left out of the tarball?)")
    if not errors:
        print("ansible-builder introspect reads meta/ee-requirements.txt and meta/ee-bindep.txt from the installed tarball")
    return errors


def main(argv):
    command = argv[1]
    errors = {"deps": check_deps, "context": lambda: check_context(argv[2]),
              "introspect": lambda: check_introspect(argv[2])}[command]()
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
