# The two commands a newcomer runs (see README):
#   make demo   the main job on an embedded default: a local systemd container `pacsops-demo`
#   make test   every test: lint, sanity, unit tests, Molecule scenarios (CI runs exactly this)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0

.PHONY: demo test bootstrap bootstrap-docker lint sanity unit molecule build clean

demo: bootstrap-docker
	tools/demo.sh

test: bootstrap-docker
	tools/run-tests.sh

bootstrap:
	tools/bootstrap.sh

bootstrap-docker:
	tools/bootstrap.sh --with-docker

lint: bootstrap
	tools/run-tests.sh lint

sanity: bootstrap
	tools/run-tests.sh sanity

unit: bootstrap
	tools/run-tests.sh unit

# One scenario: make molecule SCENARIO=firewall
molecule: bootstrap-docker
	tools/run-tests.sh molecule $(SCENARIO)

build: bootstrap
	ansible-galaxy collection build --force --output-path .cache/dist

clean:
	-docker rm -f pacsops-demo
	rm -rf .cache tests/output
