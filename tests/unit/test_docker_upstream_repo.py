"""The docker role's upstream-repository path, rendered with Ansible's templar from the role's own
variable files: the apt .sources file for Debian/Ubuntu and the yum baseurl for RHEL and clones.
download.docker.com is not reachable from the test machines, so this is where the path is checked."""
from __future__ import annotations

import os

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "docker")


def trusted(value):
    """Role files are trusted templates, as they are when Ansible loads a role."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [trusted(v) for v in value]
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    return value


def role_vars(os_file: str, facts: dict, **overrides) -> Templar:
    loader = DataLoader()
    variables: dict = {}
    for part in ("defaults/main.yml", "vars/main.yml", f"vars/{os_file}"):
        variables.update(trusted(loader.load_from_file(os.path.join(ROLE, part))))
    variables.update(ansible_facts=facts, ansible_managed="managed", **overrides)
    return Templar(loader=loader, variables=variables)


def render(templar: Templar, name: str) -> dict[str, str]:
    with open(os.path.join(ROLE, "templates", name), encoding="utf-8") as handle:
        text = templar.template(trust_as_template(handle.read()))
    return dict(line.split(": ", 1) for line in text.splitlines() if line and not line.startswith("#"))


@pytest.mark.parametrize("os_file,facts,expected", [
    ("Debian-12.yml", {"distribution": "Debian", "distribution_release": "bookworm", "architecture": "x86_64"},
     {"URIs": "https://download.docker.com/linux/debian", "Suites": "bookworm", "Architectures": "amd64"}),
    ("Debian.yml", {"distribution": "Debian", "distribution_release": "trixie", "architecture": "aarch64"},
     {"URIs": "https://download.docker.com/linux/debian", "Suites": "trixie", "Architectures": "arm64"}),
    ("Ubuntu.yml", {"distribution": "Ubuntu", "distribution_release": "noble", "architecture": "x86_64"},
     {"URIs": "https://download.docker.com/linux/ubuntu", "Suites": "noble", "Architectures": "amd64"}),
])
def test_apt_sources_file(os_file, facts, expected):
    fields = render(role_vars(os_file, facts), "docker.sources.j2")
    assert fields == {"Types": "deb", "Components": "stable", "Signed-By": "/etc/apt/keyrings/docker.asc", **expected}


def test_apt_sources_file_follows_a_local_mirror_and_channel():
    templar = role_vars("Debian-12.yml", {"distribution": "Debian", "distribution_release": "bookworm", "architecture": "x86_64"},
                        docker_upstream_repo_url="https://mirror.hospital.example/docker", docker_upstream_channel="test")
    fields = render(templar, "docker.sources.j2")
    assert fields["URIs"] == "https://mirror.hospital.example/docker/debian"
    assert fields["Components"] == "test"
    assert templar.template(trust_as_template("{{ __docker_gpg_key_url }}")) == "https://mirror.hospital.example/docker/debian/gpg"


@pytest.mark.parametrize("os_file,distribution,default_source", [
    ("Debian-12.yml", "Debian", "upstream"), ("Debian.yml", "Debian", "distribution"),
    ("Ubuntu.yml", "Ubuntu", "upstream"), ("RedHat.yml", "RedHat", "upstream"),
])
def test_default_source_is_the_one_with_compose_v2(os_file, distribution, default_source):
    templar = role_vars(os_file, {"distribution": distribution, "architecture": "x86_64"})
    assert templar.template(trust_as_template("{{ __docker_source }}")) == default_source
    packages = templar.template(trust_as_template("{{ __docker_packages }}"))
    if default_source == "upstream":
        assert packages == ["docker-ce", "docker-ce-cli", "containerd.io", "docker-compose-plugin", "docker-buildx-plugin"]
    else:
        assert "docker-compose" in packages


@pytest.mark.parametrize("distribution,tree", [("RedHat", "rhel"), ("Rocky", "centos"), ("AlmaLinux", "centos")])
def test_yum_repository_urls(distribution, tree):
    templar = role_vars("RedHat.yml", {"distribution": distribution, "architecture": "x86_64"})
    baseurl = "{{ docker_upstream_repo_url }}/{{ __docker_upstream_distro }}/$releasever/$basearch/{{ docker_upstream_channel }}"
    assert templar.template(trust_as_template(baseurl)) == f"https://download.docker.com/linux/{tree}/$releasever/$basearch/stable"
    assert templar.template(trust_as_template("{{ __docker_gpg_key_url }}")) == f"https://download.docker.com/linux/{tree}/gpg"
