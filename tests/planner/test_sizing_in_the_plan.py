"""What the planner derives, as `loadmaster plan --format json` prints it: per-copy compute from the weights' size,
copy counts from traffic, each at its limit and one past it, on GPU and on CPU, in every resource dimension.

Each portfolio is written as YAML and planned through the command line: the JSON is what tools and users read.
"""

from __future__ import annotations

import math
from typing import Any

from loadmaster.catalog import load_catalog
from planner_givens import IMAGE, UNTAGGED
CONCURRENCY_4 = {"metric": "concurrent-requests-per-copy", "target": 4}


def model(name: str = "m", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, **fields}


def traffic(pattern: str = "variable", mean: float = 4, peak: float = 8) -> dict[str, Any]:
    return {"pattern": pattern, "mean_concurrency": mean, "peak_concurrency": peak}


def pool(instance_type: str, **fields: Any) -> dict[str, Any]:
    return {"name": "pool", "instance_type": instance_type, **fields}


def only_model(document: dict[str, Any]) -> dict[str, Any]:
    (planned,) = document["models"]
    return planned


def per_copy_of(document: dict[str, Any]) -> tuple[int, int, float]:
    per_copy = only_model(document)["per_copy"]
    return per_copy["accelerators"], per_copy["memory_mb"], per_copy["cpu_cores"]


def copies_of(document: dict[str, Any]) -> tuple[int, int, int, int]:
    copies = only_model(document)["copies"]
    return copies["min"], copies["expected"], copies["peak"], copies["max"]


# Per-copy compute derived from size_gb: accelerators for the weights x 1.2, host memory for them x 1.2 (128 MB at
# least), 2 CPU cores per accelerator (1 on CPU).


def test_a_copy_derived_for_a_pools_gpus_reserves_host_memory_for_its_weights_and_two_cores_a_gpu(plan_json):
    # Given 30 GB of weights on ml.g5.12xlarge (4 x 22.5 GiB usable): 33.5 GiB with the overhead, two GPUs' worth
    document = plan_json([model(size_gb=30, pool="pool")], [pool("ml.g5.12xlarge")])
    # Then a copy takes 2 GPUs, 30e9 B x 1.2 in MiB of host memory, rounded up, and 2 cores per GPU
    assert per_copy_of(document) == (2, math.ceil(30e9 * 1.2 / 2**20), 4.0)


def test_four_gpus_a_copy_reserve_eight_cpu_cores(plan_json):
    # 60 GB: 67 GiB, three 22.5 GiB GPUs' worth, rounded up to four for tensor parallelism
    assert per_copy_of(plan_json([model(size_gb=60, pool="pool")], [pool("ml.g5.48xlarge")])) == (4, math.ceil(60e9 * 1.2 / 2**20), 8.0)


def test_a_tiny_model_reserves_the_128_mb_sagemaker_requires_at_least_on_gpu_and_on_cpu(plan_json):
    # Given 50 MB of weights (57 MiB with the overhead)
    on_gpu = plan_json([model(size_gb=0.05, pool="pool")], [pool("ml.g5.xlarge")])
    on_cpu = plan_json([model(size_gb=0.05, pool="pool", image=UNTAGGED)], [pool("ml.c5.large")])
    # Then each copy reserves 128 MB, the least MinMemoryRequiredInMb takes
    assert per_copy_of(on_gpu) == (1, 128, 2.0)
    assert per_copy_of(on_cpu) == (0, 128, 1.0)


def test_a_model_just_above_the_floor_reserves_its_own_size(plan_json):
    # 120 MB of weights: 137.3 MiB with the overhead
    assert per_copy_of(plan_json([model(size_gb=0.12, pool="pool", image=UNTAGGED)], [pool("ml.c5.large")])) == (0, 138, 1.0)


def test_a_model_whose_weights_fill_an_instances_memory_does_not_fit_it(plan_json):
    # ml.c5.large: 4096 MB, of which copies may reserve 3686 (10 % kept). 3.07 GB x 1.2 = 3514 MiB fits; 3.3 GB, 3777, does not.
    fits = 3686 / 1.2 * 2**20 / 1e9  # the largest size whose copy fits to the MiB
    assert per_copy_of(plan_json([model(size_gb=round(fits - 0.001, 3), pool="pool", image=UNTAGGED)], [pool("ml.c5.large")]))[1] <= 3686
    assert plan_json([model(size_gb=3.3, pool="pool", image=UNTAGGED)], [pool("ml.c5.large")]) == [
        "models[0] (m).size_gb: one copy does not fit ml.c5.large, the instance type of pool pool"]


def test_a_model_whose_weights_need_more_gpus_than_the_instance_has_does_not_fit_it(plan_json):
    # 30 GB needs two A10G GPUs; ml.g5.2xlarge has one
    assert plan_json([model(size_gb=30, pool="pool")], [pool("ml.g5.2xlarge")]) == [
        "models[0] (m).size_gb: one copy does not fit ml.g5.2xlarge, the instance type of pool pool"]


def test_a_model_that_runs_only_on_cpu_is_never_planned_on_a_gpu_type(plan_json):
    # Given a small model the portfolio says runs on CPU, left to the planner
    document = plan_json([model(hosting="auto", size_gb=1, image=UNTAGGED, devices=["cpu"], traffic=traffic())])
    # Then its instance type has no accelerator and its copy reserves none
    catalog = load_catalog()
    assert catalog[only_model(document)["instance_type"]].accelerators == 0


def test_a_model_that_runs_only_on_gpus_is_never_planned_on_a_cpu_type(plan_json):
    document = plan_json([model(hosting="auto", size_gb=1, devices=["gpu"], traffic=traffic())])
    assert load_catalog()[only_model(document)["instance_type"]].accelerators >= 1


def test_a_copy_the_user_sized_with_one_gpu_goes_only_where_one_gpu_holds_its_weights(plan_json):
    # Given 30 GB of weights (33.5 GiB with the overhead) and per_copy written with 1 GPU, left to the planner
    document = plan_json([model(hosting="auto", size_gb=30, per_copy={"accelerators": 1, "memory_mb": 40000, "cpu_cores": 2}, traffic=traffic())])
    # Then its type's one GPU gives a process 33.5 GiB at least (not a 22.5 GiB A10G or L4, cheaper as they are)
    instance = load_catalog()[only_model(document)["instance_type"]]
    assert instance.usable_accelerator_memory_gib >= 30e9 * 1.2 / 2**30
    # ... while with two GPUs a copy an A10G or L4 type holds it
    document = plan_json([model(hosting="auto", size_gb=30, per_copy={"accelerators": 2, "memory_mb": 40000, "cpu_cores": 2}, traffic=traffic())])
    assert load_catalog()[only_model(document)["instance_type"]].usable_accelerator_memory_gib < 30e9 * 1.2 / 2**30


def test_a_per_copy_the_user_wrote_on_a_pool_is_taken_as_written_even_below_the_weights(plan_json):
    # The weights check is the planner's own, for types it picks: on the user's pool, per_copy stands
    document = plan_json([model(size_gb=30, pool="pool", per_copy={"accelerators": 1, "memory_mb": 40000, "cpu_cores": 2})], [pool("ml.g5.12xlarge")])
    assert per_copy_of(document) == (1, 40000, 2)


# Copies from traffic: at the scaling target, peak / target copies at peak and mean / target at mean, rounded up.


def test_copies_are_mean_and_peak_traffic_over_the_target_rounded_up(plan_json):
    document = plan_json([model(size_gb=2, pool="pool", traffic=traffic(mean=9, peak=17), scaling=CONCURRENCY_4)], [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (1, 3, 5, 5)


def test_a_steady_models_floor_is_what_its_mean_traffic_needs(plan_json):
    document = plan_json([model(size_gb=2, pool="pool", traffic=traffic("steady", mean=9, peak=17), scaling=CONCURRENCY_4)], [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (3, 3, 5, 5)


def test_a_steady_model_without_mean_traffic_still_keeps_one_copy(plan_json):
    document = plan_json([model(size_gb=2, pool="pool", traffic=traffic("steady", mean=0, peak=4), scaling=CONCURRENCY_4)], [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (1, 1, 1, 1)


def test_an_intermittent_model_scales_to_zero_when_its_objective_is_exactly_a_cold_start(plan_json):
    # About 5 minutes from zero copies to serving (AWS's scale-to-zero blog): an objective of 300,000 ms tolerates it
    def floor(latency_slo_ms: int) -> int:
        document = plan_json([model(size_gb=2, pool="pool", traffic=traffic("intermittent", mean=1, peak=4), latency_slo_ms=latency_slo_ms)],
                        [pool("ml.g5.12xlarge")])
        return copies_of(document)[0]

    assert (floor(300_000), floor(299_999)) == (0, 1)


def test_a_batch_model_without_an_objective_scales_to_zero_and_a_variable_one_does_not(plan_json):
    pools = [pool("ml.g5.12xlarge")]
    assert copies_of(plan_json([model(size_gb=2, pool="pool", traffic=traffic("batch", mean=1, peak=4))], pools))[0] == 0
    assert copies_of(plan_json([model(size_gb=2, pool="pool", traffic=traffic("variable", mean=1, peak=4))], pools))[0] == 1


def test_an_invocations_target_counts_copies_through_the_latency_objective(plan_json):
    # 240 invocations a minute per copy at a 1.5 s objective: 240 x 1.5 / 60 = 6 concurrent requests per copy
    scaling = {"metric": "invocations-per-copy", "target": 240}
    document = plan_json([model(size_gb=2, pool="pool", traffic=traffic(mean=7, peak=30), latency_slo_ms=1500, scaling=scaling)], [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (1, 2, 5, 5)


def test_an_invocations_target_without_an_objective_counts_nothing_and_says_so(plan_json):
    scaling = {"metric": "invocations-per-copy", "target": 240}
    document = plan_json([model(size_gb=2, pool="pool", traffic=traffic(mean=7, peak=30), scaling=scaling)], [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (1, 1, 1, 1)
    assert "traffic not converted to counts: an invocations target needs latency_slo_ms" in only_model(document)["notes"]


def test_without_scaling_a_model_keeps_its_copies_at_min_whatever_the_traffic(plan_json):
    document = plan_json([model(size_gb=2, pool="pool", traffic=traffic(mean=40, peak=80), scaling="none", copies={"min": 3, "max": 3})],
                    [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (3, 3, 3, 3)


def test_without_scaling_or_copies_a_model_keeps_one(plan_json):
    document = plan_json([model(size_gb=2, pool="pool", traffic=traffic(mean=40, peak=80), scaling="none")], [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (1, 1, 1, 1)


def test_written_copies_bound_the_counts_and_a_peak_exactly_at_max_is_no_shortfall(plan_json):
    pools = [pool("ml.g5.12xlarge")]
    at_max = plan_json([model(size_gb=2, pool="pool", traffic=traffic(mean=1, peak=16), scaling=CONCURRENCY_4, copies={"min": 2, "max": 4})], pools)
    assert copies_of(at_max) == (2, 2, 4, 4)
    assert not any("cannot reach its peak" in note for note in only_model(at_max)["notes"])
    beyond = plan_json([model(size_gb=2, pool="pool", traffic=traffic(mean=1, peak=17), scaling=CONCURRENCY_4, copies={"min": 2, "max": 4})], pools)
    assert copies_of(beyond) == (2, 2, 4, 4)
    assert "peak traffic needs 5 but max is 4: the model cannot reach its peak" in only_model(beyond)["notes"]


def test_written_copies_above_what_traffic_needs_keep_their_minimum_at_mean_and_peak(plan_json):
    document = plan_json([model(size_gb=2, pool="pool", traffic=traffic(mean=1, peak=2), scaling=CONCURRENCY_4, copies={"min": 3, "max": 6})],
                    [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (3, 3, 3, 6)


def test_peak_traffic_needing_ten_thousand_copies_is_planned_and_one_more_is_refused(plan_json):
    # 10,000 copies is the most a model may have (MAX_COUNT); at 5 concurrent requests a copy (the default target)
    def planned(peak: float):
        return plan_json([model(hosting="auto", size_gb=1, image=UNTAGGED, devices=["cpu"], traffic=traffic(mean=1, peak=peak))])

    assert only_model(planned(50_000))["copies"]["peak"] == 10_000
    problems = planned(50_001)
    assert len(problems) == 1 and problems[0].startswith("models[0] (m).traffic: peak traffic needs 10001 ")


def test_a_per_copy_without_cpu_cores_reserves_no_cpu_when_packed(plan_json):
    # Given three copies of 1024 MB on ml.c5.large (1.9 vCPUs and 3686 MB usable), their per_copy naming no CPU
    copies = {"scaling": "none", "copies": {"min": 3, "max": 3}}
    document = plan_json([model(pool="pool", image=UNTAGGED, per_copy={"memory_mb": 1024}, **copies)], [pool("ml.c5.large")])
    # Then SageMaker reserves no CPU for them: all three share one instance, and the plan says no cores
    assert document["pools"][0]["placement"] == [{"m": 3}]
    assert per_copy_of(document) == (0, 1024, None)


def test_models_without_traffic_to_count_from_are_named_as_counted_at_their_floor(plan_json):
    pools = [pool("ml.g5.12xlarge")]
    untrafficked = plan_json([model(size_gb=2, pool="pool")], pools)
    assert untrafficked["mean_not_stated"] == ["m"]
    # ... unlike one with traffic, or one whose count is fixed without autoscaling
    assert plan_json([model(size_gb=2, pool="pool", traffic=traffic())], pools)["mean_not_stated"] == []
    assert plan_json([model(size_gb=2, pool="pool", scaling="none")], pools)["mean_not_stated"] == []


def test_without_scaling_a_model_stays_at_its_min_even_where_its_max_is_higher(plan_json):
    # Nothing scales it: its copies stay where they start, at min, though max would allow 4
    document = plan_json([model(size_gb=2, pool="pool", scaling="none", copies={"min": 2, "max": 4})], [pool("ml.g5.12xlarge")])
    assert copies_of(document) == (2, 2, 2, 4)


def test_weights_that_fill_the_gpus_the_user_reserved_exactly_fit_them(plan_json):
    # Given ml.p3.8xlarge priced lowest of all (its V100s give a process 16 GB each, counted as 14.9 GiB) and a copy
    # written with three of them: 40 GB of weights need exactly 3 x 14.9 GiB with the overhead, 40.01 GB a little more
    def planned_type(size_gb: float) -> str:
        per_copy = {"accelerators": 3, "memory_mb": 1024}
        document = plan_json([model(hosting="auto", size_gb=size_gb, per_copy=per_copy, traffic=traffic())], prices={"ml.p3.8xlarge": 0.01})
        return only_model(document)["instance_type"]

    # Then the weights at exactly their memory go there, and those a little larger elsewhere
    assert planned_type(40.0) == "ml.p3.8xlarge"
    assert planned_type(40.01) != "ml.p3.8xlarge"
