"""Packing copies onto instances: every resource dimension respected, every model able to reach its peak."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadmaster.catalog import load_catalog
from loadmaster.errors import PortfolioError
from loadmaster.plan import Bounds
from loadmaster.planner.make import make_plan
from loadmaster.planner import packing
from loadmaster.planner.packing import _first_fit_decreasing, pack, resource_lower_bound
from loadmaster.planner.sizing import Demand, capacity
from loadmaster.planner.synthetic import generated_document, generated_portfolio
from loadmaster.planner.verify import peak_violations
from planner_givens import IMAGE, auto_model, plan_of

# Small portfolios over many seeds, and the benchmark's (bench/plan_quality.py, which checks all of its own as well)
SEEDED_PORTFOLIOS = sorted({(models, seed) for models in (4, 12, 30) for seed in range(1, 11)}
                           | {(models, seed) for models in (10, 50) for seed in range(1, 6)} | {(200, 1)})


def assert_fits(placement, demands, instance):
    for instance_copies in placement:
        used = np.sum([np.array(demands[model].vector()) * copies for model, copies in instance_copies], axis=0)
        assert np.all(used <= np.array(capacity(instance)) + 1e-9), (instance_copies, used)


def copies_in(placement):
    totals = {}
    for instance_copies in placement:
        for model, copies in instance_copies:
            totals[model] = totals.get(model, 0) + copies
    return totals


@pytest.mark.parametrize(("models", "seed"), SEEDED_PORTFOLIOS)
def test_every_model_fits_at_its_peak_within_its_pools_instances_max(models, seed, catalog):
    # Given a generated portfolio of auto models, planned
    plan = make_plan(generated_portfolio(models, seed, catalog), "generated", catalog)
    # Then every pool's peak placement holds every component's peak copies within instances.max and each
    # instance's accelerators, memory and CPU; every dedicated endpoint may scale to its peak
    assert peak_violations(plan) == []
    # ... and the placement at mean traffic holds the expected copies, within every dimension too
    for pool in plan.pools:
        assert copies_in(pool.placement) == {c.model: c.copy_counts.expected for c in pool.components if c.copy_counts.expected}
        assert_fits(pool.placement, {c.model: Demand(c.accelerators, c.memory_mb, c.cpu_cores or 0.0) for c in pool.components}, pool.instance_type)


def test_a_seed_generates_the_same_portfolio_every_time_and_another_seed_another():
    # The benchmark's figures and these tests' portfolios are reproducible from (models, seed) alone
    assert generated_document(30, 7) == generated_document(30, 7)
    assert generated_document(30, 7) != generated_document(30, 8)


def test_generated_portfolios_hold_the_light_traffic_of_large_models_below_one_concurrent_request():
    # Given the seeds' shape: large models with 0.1 to 4 concurrent requests at mean, stated to a tenth
    means = [model["traffic"]["mean_concurrency"] for seed in range(1, 4) for model in generated_document(30, seed)["models"]]
    # Then some models are busy less than one request at a time, none idle
    assert any(0 < mean < 1 for mean in means) and min(means) > 0


def test_the_peak_check_catches_a_pool_too_small_for_its_peak(catalog):
    plan = make_plan(generated_portfolio(12, 1, catalog), "generated", catalog)
    pool = plan.pools[0]
    squeezed = plan.with_units_of("inference-component", (replace(pool, instances=Bounds(pool.instances.min, len(pool.peak_placement) - 1)),))
    assert peak_violations(squeezed) == [f"{pool.name}: {len(pool.peak_placement)} instances at peak, instances.max is {len(pool.peak_placement) - 1}"]


def test_the_peak_check_catches_an_instance_given_more_copies_than_it_holds(catalog):
    # Given a pool's peak placement squeezed onto its first instance: every copy still placed, one instance overfull
    plan = make_plan(generated_portfolio(12, 1, catalog), "generated", catalog)
    pool = next(pool for pool in plan.pools if len(pool.peak_placement) > 1)
    everything = tuple(sorted(copies_in(pool.peak_placement).items()))
    squeezed = plan.with_units_of("inference-component", (replace(pool, peak_placement=(everything,)),))
    # Then the check names the instance and what it would hold against what it has
    instance = pool.instance_type
    (problem,) = peak_violations(squeezed)
    assert problem.startswith(f"{pool.name}: instance 1 holds [")
    assert problem.endswith(f"] (accelerators, MB, CPU) of {[instance.accelerators, instance.usable_memory_mb, instance.usable_vcpu]}")


def test_the_peak_check_names_a_model_short_of_copies_with_the_copies_it_has(catalog):
    # Given a pool's peak placement with one copy of a model taken away
    plan = make_plan(generated_portfolio(12, 1, catalog), "generated", catalog)
    pool = plan.pools[0]
    component = next(component for component in pool.components if component.copy_counts.peak >= 2)
    first = next(index for index, instance in enumerate(pool.peak_placement) if component.model in dict(instance))
    short = tuple(tuple((model, copies - (model == component.model)) for model, copies in instance if (model, copies) != (component.model, 1))
                  if index == first else instance for index, instance in enumerate(pool.peak_placement))
    squeezed = plan.with_units_of("inference-component", (replace(pool, peak_placement=short),))
    # Then the check says how many it has against how many it needs
    assert peak_violations(squeezed) == [f"{pool.name}: {component.model} has {component.copy_counts.peak - 1} copies placed at peak, needs {component.copy_counts.peak}"]


def test_a_model_with_no_copy_at_peak_need_not_be_placed(catalog):
    # Given a component that needs no copy at peak, placed nowhere
    from loadmaster.planner.sizing import Counts

    plan = make_plan(generated_portfolio(12, 1, catalog), "generated", catalog)
    pool = plan.pools[0]
    idle, *others = pool.components
    emptied = tuple(tuple(item for item in instance if item[0] != idle.model) for instance in pool.peak_placement)
    unit = replace(pool, components=(replace(idle, copy_counts=Counts(0, 0, 0), copies=Bounds(0, idle.copies.max)), *others), peak_placement=tuple(i for i in emptied if i))
    # Then nothing is wrong with it
    assert [problem for problem in peak_violations(plan.with_units_of("inference-component", (unit,))) if idle.model in problem] == []


demand = st.builds(Demand, st.integers(1, 4), st.sampled_from([4096, 16384, 32768, 65536, 131072]), st.sampled_from([0.0, 2.0, 4.0, 8.0, 16.0]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(demand, st.integers(1, 6)), min_size=1, max_size=6))
def test_a_packing_places_every_copy_within_every_dimension_of_its_instances(items):
    instance = load_catalog()["ml.g5.12xlarge"]  # 4 GPUs, 192 GiB, 48 vCPUs
    copies = [(f"m{index}", item_demand, count) for index, (item_demand, count) in enumerate(items)]
    placement = pack(copies, instance)
    assert copies_in(placement) == {model: count for model, _, count in copies}
    assert_fits(placement, {model: item_demand for model, item_demand, _ in copies}, instance)


# ml.g5.12xlarge's copies may reserve 4 GPUs, 176,947 MB and 45.6 vCPUs; ml.c5.xlarge's no GPU, 7,372 MB, 3.8 vCPUs.
@pytest.mark.parametrize(("instance_type", "demand", "count", "bound"), [
    ("ml.g5.12xlarge", Demand(1, 8192, 2.0), 9, 3),  # GPUs: 9 of 4 a piece
    ("ml.g5.12xlarge", Demand(0, 65536, 1.0), 8, 3),  # memory: 524,288 MB
    ("ml.g5.12xlarge", Demand(0, 1024, 10.0), 10, 3),  # vCPUs: 100
    ("ml.c5.xlarge", Demand(0, 1024, 2.0), 4, 3),  # vCPUs on a type without GPUs: 8
], ids=["gpu-bound", "memory-bound", "cpu-bound", "cpu-type"])
def test_the_lower_bound_is_what_the_busiest_resource_needs_in_whole_instances(catalog, instance_type, demand, count, bound):
    assert resource_lower_bound([("m", demand, count)], catalog[instance_type]) == bound


def test_the_most_copies_a_model_may_have_pack_at_once(catalog):
    # Given 10,000 copies (the most a model may have) of three models on ml.g6.12xlarge
    copies = [("a", Demand(1, 4096, 2.0), 10_000), ("b", Demand(2, 8192, 4.0), 10_000), ("c", Demand(0, 1024, 1.0), 10_000)]
    started = time.monotonic()
    placement = _first_fit_decreasing(copies, catalog["ml.g6.12xlarge"])
    # Then they are placed in whole instances at once, not one instance per pass over all the others (minutes)
    assert time.monotonic() - started < 2  # on a loaded machine; milliseconds on a quiet one
    assert copies_in(placement) == {"a": 10_000, "b": 10_000, "c": 10_000}
    assert len(placement) == 5_000 + 2_500  # 2 copies of b or 4 of a fill 4 GPUs; c fits in the CPU and memory left


def test_a_loose_resource_bound_costs_a_few_solver_attempts_not_one_per_instance_below_first_fit(catalog, monkeypatch):
    # Given 100 copies of 3 GPUs on 4-GPU instances: one copy an instance, though the GPU total allows 75
    attempts = []
    solve = packing._solve_packing
    monkeypatch.setattr(packing, "_solve_packing", lambda *args: attempts.append(args[2]) or solve(*args))
    placement = pack([("m", Demand(3, 1024, 1.0), 100)], catalog["ml.g5.12xlarge"])
    # Then first fit's 100 stands, after one attempt at 99 rather than 25 from 75 up (minutes on large pools)
    assert len(placement) == 100
    assert attempts == [99]


def test_copies_are_packed_by_memory_and_cpu_too_not_only_by_accelerators(catalog):
    # Given copies of 1 GPU and 100 GiB of host memory on ml.g5.12xlarge (4 GPUs, 192 GiB)
    copies = [("heavy", Demand(1, 100 * 1024, 4.0), 4)]
    # Then memory, not the GPUs, sets one copy per instance
    assert len(pack(copies, catalog["ml.g5.12xlarge"])) == 4


def test_the_solver_packs_tighter_than_first_fit_decreasing_where_it_can(catalog):
    # Given copies on which first-fit decreasing needs 5 instances, while the resource totals allow 4
    # (ml.g5.12xlarge: 4 GPUs, 45.6 of its 48 vCPUs usable, so two m0 copies fill its CPUs)
    instance = catalog["ml.g5.12xlarge"]
    copies = [("m0", Demand(1, 65536, 22.0), 3), ("m1", Demand(2, 16384, 4.0), 1),
              ("m2", Demand(3, 32768, 2.0), 3), ("m3", Demand(1, 32768, 4.0), 2)]
    assert len(_first_fit_decreasing(copies, instance)) == 5
    # Then the packing uses 4
    placement = pack(copies, instance)
    assert len(placement) == 4
    assert_fits(placement, {model: item_demand for model, item_demand, _ in copies}, instance)


def test_models_left_unplaced_share_a_pool_chosen_by_the_planner():
    plan = plan_of([auto_model("a", size_gb=2), auto_model("b", size_gb=3)])
    (pool,) = plan.pools
    assert pool.name == f"auto-{pool.instance_type.name.removeprefix('ml.').replace('.', '-')}"
    assert pool.endpoint_name == f"test-{pool.name}"
    assert {component.model for component in pool.components} == {"a", "b"}


def test_the_planner_chooses_a_pools_type_by_its_cost_at_mean_traffic_not_by_what_its_copies_max_would_cost():
    # Given a one-GPU copy, 1 at mean and up to 8, and ml.g4dn.12xlarge (4 x T4) priced at 2.0 USD/h: dearer than one
    # ml.g4dn.xlarge (0.7364) at mean, cheaper for 8 copies (2 x 2.0 against 8 x 0.7364)
    model = {"name": "m", "image": IMAGE, "hosting": "inference-component", "size_gb": 2, "copies": {"min": 1, "max": 8},
             "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 4}}
    plan = plan_of([model], prices={"ml.g4dn.12xlarge": 2.0})
    # Then the pool is on the type that is cheapest at mean traffic, grown to 8 instances to hold every copy at once
    (pool,) = plan.pools
    assert (pool.instance_type.name, pool.instances.max) == ("ml.g4dn.xlarge", 8)
    assert plan.cost.hourly_at_mean == pytest.approx(0.7364)


def test_the_plan_never_overrides_an_explicit_pool_instance_type_or_instances():
    # Given a pool written as ml.p4d.24xlarge x {1, 3}: pricier per GPU than the planner's own choice would be
    pools = [{"name": "mine", "instance_type": "ml.p4d.24xlarge", "instances": {"min": 1, "max": 3}}]
    plan = plan_of([auto_model("m", size_gb=2, pool="mine")], pools)
    (pool,) = plan.pools
    assert (pool.name, pool.instance_type.name, pool.instances.min, pool.instances.max) == ("mine", "ml.p4d.24xlarge", 1, 3)


def test_the_plan_never_overrides_an_explicit_per_copy():
    pools = [{"name": "mine", "instance_type": "ml.g5.12xlarge"}]
    model = auto_model("m", size_gb=2, pool="mine", per_copy={"accelerators": 2, "memory_mb": 50000, "cpu_cores": 3})
    (component,) = plan_of([model], pools).pools[0].components
    assert (component.accelerators, component.memory_mb, component.cpu_cores) == (2, 50000, 3)
    assert not any(note.startswith("per_copy derived") for note in component.notes)


def test_a_pool_without_an_instance_type_gets_the_cheapest_that_reaches_every_peak_within_its_max():
    # Given a pool capped at 1 instance for models that need 6 GPUs at peak
    pools = [{"name": "capped", "instances": {"min": 1, "max": 1}}]
    models = [auto_model(name, size_gb=2, mean=5, peak=15, pool="capped") for name in ("a", "b")]
    (pool,) = plan_of(models, pools).pools
    # Then the planner picks an 8-GPU type, the cheapest of them, and keeps the user's instance bounds
    assert pool.instance_type.name == "ml.g6.48xlarge"
    assert (pool.instances.min, pool.instances.max) == (1, 1)
    assert pool.notes == ("instance type chosen by the planner: ml.g6.48xlarge",)


def test_a_written_pool_may_not_take_the_name_of_a_pool_the_planner_creates():
    # Given a pool named like the planner's ml.g4dn.xlarge pool, and a model left for the planner to place there
    pools = [{"name": "auto-g4dn-xlarge", "instance_type": "ml.g5.12xlarge", "instances": {"min": 1, "max": 1}}]
    with pytest.raises(PortfolioError) as error:
        plan_of([auto_model("small", size_gb=2)], pools)
    assert [(p.location, p.message) for p in error.value.problems] == [
        ("pools", "'auto-g4dn-xlarge' is the name the planner gives its ml.g4dn.xlarge pool: rename your pool")]
