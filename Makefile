# lvs.cluster developer entry points. Every target installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.tmp/collections
COLL := .tmp/collections/ansible_collections/lvs/cluster

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

deps: ## apt packages for the lab (qemu, debootstrap, podman, ...); needs root
	@bash lab/install-deps.sh

$(VENV)/.stamp: requirements/dev.in requirements/constraints.txt
	python3.11 -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -r requirements/dev.in -c requirements/constraints.txt
	touch $@

venv: $(VENV)/.stamp ## the Python toolchain in .venv

collection: venv ## place this checkout at .tmp/collections/ansible_collections/lvs/cluster (a copy)
	@bash tests/collection-tree.sh $(COLL)

lint: collection ## ruff, yamllint, ansible-lint (production profile)
	ruff check .
	yamllint -s .
	cd $(COLL) && ansible-lint --profile production
	$(PY) tests/check_argument_specs.py

sanity: collection ## ansible-test sanity
	bash tests/ansible-test.sh $(COLL) sanity --python 3.11 --color no

units: collection ## ansible-test units (pytest over tests/unit)
	bash tests/ansible-test.sh $(COLL) units --python 3.11 --color no

docs: collection ## HTML docs (guides + module/role reference + diagrams) into docs/_build/html, offline
	bash docs/build.sh

docs-test: collection ## every docs example, ansible-doc per module/role, the docs build, the diagrams
	$(PY) -m pytest -p no:cacheprovider -n auto tests/docs --ignore=tests/docs/test_doc_examples_lab.py

windows-test: collection ## PowerShell of windows_loopback: syntax-level check + task-logic tests (no Windows host here)
	$(PY) tests/windows/ps_syntax.py $$(git ls-files '*.ps1')
	$(PY) -m pytest -p no:cacheprovider tests/windows

host-test: collection deps ## host-side suites without VMs: keepalived -t over rendered configs, playbooks on the controller
	$(PY) -m pytest -p no:cacheprovider -n 2 tests/director
	$(PY) -m pytest -p no:cacheprovider -n 2 tests/playbooks

check: lint sanity units docs-test windows-test host-test ## the fast path: no VMs

lab-test: collection deps ## lab suites: VMs and containers (needs root)
	$(PY) -m pytest -p no:cacheprovider -rs -n 2 --dist loadfile --durations=0 tests/lab
	$(PY) -m pytest -p no:cacheprovider -rs --durations=0 tests/docs/test_doc_examples_lab.py

# molecule scenarios (create/converge/idempotence/verify/destroy on the lab). `make test` runs the
# CI set; the real-server scenarios repeat what tests/lab covers and run with MOLECULE_SCENARIOS=all.
MOLECULE_CI := rollout director
MOLECULE_ALL := rollout director dr_real_server nat_real_server tun_real_server
MOLECULE_SCENARIOS ?= $(MOLECULE_CI)
molecule: collection deps ## molecule test for MOLECULE_SCENARIOS (default: rollout director; "all" for every scenario)
	@set -e; for s in $(if $(filter all,$(MOLECULE_SCENARIOS)),$(MOLECULE_ALL),$(MOLECULE_SCENARIOS)); do \
	  start=$$(date +%s); echo "== molecule test -s $$s"; \
	  molecule test -s $$s; echo "== molecule $$s passed in $$(( $$(date +%s) - start )) s"; done

test: check lab-test molecule ## everything: the README's test command

demo: collection deps ## roll the cluster out into the local lab and show traffic being balanced
	bash lab/demo.sh

bench: collection deps ## IPVS benchmark in a lab VM: ipvs_table vs raw ipvsadm -R / per-entry calls / -Sn (ratios from one run)
	bash bench/ipvs_table.sh

lab-down: ## tear the lab down
	bin/lvslab down

constraints: ## re-pin requirements/constraints.txt
	python3.11 -m venv .tmp/pin && .tmp/pin/bin/pip install -q -r requirements/dev.in
	(echo "# Generated from requirements/dev.in with pip freeze (Python 3.11). Regenerate: make constraints"; .tmp/pin/bin/pip freeze) > requirements/constraints.txt

.PHONY: help deps venv collection lint sanity units docs docs-test windows-test host-test check lab-test molecule test demo bench lab-down constraints
