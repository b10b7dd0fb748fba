"""The plan's cost against the baseline (one endpoint per model) and the packing's LP lower bound."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from loadmaster.catalog import Catalog
from loadmaster.planner.make import make_plan
from loadmaster.planner.cost import lower_bound
from loadmaster.planner.packing import Unit
from loadmaster.planner.render import plan_document, render_markdown
from loadmaster.planner.sizing import Counts, Demand
from loadmaster.planner.synthetic import generated_portfolio
from planner_givens import IMAGE, auto_model, plan_of, portfolio_of

H200_POOL = {"name": "h200", "instance_type": "ml.p5en.48xlarge", "instances": {"min": 1, "max": 2}}


def copies_of(plan) -> dict[str, Counts]:
    counts = {component.model: component.copy_counts for pool in plan.pools for component in pool.components}
    return counts | {endpoint.model: endpoint.instance_counts for endpoint in plan.dedicated}


@pytest.mark.parametrize("seed", range(1, 9))
def test_plan_and_baseline_are_compared_at_the_same_traffic(seed, catalog):
    # Given a generated portfolio
    plan = make_plan(generated_portfolio(15, seed, catalog), "generated", catalog)
    cost = plan.cost
    # Then the bound is below the plan, and each ratio divides the baseline by the plan at one traffic level
    assert 0 < cost.lower_bound_hourly <= cost.hourly_at_mean + 1e-9 <= cost.hourly_at_peak + 1e-9
    assert cost.savings_ratio_at_mean == pytest.approx(cost.baseline_hourly_at_mean / cost.hourly_at_mean)
    assert cost.savings_ratio_at_peak == pytest.approx(cost.baseline_hourly_at_peak / cost.hourly_at_peak)
    # ... and each baseline endpoint has one instance per copy the plan runs at that level (at least one)
    counts = copies_of(plan)
    for endpoint in cost.baseline:
        assert (endpoint.instances_at_mean, endpoint.instances_at_peak) == (max(1, counts[endpoint.model].expected), max(1, counts[endpoint.model].peak))


def test_the_lower_bound_is_the_fractional_instances_that_cover_the_busiest_resource(catalog):
    # Given 3 copies of 1 GPU that may run on ml.g6.12xlarge only (4 GPUs, 5.752 USD/h)
    unit = Unit("m", {"ml.g6.12xlarge": Demand(1, 1024, 1.0)}, Counts(0, 3, 3), 3)
    # Then the bound is three quarters of an instance
    assert lower_bound([unit], catalog) == pytest.approx(0.75 * 5.752)


def test_the_lower_bound_takes_the_cheapest_mix_of_instance_types(catalog):
    # Given a copy that fits a whole ml.g6.xlarge (1.0056 USD/h) or a quarter of ml.g6.12xlarge (5.752 USD/h)
    unit = Unit("m", {"ml.g6.xlarge": Demand(1, 1024, 1.0), "ml.g6.12xlarge": Demand(1, 1024, 1.0)}, Counts(0, 2, 2), 2)
    assert lower_bound([unit], catalog) == pytest.approx(2 * 1.0056)


def test_the_baseline_is_one_endpoint_per_model_on_the_cheapest_type_that_holds_a_copy_at_mean_and_at_peak():
    # Given a 2 GB model whose mean needs 1 copy and peak 4, and a 30 GB one whose mean needs 1 and peak 2
    plan = plan_of([auto_model("small", size_gb=2, mean=5, peak=20), auto_model("large", size_gb=30, mean=1, peak=10)])
    baseline = {endpoint.model: (endpoint.instance_type, endpoint.instances_at_mean, endpoint.instances_at_peak) for endpoint in plan.cost.baseline}
    # Then the small one takes ml.g4dn.xlarge (one T4, 15 GiB usable, 0.7364 USD/h), the large one (33.5 GiB of GPU
    # memory) ml.g6e.2xlarge, the cheapest with one L40S (45 GiB usable) and the host memory to stage its weights
    assert baseline == {"small": ("ml.g4dn.xlarge", 1, 4), "large": ("ml.g6e.2xlarge", 1, 2)}
    assert plan.cost.baseline_hourly_at_mean == pytest.approx(0.7364 + 2.8026)
    assert plan.cost.baseline_hourly_at_peak == pytest.approx(4 * 0.7364 + 2 * 2.8026)
    # ... and the cost table's row at peak prints the plan and that baseline side by side
    ratio = plan.cost.baseline_hourly_at_peak / plan.cost.hourly_at_peak
    assert f"| at peak | {plan.cost.hourly_at_peak:.2f} | 8.55 | **{ratio:.2f}x** |" in render_markdown(plan).splitlines()


def test_the_baseline_holds_a_written_copys_accelerator_memory_on_the_same_kind_of_accelerator():
    # Given a 405B model written per copy as 8 H200 GPUs (8 x 131 GiB usable) on ml.p5en.48xlarge, without size_gb
    pools = [H200_POOL]
    model = {"name": "llama-405b", "image": IMAGE, "pool": "h200", "per_copy": {"accelerators": 8, "memory_mb": 900_000, "cpu_cores": 64},
             "copies": {"min": 1, "max": 2}, "traffic": {"pattern": "steady", "mean_concurrency": 4, "peak_concurrency": 8}}
    (endpoint,) = plan_of([model], pools).cost.baseline
    # Then its baseline is ml.p5e.48xlarge (8 x H200), not ml.p4d.24xlarge (8 x 40 GB cannot hold it)
    assert endpoint.instance_type == "ml.p5e.48xlarge"


def test_an_inferentia_copy_is_compared_with_an_inferentia_endpoint():
    pools = [{"name": "neuron", "instance_type": "ml.inf2.24xlarge", "instances": {"min": 1, "max": 2}}]
    model = {"name": "neuron-model", "image": IMAGE, "pool": "neuron", "per_copy": {"accelerators": 2, "memory_mb": 16384, "cpu_cores": 4}}
    (endpoint,) = plan_of([model], pools).cost.baseline
    # 2 x 29.8 GiB of Inferentia2 memory: ml.inf2.24xlarge is the cheapest Inferentia2 type with 2 chips
    assert endpoint.instance_type == "ml.inf2.24xlarge"


def test_a_model_served_on_cpu_is_compared_with_an_endpoint_on_the_cheapest_cpu_type_that_holds_its_weights():
    # Given a 0.44 GB classifier whose image says cpu, steady at 2 concurrent requests
    cpu_image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"
    plan = plan_of([auto_model("bert", size_gb=0.44, pattern="steady", mean=2, peak=4, image=cpu_image)])
    # Then its baseline is one ml.c5.large (0.102 USD/h), priced, with no note of a baseline unknown
    (endpoint,) = plan.cost.baseline
    assert (endpoint.instance_type, endpoint.price, endpoint.instances_at_mean) == ("ml.c5.large", 0.102, 1)
    assert plan.notes == ()


def test_portfolio_prices_override_the_catalogs():
    written = plan_of([auto_model("m", size_gb=2, pattern="steady", mean=5, peak=5)], prices={"ml.g6.xlarge": 0.5})
    # The steady model keeps one ml.g6.xlarge; at 0.5 USD/h it is still the cheapest
    assert written.cost.hourly_at_mean == pytest.approx(0.5)
    assert written.dedicated[0].instance_type.price_source == "test.yaml: prices"


def test_an_instance_type_without_a_price_makes_the_cost_unknown_never_free():
    # Given a pool the user put on ml.p5en.48xlarge, which the shipped catalog cannot price
    plan = plan_of([auto_model("m", size_gb=100, pool="h200")], [H200_POOL])
    cost = plan.cost
    # Then the plan's cost and the ratios are unknown, not 0
    assert (cost.hourly_at_mean, cost.hourly_at_peak, cost.lower_bound_hourly) == (None, None, None)
    assert (cost.savings_ratio_at_mean, cost.savings_ratio_at_peak) == (None, None)
    assert cost.unknown_prices == ("ml.p5en.48xlarge",)
    # ... while the baseline still prices one endpoint on the cheapest priced GPU type that holds its 111.8 GiB:
    # 4 L40S of ml.g6e.12xlarge (13.1158 USD/h)
    assert [endpoint.instance_type for endpoint in cost.baseline] == ["ml.g6e.12xlarge"]
    # ... and the plan says why and names the key that fixes it, in JSON (null) and Markdown alike
    (note,) = plan.notes
    assert "ml.p5en.48xlarge has no price in the catalog" in note and "`prices: {ml.p5en.48xlarge: <USD per hour>}`" in note
    document = json.loads(json.dumps(plan_document(plan)))
    assert (document["hourly_cost"], document["hourly_at_peak"], document["savings_ratio"], document["savings_ratio_at_peak"]) == (None, None, None, None)
    assert document["unknown_prices"] == ["ml.p5en.48xlarge"]
    assert "| at mean | unknown | 26.23 | n/a |" in render_markdown(plan)  # 2 copies at mean: 2 x 13.1158


def test_a_price_once_written_makes_the_cost_known():
    plan = plan_of([auto_model("m", size_gb=100, pool="h200")], [H200_POOL], prices={"ml.p5en.48xlarge": 80.0})
    assert plan.cost.hourly_at_mean == pytest.approx(80.0) and plan.cost.unknown_prices == () and plan.notes == ()


def test_without_traffic_the_figure_at_mean_is_the_cost_at_the_floor_and_says_so():
    # Given a model without traffic that may scale to zero
    model = {"name": "quiet", "image": IMAGE, "hosting": "inference-component", "size_gb": 2, "copies": {"min": 0, "max": 2}}
    plan = plan_of([model])
    # Then no copy is invented for its mean: it sits at its floor, 0 copies and 0 instances
    assert plan.pools[0].components[0].copy_counts.expected == 0
    assert plan.cost.hourly_at_mean == 0 and plan.cost.mean_not_stated == ("quiet",)
    # ... and the plan labels the figure as the cost at the floor
    assert "| at the floor (no model states traffic) | 0.00 |" in render_markdown(plan)
    assert any(note.startswith("no traffic to size from for quiet") for note in plan.notes)


def test_many_models_without_traffic_are_counted_in_the_cost_table_and_named_in_the_notes():
    # Given one model with traffic and seven without
    quiet = [{"name": f"quiet-{number}", "image": IMAGE, "hosting": "inference-component", "size_gb": 2, "copies": {"min": 0, "max": 2}}
             for number in range(7)]
    plan = plan_of([auto_model("busy", size_gb=2), *quiet])
    # Then the row at mean counts them rather than naming each, and the note names them
    markdown = render_markdown(plan)
    assert "| at mean (7 of 8 models at the floor: no traffic stated, see the notes) |" in markdown and "quiet-6 at the floor" not in markdown
    assert any(note.startswith("no traffic to size from for quiet-0, quiet-1") for note in plan.notes)


def test_a_few_models_without_traffic_are_named_in_the_cost_table():
    quiet = [{"name": f"quiet-{number}", "image": IMAGE, "hosting": "inference-component", "size_gb": 2, "copies": {"min": 0, "max": 2}}
             for number in range(2)]
    assert "| at mean (quiet-0, quiet-1 at the floor: no traffic stated) |" in render_markdown(plan_of([auto_model("busy", size_gb=2), *quiet]))


def test_a_model_no_priced_type_can_hold_has_an_unknown_baseline_and_no_ratio(catalog):
    # Given a catalog in which neither H200 type has a price, and a copy that needs 8 H200s
    unpriced = Catalog({**catalog.instance_types, "ml.p5e.48xlarge": replace(catalog["ml.p5e.48xlarge"], price_usd_per_hour=None)}, catalog.sources)
    model = {"name": "llama-405b", "image": IMAGE, "pool": "h200", "per_copy": {"accelerators": 8, "memory_mb": 900_000, "cpu_cores": 64}}
    plan = make_plan(portfolio_of([model], [H200_POOL]), "test.yaml", unpriced)
    # Then its baseline is unknown too, not priced on a type that cannot hold it, and no ratio is made up
    (endpoint,) = plan.cost.baseline
    assert (endpoint.instance_type, plan.cost.baseline_hourly_at_mean, plan.cost.savings_ratio_at_peak) == (None, None, None)
    assert plan.notes[1] == "baseline unknown: no priced instance type of the same kind of accelerator holds a copy of llama-405b; set one under `prices:`"
    assert "| llama-405b | none priced holds a copy | unknown | 1 | 1 | unknown | unknown |" in render_markdown(plan)
