#!/usr/bin/env python3
"""Lists a built collection tarball and fails on any member outside the collection's allow-list.

    tools/check-tarball.py .cache/build/pacsops-server-*.tar.gz

What belongs in the tarball (galaxy.yml explains why): the collection's content, its docs and
license, the example inventory and the host-free unit tests. Anything else (reports of the hosts
`make demo` ran on, caches, the dev harness) is a leak into every user's installation.
"""
import re
import sys
import tarfile

ALLOWED = re.compile(
    r"^(MANIFEST\.json|FILES\.json|README\.md|COPYING|requirements\.yml"
    r"|meta|plugins|roles|playbooks|docs|changelogs|inventories|inventories/example|tests|tests/unit"
    r"|(meta|plugins|roles|playbooks|docs|changelogs|inventories/example|tests/unit)/.+)$"
)
# Never, even under an allowed directory.
FORBIDDEN = re.compile(r"(^|/)(__pycache__|\.pytest_cache|\.ansible|\.cache|reports)(/|$)|\.pyc$")


def main(path):
    with tarfile.open(path) as tarball:
        members = sorted(m.name.rstrip("/") for m in tarball.getmembers())
    unexpected = [m for m in members if not ALLOWED.match(m) or FORBIDDEN.search(m)]
    for member in members:
        print(("UNEXPECTED " if member in unexpected else "") + member)
    if unexpected:
        print(f"{path}: {len(unexpected)} member(s) outside the allow-list (add them to galaxy.yml build_ignore)",
              file=sys.stderr)
        return 1
    print(f"{path}: {len(members)} members, all in the allow-list")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
