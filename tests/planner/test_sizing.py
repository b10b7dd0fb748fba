"""Per-copy compute derived from the weights' size, and copies derived from traffic."""

from __future__ import annotations


import pytest

from loadmaster.planner.sizing import (
    CPU_CORES_PER_ACCELERATOR,
    WEIGHTS_OVERHEAD,
    Demand,
    derived_demand,
    unit_counts,
)
from planner_givens import IMAGE, auto_model, plan_of, portfolio_of


def test_a_copy_gets_as_many_gpus_as_its_weights_need_with_the_overhead(catalog):
    # Given a 30 GB model: 30e9 B x 1.2 = 33.5 GiB of accelerator memory
    # When it is sized for 24 GiB GPUs (A10G) and for 48 GiB GPUs (L40S)
    on_a10g = derived_demand(30, catalog["ml.g5.12xlarge"])
    on_l40s = derived_demand(30, catalog["ml.g6e.12xlarge"])
    # Then it takes two of the first and one of the second
    assert (on_a10g.accelerators, on_l40s.accelerators) == (2, 1)
    assert WEIGHTS_OVERHEAD == 1.2


def test_gpu_counts_round_up_to_a_power_of_two_for_tensor_parallelism(catalog):
    # Given 46.7 GB of weights: 52.2 GiB, three 24 GiB GPUs' worth
    demand = derived_demand(46.7, catalog["ml.g6.48xlarge"])
    # Then a copy takes four
    assert demand.accelerators == 4


def test_a_derived_copy_reserves_host_memory_for_the_weights_and_cpu_per_gpu(catalog):
    demand = derived_demand(10, catalog["ml.g6.2xlarge"])
    assert demand == Demand(1, 11445, float(CPU_CORES_PER_ACCELERATOR))  # 10e9 B x 1.2 / 2^20 = 11444.1 MiB, rounded up


def test_no_copy_is_derived_for_an_instance_type_it_cannot_fit(catalog):
    # 80 GB of weights need 4 x 24 GiB GPUs; a g6.xlarge has one. And no GPU at all on a c5.
    assert derived_demand(80, catalog["ml.g6.xlarge"]) is None
    assert derived_demand(1, catalog["ml.c5.large"]) is None


def test_a_plan_says_when_it_derived_per_copy_from_size_gb():
    plan = plan_of([auto_model("blockgen", size_gb=15, pattern="variable")])
    (component,) = plan.pools[0].components
    assert "per_copy derived from size_gb 15: 16.8 GiB of accelerator memory (weights x 1.2) -> 1 x 22.5 GiB (what a process is given " \
           "of a 24 GB NVIDIA L4), 17167 MB host memory, 2 CPU cores" in component.notes
    assert component.accelerators == 1 and component.memory_mb == 17167


def test_copies_follow_mean_and_peak_traffic_at_the_scaling_target():
    # Given a variable model at 4 concurrent requests per copy, mean 10 and peak 24
    model = portfolio_of([auto_model("m", mean=10, peak=24, scaling={"metric": "concurrent-requests-per-copy", "target": 4})]).models[0]
    # When its copies are counted
    counts, notes = unit_counts(model, None, may_scale_to_zero=True)
    # Then one stays warm, three serve the mean and six the peak
    assert (counts.min, counts.expected, counts.peak) == (1, 3, 6)
    assert notes == []


def test_an_invocations_target_is_converted_with_the_latency_objective():
    # Given 120 invocations per minute per copy and a 2 s objective: 120 x 2 / 60 = 4 concurrent requests per copy
    model = portfolio_of([auto_model("m", mean=2, peak=12, latency_slo_ms=2000,
                                     scaling={"metric": "invocations-per-copy", "target": 120})]).models[0]
    counts, _ = unit_counts(model, None, may_scale_to_zero=True)
    assert (counts.expected, counts.peak) == (1, 3)


def test_explicit_copies_bound_what_traffic_asks_for_and_the_plan_says_when_peak_is_out_of_reach():
    # Given copies written as {min: 1, max: 2} and traffic that needs 6 copies at peak
    model = portfolio_of([auto_model("m", mean=10, peak=30, copies={"min": 1, "max": 2})]).models[0]
    counts, notes = unit_counts(model, model.copies, may_scale_to_zero=True)
    # Then the plan keeps the user's bounds and notes the shortfall
    assert (counts.min, counts.expected, counts.peak) == (1, 2, 2)
    assert notes == ["peak traffic needs 6 but max is 2: the model cannot reach its peak"]


def test_an_intermittent_model_scales_to_zero_only_when_its_objective_tolerates_a_cold_start():
    patient, impatient = portfolio_of([
        auto_model("patient", pattern="intermittent", mean=0.5, peak=5, latency_slo_ms=600_000),
        auto_model("impatient", pattern="intermittent", mean=0.5, peak=5, latency_slo_ms=2_000),
    ]).models
    assert unit_counts(patient, None, may_scale_to_zero=True)[0].min == 0
    assert unit_counts(impatient, None, may_scale_to_zero=True)[0].min == 1
    assert unit_counts(patient, None, may_scale_to_zero=False)[0].min == 1  # a dedicated endpoint keeps an instance


def test_a_steady_model_keeps_what_its_mean_traffic_needs():
    model = portfolio_of([auto_model("m", pattern="steady", mean=30, peak=50)]).models[0]
    counts, _ = unit_counts(model, None, may_scale_to_zero=True)
    assert (counts.min, counts.expected, counts.peak) == (6, 6, 10)


def test_a_gpu_gives_a_process_less_memory_than_the_gigabytes_it_is_sold_with(catalog):
    # nvidia-smi's totals: A10G 23028 MiB, L4 23034 MiB, L40S 46068 MiB; an H200 (not measured) counts 141 GB as GiB
    usable = {name: round(catalog[name].usable_accelerator_memory_gib, 2) for name in ("ml.g5.xlarge", "ml.g6.xlarge", "ml.g6e.xlarge", "ml.p5e.48xlarge")}
    assert usable == {"ml.g5.xlarge": 22.49, "ml.g6.xlarge": 22.49, "ml.g6e.xlarge": 44.99, "ml.p5e.48xlarge": 131.32}


def test_a_model_sized_with_headroom_really_has_it_on_the_chosen_gpu(catalog):
    # Given 21 GB of weights: 23.5 GiB with the 20 % overhead, more than the 22.5 GiB an A10G gives a process
    # (it fitted the 24 "GiB" the catalog's 24 GB used to be taken for)
    assert derived_demand(20, catalog["ml.g5.12xlarge"]).accelerators == 1  # 22.4 GiB
    assert derived_demand(21, catalog["ml.g5.12xlarge"]).accelerators == 2


def test_an_accelerator_without_a_measured_figure_gives_a_process_its_sold_gigabytes_counted_in_gibibytes(catalog):
    # Given Gaudi (ml.dl1.24xlarge, 32 GB per device), which no nvidia-smi table measures
    gaudi = catalog["ml.dl1.24xlarge"]
    # Then its kind is known and 32 GB count as 29.8 GiB, below every measured device's share of its sold size
    assert [catalog[name].accelerator_kind for name in ("ml.g5.xlarge", "ml.inf2.xlarge", "ml.c5.large")] == ["nvidia-gpu", "neuron", None]
    assert gaudi.accelerator_kind == "gaudi" and gaudi.usable_accelerator_memory_gib == pytest.approx(32e9 / 2**30)


def test_copies_leave_the_instance_the_memory_and_cpu_it_keeps_for_itself():
    # Given four copies of 2048 MB on ml.c5.xlarge (8 GiB, 4 vCPUs): all of its memory
    pools = [{"name": "cpu", "instance_type": "ml.c5.xlarge", "instances": {"min": 1, "max": 4}}]
    model = {"name": "m", "image": IMAGE, "pool": "cpu", "per_copy": {"memory_mb": 2048, "cpu_cores": 0.5}, "copies": {"min": 4, "max": 4},
             "scaling": "none"}
    (pool,) = plan_of([model], pools).pools
    # Then three fit an instance (7372 MB usable with 10 % kept), and the fourth needs a second one
    assert pool.placement == ((("m", 3),), (("m", 1),))
    # ... unless the portfolio keeps nothing back
    (pool,) = plan_of([model], pools, reserve={"host_memory_percent": 0, "cpu_percent": 0}).pools
    assert pool.placement == ((("m", 4),),)
