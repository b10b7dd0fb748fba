"""Reasons never contradict the plan: every instance type, price and share a reason quotes is the plan's own.

Checked across generated portfolios by reading the reasons as a user does: the numbers are parsed out of the text and
recomputed from the plan's pools, dedicated endpoints and baseline.
"""

from __future__ import annotations

import re

import pytest

from loadmaster.planner.make import make_plan
from loadmaster.hostings.pattern import SIMPLICITY_MARGIN
from loadmaster.planner.sizing import derived_demand
from loadmaster.planner.synthetic import generated_portfolio

COST = re.compile(
    r"^cost: alone, a copy takes a whole (?P<alone>ml\.[\w.]+) \((?P<alone_price>[\d.]+) USD/h\); shared, its share of "
    r"(?P<shared>ml\.[\w.]+) \((?P<share>\d+)% of its busiest resource\) costs (?P<shared_price>[\d.]+) USD/h \((?P<saving>\d+)% (?P<direction>less|more)\)"
    # the batch transform candidate: why it cannot host the model (one it would serve says to write batch:)
    r"(; batch transform: cannot host it, [^;]*(; write batch: [^;]*)?)?"
    # the serverless candidate: why it cannot host the model (a GPU model), or its cost by use
    r"(; serverless(: cannot host it, | at )[^;]*)?$"
)
DERIVED = re.compile(r"-> (?P<count>\d+) x (?P<usable>[\d.]+) GiB \(what a process is given of a (?P<sold>\d+) GB (?P<accelerator>[^)]+)\)")
INSTANCE_TYPE = re.compile(r"ml\.[a-z0-9]+\.[a-z0-9]+")


def weighed_models(plan):
    """(model, hosting, reasons, notes, the type it runs on, its per-copy compute or None) for each model whose hosting was weighed."""
    for pool in plan.pools:
        for component in pool.components:
            yield component.model, "inference-component", component.reasons, component.notes, pool.instance_type, component
    for endpoint in plan.dedicated:
        yield endpoint.model, "dedicated", endpoint.reasons, endpoint.notes, endpoint.instance_type, None


@pytest.mark.parametrize(("models", "seed"), [(models, seed) for models in (10, 40) for seed in range(1, 6)])
def test_every_number_in_a_reason_is_computed_from_the_plan_it_explains(models, seed, catalog):
    portfolio = generated_portfolio(models, seed, catalog)
    sizes = {model.name: model.size_gb for model in portfolio.models}
    plan = make_plan(portfolio, "generated", catalog)
    baseline = {endpoint.model: endpoint for endpoint in plan.cost.baseline}
    for name, hosting, reasons, notes, runs_on, component in weighed_models(plan):
        cost = COST.match(reasons[0])
        assert cost, reasons[0]
        alone, shared = catalog[cost["alone"]], catalog[cost["shared"]]
        if hosting == "inference-component":
            # shared: the type of its pool; alone: its baseline endpoint
            assert shared.name == runs_on.name, (name, reasons[0])
            assert (alone.name, f"{baseline[name].price:.3f}") == (baseline[name].instance_type, cost["alone_price"])
            share = max(need / have for need, have in zip((component.accelerators, component.memory_mb, component.cpu_cores),
                                                          (shared.accelerators, shared.usable_memory_mb, shared.usable_vcpu)))
        else:
            # alone: its own endpoint's type; shared: where a copy of it would be cheapest
            assert alone.name == runs_on.name, (name, reasons[0])
            share = derived_demand(sizes[name], shared).share_of(shared)
        assert cost["alone_price"] == f"{alone.price_usd_per_hour:.3f}"
        assert (cost["share"], cost["shared_price"]) == (f"{share:.0%}"[:-1], f"{shared.price_usd_per_hour * share:.3f}"), (name, reasons[0])
        saving = 1 - float(cost["shared_price"]) / float(cost["alone_price"])
        assert (int(cost["saving"]), cost["direction"]) == (round(abs(saving) * 100), "less" if saving >= 0 else "more"), reasons[0]
        # The verdict follows the same figures
        if reasons[-1] == "chosen: inference-component, sharing instances saves money":
            assert saving >= SIMPLICITY_MARGIN - 5e-4, (name, reasons)
        assert (hosting == "dedicated") == reasons[-1].startswith("chosen: dedicated"), reasons[-1]
        # ... and every instance type any reason or note names is one the plan uses for this model or its baseline
        assert set(INSTANCE_TYPE.findall(" ".join(reasons + notes))) <= {alone.name, shared.name, runs_on.name}, (name, reasons, notes)
        for note in notes:
            derived = DERIVED.search(note)
            if derived:
                assert (int(derived["count"]), derived["usable"], int(derived["sold"]), derived["accelerator"]) == (
                    component.accelerators, f"{runs_on.usable_accelerator_memory_gib:.1f}", runs_on.accelerator_memory_gib, runs_on.accelerator)
