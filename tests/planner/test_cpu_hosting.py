"""CPU where it serves, and every portfolio the planner cannot plan refused with its reason instead of a traceback."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from loadmaster.catalog import Catalog

from loadmaster.errors import PortfolioError
from loadmaster.planner.make import make_plan
from loadmaster.planner import packing
from loadmaster.planner.cost import lower_bound
from loadmaster.planner.packing import Unit
from loadmaster.planner.sizing import Counts, Demand
from planner_givens import auto_model, plan_of, portfolio_of

UNTAGGED = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bert-classifier:latest"
CPU_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"


def bert(name="bert", **fields):
    """The 0.44 GB steady BERT classifier of issue 8, with an image that does not say its hardware."""
    return auto_model(name, size_gb=0.44, pattern="steady", mean=2, peak=4, image=UNTAGGED, **fields)


def planned_problems(models, pools=None):
    with pytest.raises(PortfolioError) as error:
        plan_of(models, pools)
    return [(problem.location, problem.message) for problem in error.value.problems]


def test_a_small_steady_model_left_to_auto_gets_a_cpu_instance_not_a_gpu():
    # Given the 0.44 GB classifier, which went to a dedicated ml.g6.xlarge (1.01 USD/h) before CPU was considered
    plan = plan_of([bert()])
    # Then it gets a dedicated ml.c5.large at 0.102 USD/h: its share of an ml.c7i.xlarge (a CPU family that takes
    # inference components) is cheaper, but no other model would share that instance
    (endpoint,) = plan.dedicated
    assert endpoint.instance_type.name == "ml.c5.large"
    assert plan.cost.hourly_at_mean == pytest.approx(0.102)
    assert endpoint.reasons[-1] == ("chosen: dedicated, no other model shares its pool: 1 x ml.c5.large alone cost 0.102 USD/h at mean, "
                                    "its pool's 1 x ml.c7i.xlarge 0.214")
    assert "runs on gpu, cpu: size_gb 0.44 is at most 2: CPU serves it too (set devices to choose)" in endpoint.notes


def test_a_model_that_runs_only_on_gpu_keeps_its_gpu():
    plan = plan_of([bert(devices=["gpu"])])
    assert plan.dedicated[0].instance_type.name == "ml.g4dn.xlarge"  # one T4, the cheapest GPU that holds it


def test_an_auto_model_pinned_to_a_cpu_instance_type_plans():
    # Given the crash of issue 8: `linprog: c must be a 1-D array` (the bound took the dedicated model as copies with
    # no type to run on)
    plan = plan_of([bert(instance_type="ml.c5.xlarge")])
    # Then it plans, and the bound counts the instance the user pinned whole
    assert plan.dedicated[0].instance_type.name == "ml.c5.xlarge"
    assert plan.cost.lower_bound_hourly == pytest.approx(0.204) == pytest.approx(plan.cost.hourly_at_mean)


def test_two_auto_cpu_models_plan():
    # Given the second crash of issue 8: `the lower-bound LP did not solve: The problem is infeasible`
    plan = plan_of([bert(instance_type="ml.c5.xlarge"), auto_model("other", size_gb=2, image=CPU_IMAGE, mean=2, peak=4)])
    assert sorted(endpoint.instance_type.name for endpoint in plan.dedicated) == ["ml.c5.large", "ml.c5.xlarge"]
    assert 0 < plan.cost.lower_bound_hourly <= plan.cost.hourly_at_mean


def test_the_planner_never_puts_a_pool_on_a_family_reported_not_to_take_inference_components():
    # Given the classifier on a pool without an instance type: ml.c5.large would hold it for the least
    plan = plan_of([bert(pool="shared")], pools=[{"name": "shared"}])
    # Then the pool takes the cheapest type that holds it and takes inference components: ml.c7i.xlarge
    assert plan.pools[0].instance_type.name == "ml.c7i.xlarge"


def test_a_cpu_inference_component_needs_a_type_that_takes_components(catalog):
    # Given CPU-only copies and no pool, and a catalog whose only priced CPU types (ml.c5, ml.m5) are reported not to
    # take them
    only_reported = Catalog({name: instance if instance.accelerators or instance.family in ("c5", "m5") else dataclasses.replace(instance, price_usd_per_hour=None)
                             for name, instance in catalog.instance_types.items()}, catalog.sources)
    with pytest.raises(PortfolioError) as error:
        make_plan(portfolio_of([auto_model("m", size_gb=0.44, image=CPU_IMAGE, copies={"min": 1, "max": 2})]), "test.yaml", only_reported)
    problems = [(problem.location, problem.message) for problem in error.value.problems]
    assert problems == [("models[0] (m).hosting", "an inference component, but no cpu instance type that holds a copy takes inference "
                         "components (families reported not to: c5, c5d, m5, m5d, p2): name a pool with its instance_type, or use hosting: dedicated")]


def test_a_pool_written_on_such_a_family_is_kept_with_a_note():
    pools = [{"name": "cpu", "instance_type": "ml.c5.xlarge", "instances": {"min": 1, "max": 2}}]
    plan = plan_of([bert(pool="cpu")], pools)
    (pool,) = plan.pools
    (component,) = pool.components
    assert (component.accelerators, component.memory_mb, component.cpu_cores) == (0, 504, 1)
    assert pool.notes == ("c5 instances are reported not to take inference components (unverified): if SageMaker refuses this endpoint, "
                          "choose another instance type",)
    assert "per_copy derived from size_gb 0.44: 504 MB host memory for the weights (x 1.2), served on CPU, 1 CPU cores" in component.notes


def test_a_model_too_large_for_every_instance_type_is_refused_with_the_reason():
    assert planned_problems([auto_model("huge", size_gb=2000)]) == [
        ("models[0] (huge).size_gb", "no priced gpu instance type in the catalog holds one copy (devices: the image tag 0.29.0-lmi11.0.0-cu124 names CUDA)")]


def test_a_copy_no_type_of_either_of_its_devices_holds_is_refused_naming_both():
    # Given a model written to run on GPUs or CPUs whose copy reserves 4 TB of host memory
    model = auto_model("huge", size_gb=1.5, image=UNTAGGED, devices=["gpu", "cpu"], per_copy={"accelerators": 0, "memory_mb": 4_000_000, "cpu_cores": 1})
    assert planned_problems([model]) == [
        ("models[0] (huge).per_copy", "no priced gpu or cpu instance type in the catalog holds one copy (devices: written in the portfolio)")]


def test_a_model_too_large_for_its_pools_type_is_refused_with_the_reason():
    pools = [{"name": "small", "instance_type": "ml.g5.xlarge"}]
    assert planned_problems([auto_model("big", size_gb=100, pool="small")], pools) == [
        ("models[0] (big).size_gb", "one copy does not fit ml.g5.xlarge, the instance type of pool small")]


def test_a_pool_whose_models_share_no_instance_type_is_refused_with_the_reason():
    # Given a CPU-only and a Neuron-only model in one pool without an instance type
    models = [auto_model("cpu", size_gb=0.44, image=CPU_IMAGE, pool="mixed"), auto_model("neuron", size_gb=2, devices=["neuron"], pool="mixed")]
    assert planned_problems(models, [{"name": "mixed"}]) == [
        ("pools[0] (mixed).instance_type", "no instance type that takes inference components holds a copy of every model of this pool")]


def test_traffic_that_needs_more_copies_than_a_model_may_have_is_refused():
    model = auto_model("hot", size_gb=2, mean=1000, peak=1_000_000, scaling={"metric": "concurrent-requests-per-copy", "target": 1})
    assert planned_problems([model]) == [
        ("models[0] (hot).traffic", "peak traffic needs 1000000 copies, more than 10000: raise the scaling target or set copies.max")]


def test_a_pool_pinned_to_an_unpriced_type_leaves_the_plan_without_a_lower_bound():
    # Given a pool on ml.p5en.48xlarge, which the shipped catalog cannot price
    pools = [{"name": "big", "instance_type": "ml.p5en.48xlarge", "instances": {"min": 1, "max": 1}}]
    plan = plan_of([auto_model("m", size_gb=100, pool="big")], pools)
    # Then no bound is made up from a price nobody knows
    assert plan.cost.lower_bound_hourly is None


def test_the_lower_bound_leaves_out_types_without_a_price(catalog):
    unit = Unit("m", {"ml.p5en.48xlarge": Demand(1, 1024, 1.0), "ml.g6.xlarge": Demand(1, 1024, 1.0)}, Counts(0, 1, 1), 1)
    assert lower_bound([unit], catalog) == pytest.approx(1.0056)


def test_a_variable_cpu_model_shares_a_cpu_pool_where_a_cpu_family_takes_inference_components(catalog):
    # Given a catalog that also has a 4-vCPU type of a family not reported to refuse components (figures for the test)
    c6i = dataclasses.replace(catalog["ml.c5.xlarge"], name="ml.c6i.xlarge", price_usd_per_hour=0.17)
    wider = Catalog({**catalog.instance_types, c6i.name: c6i}, catalog.sources)
    # When two variable classifiers of 1 CPU core a copy are left to the planner
    models = [auto_model(name, size_gb=0.44, image=CPU_IMAGE, mean=2, peak=4) for name in ("sentiment", "intent")]
    plan = make_plan(portfolio_of(models), "test.yaml", wider)
    # Then they share one ml.c6i.xlarge as inference components: its half costs less than a whole ml.c5.large
    (pool,) = plan.pools
    assert (pool.name, pool.instance_type.name, pool.placement) == ("auto-c6i-xlarge", "ml.c6i.xlarge", ((("intent", 1), ("sentiment", 1)),))
    assert plan.cost.hourly_at_mean == pytest.approx(0.17)


def test_a_pool_choice_the_solver_gives_up_on_is_refused_with_the_reason(monkeypatch):
    # Given a solver that stops at its limits without a solution (HiGHS's result then has no x)
    monkeypatch.setattr(packing, "milp", lambda *args, **kwargs: SimpleNamespace(x=None, message="node limit reached"))
    assert planned_problems([auto_model("m")]) == [
        ("models", "the planner found no way to share instances among the models without a pool within its solver limits: "
                   "give some of them a pool or an instance type")]


def test_a_dedicated_type_too_small_for_the_models_size_is_kept_and_the_plan_says_so():
    plan = plan_of([auto_model("huge", size_gb=2000, instance_type="ml.g5.xlarge")])
    (endpoint,) = plan.dedicated
    assert endpoint.instance_type.name == "ml.g5.xlarge"
    assert "by the planner's sizing, a copy of size_gb 2000 does not fit ml.g5.xlarge: kept as written" in endpoint.notes
