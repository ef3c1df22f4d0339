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

schema: collection ## regenerate the files derived from the one schema (doc fragment, director service_model entry point, docs tables)
	PYTHONPATH=$(CURDIR)/.tmp/collections $(PY) tests/schema_gen.py $(CURDIR)

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
	@# loadfile: test_os_families' one ansible-playbook fixture (~100 s) runs on one worker, not on both
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile tests/playbooks

# The packaging tools (galaxy-importer, ansible-builder) in a venv of their own; `ansible` brings the
# collection's dependencies for the importer's ansible-lint.
PKG_VENV := .venv-packaging
$(PKG_VENV)/.stamp: requirements/packaging.in
	python3.11 -m venv $(PKG_VENV)
	$(PKG_VENV)/bin/pip install -q -U pip
	$(PKG_VENV)/bin/pip install -q -r requirements/packaging.in
	touch $@

packaging-test: venv $(PKG_VENV)/.stamp ## the tarball (allow-list, install + ansible-doc + site --syntax-check), ansible-builder create, galaxy-importer
	PACKAGING_VENV=$(CURDIR)/$(PKG_VENV) $(PY) -m pytest -p no:cacheprovider -rs tests/packaging

# Every ansible-core minor that meta/runtime.yml allows (requires_ansible >=2.19.0) is tested: 2.19
# in .venv (everything), the newer ones in a venv each on Python 3.12 (units, sanity, host suites).
NEWER_CORES := 2.20 2.21
ANSIBLE_PKG_2.20 := 13
ANSIBLE_PKG_2.21 := 14
# a real python3.12 (a pyenv shim for an inactive version answers "command not found")
PY312 ?= $(firstword $(foreach p,$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12),\
  $(if $(shell $(p) -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && echo ok),$(p))))
.venv-core%/.stamp: requirements/core-newer.in
	@test -n "$(PY312)" || { echo "no working python3.12 (~/.pyenv/versions/3.12*, /usr/bin, /usr/local/bin): ansible-core $* is tested on Python 3.12"; exit 1; }
	$(PY312) -m venv .venv-core$*
	.venv-core$*/bin/pip install -q -U pip
	.venv-core$*/bin/pip install -q "ansible-core==$*.*" "ansible==$(ANSIBLE_PKG_$*).*" -r requirements/core-newer.in
	touch $@

# Two lanes side by side: sanity (mostly one process at a time) of each core in turn, in a copy of the
# collection of its own and into a log printed at the end; units of each core, then the host suites
# (both cores) on the newest one (2.19 runs them in host-test; they were ~330 s per core on 2 cores). Sanity's per-test virtualenvs are shared between the cores' runs
# (~/.ansible/test/venv), so the sanity runs never overlap each other.
CORE_SANITY := .tmp/core-test/ansible_collections/lvs/cluster
core-test: collection deps $(foreach c,$(NEWER_CORES),.venv-core$(c)/.stamp) ## units and sanity on each newer ansible-core, host suites on the newest (Python 3.12)
	@set -e; bash tests/collection-tree.sh $(CORE_SANITY); \
	( set -e; for c in $(NEWER_CORES); do echo "== sanity on ansible-core $$c"; \
	    PATH=$(CURDIR)/.venv-core$$c/bin:$$PATH bash tests/ansible-test.sh $(CORE_SANITY) sanity --python 3.12 --color no; done \
	) > .tmp/core-test/sanity.log 2>&1 & sanity=$$!; \
	rc=0; for c in $(NEWER_CORES); do v=$(CURDIR)/.venv-core$$c/bin; \
	  echo "== $$($$v/ansible --version | head -1) on $$($$v/python --version)"; \
	  PATH=$$v:$$PATH bash tests/ansible-test.sh $(COLL) units --python 3.12 --color no || rc=1; done; \
	v=$(CURDIR)/.venv-core$(lastword $(NEWER_CORES))/bin; echo "== host suites on $$($$v/ansible --version | head -1)"; \
	$$v/python -m pytest -p no:cacheprovider -n 2 tests/director || rc=1; \
	$$v/python -m pytest -p no:cacheprovider -n 2 tests/playbooks || rc=1; \
	wait $$sanity || rc=1; cat .tmp/core-test/sanity.log; \
	test $$rc -eq 0 || { echo "core-test: failed on a newer ansible-core (above)"; exit 1; }

check: lint sanity units docs-test windows-test host-test packaging-test ## the fast path: no VMs

# The lab suites run as jobs, LAB_JOBS at a time, longest first (tests/lab_jobs.py; durations in
# tests/lab-durations.json): each tests/lab file on Debian 12, except LAB_SMOKE (the files on the
# session's smoke lab: one job, one boot); LAB_TRIXIE on Debian 13 (the suites whose subject differs
# between the releases: keepalived -t of the whole render matrix, 2.3.3; the IPVS modules against
# kernel 6.12; one smoke lab for both); the docs' lab examples; molecule scenarios per release.
# CI's 2 cores take 2 labs at once.
LAB_JOBS ?= 2
export LAB_JOBS
export LAB_SMOKE := tests/lab/test_director_config_test.py tests/lab/test_ipvs_modules.py tests/lab/test_ipvs_entry_points.py tests/lab/test_ipvs_drain.py
export LAB_TRIXIE := tests/lab/test_director_config_test.py tests/lab/test_ipvs_modules.py
lab-test: collection deps ## lab suites: VMs and containers (needs root); LAB_TRIXIE also on Debian 13
	$(PY) tests/lab_jobs.py lab

# molecule scenarios (create/converge/idempotence/verify/destroy on the lab) on every release in
# MOLECULE_RELEASES. The real-server scenarios repeat what tests/lab covers and run with
# MOLECULE_SCENARIOS=all. Each run has a lab of its own name (m<scenario><12|13>).
export MOLECULE_ALL := rollout director dr_real_server nat_real_server tun_real_server
export MOLECULE_SCENARIOS ?= rollout director
export MOLECULE_RELEASES ?= bookworm trixie
molecule: collection deps ## molecule test for MOLECULE_SCENARIOS (rollout director; "all") on MOLECULE_RELEASES (bookworm trixie)
	$(PY) tests/lab_jobs.py molecule

# In make test, molecule runs on Debian 13 only: on Debian 12, tests/lab/test_rollout.py and
# test_director.py run the same playbooks and group_vars on the same pair lab with more checks
# (idempotence, verify, --check --diff, failover, reload), so a molecule run there repeats them.
# On Debian 13, make test runs the director scenario only: its converge runs all three roles
# (director pair, DR and NAT real servers) with testinfra checks (keepalived, VIPs and gateway on the
# MASTER, traffic split, VRRP firewall); the rollout scenario runs the same roles through site.yml,
# whose orchestration does not depend on the release and runs on Debian 12 in tests/lab/test_rollout.py.
# Measured on 2 cores the lab stage is CPU-bound (98% busy), and this job was ~450 s of it.
MOLECULE_CI_RELEASES ?= trixie
MOLECULE_CI_SCENARIOS ?= director
lab-suites: collection deps ## lab-test and molecule (MOLECULE_CI_SCENARIOS on MOLECULE_CI_RELEASES) as one pool of jobs, LAB_JOBS at a time (what make test runs)
	MOLECULE_RELEASES="$(MOLECULE_CI_RELEASES)" MOLECULE_SCENARIOS="$(MOLECULE_CI_SCENARIOS)" $(PY) tests/lab_jobs.py lab molecule

# `make test` runs the host-side stages one after the other and lab-suites beside them from the end of
# deps (one lab job at a time until the host-side stages are done); it prints each one's wall time (tests/stages.sh)
TEST_STAGES := lint sanity units docs-test windows-test host-test packaging-test core-test lab-suites
test: venv ## everything: the README's test command (what CI runs); wall time per stage
	@bash tests/stages.sh $(TEST_STAGES)

demo: collection deps ## roll the cluster out into the local lab and show traffic being balanced
	bash lab/demo.sh

bench: collection deps ## IPVS benchmark in a lab VM: ipvs_table vs raw ipvsadm -R / per-entry calls / -Sn (ratios from one run)
	bash bench/ipvs_table.sh

bench-rollout: collection deps ## site.yml no-op with 10 and with 1,000 services on the pair lab (ratio and tasks per host, one run)
	bash bench/rollout.sh

lab-down: ## tear the lab down
	bin/lvslab down

constraints: ## re-pin requirements/constraints.txt
	python3.11 -m venv .tmp/pin && .tmp/pin/bin/pip install -q -r requirements/dev.in
	(echo "# Generated from requirements/dev.in with pip freeze (Python 3.11). Regenerate: make constraints"; .tmp/pin/bin/pip freeze) > requirements/constraints.txt

.PHONY: help deps venv collection schema lint sanity units docs docs-test windows-test host-test packaging-test core-test check lab-test molecule lab-suites test demo bench bench-rollout lab-down constraints
