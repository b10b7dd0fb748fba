"""The plan's cost against the baseline (one endpoint per model) and the packing's LP lower bound."""

from __future__ import annotations

import pytest

from loadmaster.plan import make_plan
from loadmaster.planner.cost import lower_bound
from loadmaster.planner.packing import Unit
from loadmaster.planner.sizing import Counts, Demand
from loadmaster.planner.synthetic import generated_portfolio
from planner_givens import auto_model, plan_of


@pytest.mark.parametrize("seed", range(1, 9))
def test_the_lower_bound_never_exceeds_the_plan_and_the_plan_never_exceeds_its_peak(seed, catalog):
    cost = make_plan(generated_portfolio(15, seed, catalog), "generated", catalog).cost
    assert 0 < cost.lower_bound_hourly <= cost.hourly + 1e-9 <= cost.peak_hourly + 1e-9
    assert cost.savings_ratio == pytest.approx(cost.baseline_hourly / cost.hourly)


def test_the_lower_bound_is_the_fractional_instances_that_cover_the_busiest_resource(catalog):
    # Given 3 copies of 1 GPU that may run on ml.g6.12xlarge only (4 GPUs, 5.752 USD/h)
    unit = Unit("m", {"ml.g6.12xlarge": Demand(1, 1024, 1.0)}, Counts(0, 3, 3), 3)
    # Then the bound is three quarters of an instance
    assert lower_bound([unit], catalog) == pytest.approx(0.75 * 5.752)


def test_the_lower_bound_takes_the_cheapest_mix_of_instance_types(catalog):
    # Given a copy that fits a whole ml.g6.xlarge (1.0056 USD/h) or a quarter of ml.g6.12xlarge (5.752 USD/h)
    unit = Unit("m", {"ml.g6.xlarge": Demand(1, 1024, 1.0), "ml.g6.12xlarge": Demand(1, 1024, 1.0)}, Counts(0, 2, 2), 2)
    assert lower_bound([unit], catalog) == pytest.approx(2 * 1.0056)


def test_the_baseline_is_one_endpoint_per_model_on_the_cheapest_type_that_holds_a_copy_provisioned_for_peak():
    # Given a 2 GB model whose peak needs 4 copies, and a 30 GB one whose peak needs 2
    plan = plan_of([auto_model("small", size_gb=2, mean=5, peak=20), auto_model("large", size_gb=30, mean=1, peak=10)])
    baseline = {endpoint.model: (endpoint.instance_type, endpoint.instances) for endpoint in plan.cost.baseline}
    # Then the small one takes 4 x ml.g4dn.xlarge (one 16 GiB T4, 0.7364 USD/h), the large one (33.5 GiB of GPU memory) 2 x ml.g6e.2xlarge, the
    # cheapest with one 48 GiB GPU and the host memory to stage its weights
    assert baseline == {"small": ("ml.g4dn.xlarge", 4), "large": ("ml.g6e.2xlarge", 2)}
    assert plan.cost.baseline_hourly == pytest.approx(4 * 0.7364 + 2 * 2.8026)


def test_portfolio_prices_override_the_catalogs():
    written = plan_of([auto_model("m", size_gb=2, pattern="steady", mean=5, peak=5)], prices={"ml.g6.xlarge": 0.5})
    # The steady model keeps one ml.g6.xlarge; at 0.5 USD/h it is still the cheapest
    assert written.cost.hourly == pytest.approx(0.5)
    assert written.dedicated[0].instance_type.price_source == "test.yaml: prices"


def test_an_instance_type_without_a_price_counts_as_free_and_the_plan_says_so():
    # Given a pool the user put on ml.p5en.48xlarge, which the shipped catalog cannot price
    pools = [{"name": "big", "instance_type": "ml.p5en.48xlarge", "instances": {"min": 1, "max": 1}}]
    plan = plan_of([auto_model("m", size_gb=100, pool="big")], pools)
    assert plan.cost.hourly == 0
    assert plan.notes == ("ml.p5en.48xlarge has no price in the catalog and counts as 0 USD/h: set it under `prices:`",)
