"""The hosting registry: every registered pattern has all its parts, and the plan and stacks reach each one through it.

examples/every-pattern.yaml holds one model of every pattern; a new pattern adds one there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from collections import Counter

import pytest

from loadmaster.hostings.registry import PATTERNS
from loadmaster.planner.make import plan_file
from loadmaster.rehearsal import CHECKED_TYPES, VERIFIERS

EVERY_PATTERN = "examples/every-pattern.yaml"


@pytest.fixture(scope="module")
def plan():
    return plan_file(EVERY_PATTERN)


@pytest.fixture(scope="module")
def template(plan, tmp_path_factory):
    from loadmaster.synthesis import synthesize

    (stack,) = synthesize(plan, tmp_path_factory.mktemp("every-pattern") / "cdk.out")
    return stack.template


def units_by_pattern(plan):
    return {name: plan.units_of(name) for name in PATTERNS}


def test_the_every_pattern_portfolio_has_a_unit_of_every_registered_pattern(plan):
    assert all(units_by_pattern(plan).values()), {name: len(units) for name, units in units_by_pattern(plan).items()}


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_pattern_is_a_variant_of_the_portfolios_hosting_union(name):
    from loadmaster.spec.schema import MODEL_CLASSES

    variant = PATTERNS[name].spec
    assert MODEL_CLASSES[name] is variant
    assert typing.get_args(variant.model_fields["hosting"].annotation) == (name,)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_an_auto_model_may_write_every_patterns_own_keys(name):
    from loadmaster.hostings.auto import AutoModel

    assert issubclass(AutoModel, PATTERNS[name].fields)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_pattern_plans_its_own_units(plan, name):
    pattern = PATTERNS[name]

    units = plan.units_of(name)

    assert units and all(isinstance(unit, pattern.unit) and unit.pattern == name for unit in units)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_pattern_has_a_builder(name):
    from stacks.builders import BUILDERS

    assert BUILDERS[name].pattern == name


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_pattern_has_a_summary_line_in_the_summary(plan, name):
    from loadmaster.summary import render_summary

    summary = render_summary(plan)

    for unit in plan.units_of(name):
        assert unit.summary_lines() and all(line in summary.splitlines() for line in unit.summary_lines())


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_patterns_json_plan_names_each_model_its_hosting_and_why(plan, name):
    units = plan.units_of(name)

    documents = [document for unit in units for document in unit.model_documents()]

    assert [document["name"] for document in documents] == [model for unit in units for model in unit.models]
    assert all(document["hosting"] == name and document["reasons"][0] == "written in the portfolio" for document in documents), documents


def test_the_plans_cost_is_the_sum_of_every_units_charges(plan):
    # Given every unit's instances at mean traffic, priced from the catalog
    charged = sum(charge.instance_type.price_usd_per_hour * charge.counts.expected for unit in plan.units for charge in unit.charges())
    # and what the units without instances bill by use (serverless endpoints)
    by_use = sum(unit.hourly_at_mean for unit in plan.units if not unit.charges())

    # Then the plan's cost is theirs: no pattern's instances or usage are left out or counted twice
    assert all(unit.charges() or unit.hourly_at_mean > 0 for unit in plan.units)
    assert plan.cost.hourly_at_mean == pytest.approx(charged + by_use)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_pattern_offers_a_candidate_to_hosting_auto(plan, name):
    from loadmaster.catalog import load_catalog
    from loadmaster.planner.sizing import demands_by_type
    from loadmaster.spec.load import load_portfolio

    catalog = load_catalog()
    model = load_portfolio(EVERY_PATTERN, catalog).models[0]

    candidate = PATTERNS[name].candidate(model, demands_by_type(model, catalog), catalog)

    assert candidate.pattern == name and candidate.cost and (candidate.fits or candidate.unfit)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_pattern_creates_what_the_rehearsal_checks(template, name):
    created = Counter(resource["Type"] for resource in template["Resources"].values())

    for resource_type in PATTERNS[name].rehearsed_types:
        assert created[resource_type], f"{name}'s builder creates no {resource_type}"
        assert resource_type in VERIFIERS and resource_type in CHECKED_TYPES


def test_reading_a_plan_does_not_import_scipy(plan, tmp_path):
    # Given a plan written to a file, as a tool that reads plans (the summary, the coming simulator) gets it
    import pickle

    path = tmp_path / "plan.pickle"
    path.write_bytes(pickle.dumps(plan))

    # When another process reads it and summarizes it
    script = ("import json, pickle, sys; from loadmaster.summary import render_summary; "
              f"plan = pickle.loads(open({str(path)!r}, 'rb').read()); render_summary(plan); "
              "print(json.dumps(sorted(name for name in sys.modules if name.split('.')[0] in ('scipy', 'numpy', 'aws_cdk'))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout)

    # Then neither SciPy (nor NumPy, nor CDK) was imported
    assert loaded == []


def test_the_plan_module_imports_nothing_of_the_planner():
    script = ("import sys, loadmaster.plan; "
              "print(sorted(name for name in sys.modules if name.startswith(('loadmaster.planner', 'loadmaster.hostings', 'loadmaster.spec'))))")

    assert subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout.strip() == "[]"


# The planner's cost and bill, the checks, the lock and the summary ask every pattern through `HostingPattern`;
# only the pools (`pools:` in the portfolio, inference components' alone) are named, and decide.py packs them.
ASKING_THROUGH_THE_REGISTRY = ("loadmaster/planner/bill.py", "loadmaster/planner/cost.py", "loadmaster/planner/grouping.py", "loadmaster/planner/make.py", "loadmaster/planner/render.py",
                               "loadmaster/planner/review.py", "loadmaster/spec/checks.py", "loadmaster/sticky.py", "loadmaster/summary.py")
POOL_NAMES = {"PoolSpec", "PoolPlan"}


@pytest.mark.parametrize("path", ASKING_THROUGH_THE_REGISTRY)
def test_the_planner_the_checks_and_the_lock_name_no_pattern_but_the_pools(path):
    import ast
    from pathlib import Path

    pattern_modules = {pattern.unit.__module__ for pattern in PATTERNS.values()}
    tree = ast.parse((Path(__file__).parent.parent / path).read_text())

    named = [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             for alias in node.names if node.module in pattern_modules or f"{node.module}.{alias.name}" in pattern_modules]

    assert {name for _, name in named} <= POOL_NAMES, named


def test_a_pattern_without_instances_the_planner_decides_must_bill_by_use():
    # Given serverless' parts, but no cost by use
    from dataclasses import replace

    from loadmaster.hostings.pattern import NONE

    # Then it cannot be made: nothing would count its cost
    with pytest.raises(ValueError, match="it bills by use: give it a cost_by_use"):
        replace(PATTERNS["serverless"], cost_by_use=None)
    assert PATTERNS["serverless"].instances == NONE


@pytest.mark.parametrize("name", sorted(name for name, pattern in PATTERNS.items() if pattern.groups))
def test_a_pattern_that_groups_auto_models_gives_each_member_a_plan_entry_of_its_own(name):
    from dataclasses import fields

    from loadmaster.hostings.pattern import HostsMembers

    # Grouping changes how callers invoke a model: its unit lists the members, each with its entry and invocation
    unit = PATTERNS[name].unit
    assert issubclass(unit, HostsMembers) and "members" in {field.name for field in fields(unit)}
