"""How many instances a pool gets and which copies share each, as `loadmaster plan --format json` prints them: bound
by memory, by CPU or by accelerators, several models together, each at the instance's capacity and one past it.
"""

from __future__ import annotations

from typing import Any

from planner_givens import IMAGE

# ml.g5.12xlarge: copies may reserve 4 GPUs, 176947 MB and 45.6 vCPUs in all on one instance.
G5_12XLARGE = {"name": "pool", "instance_type": "ml.g5.12xlarge"}


def fixed(name: str, copies: int, accelerators: int, memory_mb: int, cpu_cores: float) -> dict[str, Any]:
    """A model with `copies` copies whatever the traffic, of the compute given."""
    return {"name": name, "image": IMAGE, "pool": "pool", "scaling": "none", "copies": {"min": copies, "max": copies},
            "per_copy": {"accelerators": accelerators, "memory_mb": memory_mb, "cpu_cores": cpu_cores}}


def pool_of(document: dict[str, Any]) -> dict[str, Any]:
    (pool,) = document["pools"]
    return pool


def test_copies_that_fill_an_instances_memory_exactly_share_one_and_one_mb_more_needs_two(plan_json):
    assert pool_of(plan_json([fixed("m", 3, 0, 58982, 1)], [G5_12XLARGE]))["placement"] == [{"m": 3}]  # 176946 MB
    assert pool_of(plan_json([fixed("m", 3, 0, 58983, 1)], [G5_12XLARGE]))["placement"] == [{"m": 2}, {"m": 1}]  # 176949 MB


def test_copies_that_fill_an_instances_vcpus_exactly_share_one_and_a_tenth_more_needs_two(plan_json):
    assert pool_of(plan_json([fixed("m", 3, 0, 1024, 15.2)], [G5_12XLARGE]))["placement"] == [{"m": 3}]  # 45.6 vCPUs
    assert pool_of(plan_json([fixed("m", 3, 0, 1024, 15.3)], [G5_12XLARGE]))["placement"] == [{"m": 2}, {"m": 1}]  # 45.9


def test_copies_that_take_every_gpu_share_one_instance_and_one_more_gpu_needs_two(plan_json):
    assert pool_of(plan_json([fixed("m", 4, 1, 1024, 1)], [G5_12XLARGE]))["placement"] == [{"m": 4}]
    assert pool_of(plan_json([fixed("m", 5, 1, 1024, 1)], [G5_12XLARGE]))["placement"] == [{"m": 4}, {"m": 1}]


def test_copies_written_without_cpu_cores_reserve_no_cpu_and_pack_by_memory_alone(plan_json):
    # Given 50 CPU copies of 1024 MB whose per_copy states no cpu_cores: SageMaker then reserves no CPU for them
    model = fixed("m", 50, 0, 1024, 1)
    del model["per_copy"]["cpu_cores"]
    # Then one instance holds all 50 (memory holds 172): CPU, 45.6 vCPUs for copies, does not bound them
    assert pool_of(plan_json([model], [G5_12XLARGE]))["placement"] == [{"m": 50}]


def test_a_cpu_bound_model_beside_a_gpu_bound_one_is_packed_by_both_dimensions(plan_json):
    # Given four 1-GPU copies of 8 cores (32 vCPUs) and a CPU copy of 14 cores: 46 vCPUs, more than 45.6
    crowded = plan_json([fixed("gpu", 4, 1, 8192, 8), fixed("cpu", 1, 0, 1024, 14)], [G5_12XLARGE])
    assert pool_of(crowded)["instances"]["expected"] == 2
    # ... and with a copy of 13 cores, 45 vCPUs: one instance holds them all
    roomy = plan_json([fixed("gpu", 4, 1, 8192, 8), fixed("cpu", 1, 0, 1024, 13)], [G5_12XLARGE])
    assert pool_of(roomy)["placement"] == [{"cpu": 1, "gpu": 4}]


def test_a_memory_bound_model_beside_a_gpu_bound_one_is_packed_by_memory_too(plan_json):
    # 4 x 40000 MB for the GPU copies, and 20000 MB more: 180000 MB, above 176947
    crowded = plan_json([fixed("gpu", 4, 1, 40000, 2), fixed("mem", 1, 0, 20000, 1)], [G5_12XLARGE])
    assert pool_of(crowded)["instances"]["expected"] == 2
    roomy = plan_json([fixed("gpu", 4, 1, 40000, 2), fixed("mem", 1, 0, 16000, 1)], [G5_12XLARGE])
    assert pool_of(roomy)["instances"]["expected"] == 1


def test_a_pool_keeps_the_instances_its_min_asks_for_beyond_what_its_copies_need(plan_json):
    pool = pool_of(plan_json([fixed("m", 1, 1, 1024, 1)], [G5_12XLARGE | {"instances": {"min": 2, "max": 3}}]))
    assert (pool["instances"]["min"], pool["instances"]["expected"], pool["instances"]["peak"], pool["instances"]["max"]) == (2, 2, 2, 3)
    assert pool["placement"] == [{"m": 1}]


def test_a_pool_whose_copies_need_more_than_its_max_says_so_and_exactly_its_max_does_not(plan_json):
    two_at_most = G5_12XLARGE | {"instances": {"min": 1, "max": 2}}
    at_max = pool_of(plan_json([fixed("a", 4, 1, 1024, 1), fixed("b", 4, 1, 1024, 1)], [two_at_most]))
    assert at_max["instances"]["peak"] == 2 and not any(note.startswith("peak traffic needs") for note in at_max["notes"])
    beyond = pool_of(plan_json([fixed("a", 5, 1, 1024, 1), fixed("b", 4, 1, 1024, 1)], [two_at_most]))
    assert "peak traffic needs 3 instances but instances.max is 2" in beyond["notes"]


def test_one_models_copies_max_beyond_its_pool_even_alone_is_refused_and_exactly_at_it_is_planned(plan_json):
    two_at_most = G5_12XLARGE | {"instances": {"min": 1, "max": 2}}
    assert pool_of(plan_json([fixed("m", 8, 1, 1024, 1)], [two_at_most]))["placement"] == [{"m": 4}, {"m": 4}]
    assert plan_json([fixed("m", 9, 1, 1024, 1)], [two_at_most]) == [
        "models[0] (m).copies.max: copies.max 9 cannot fit pool pool even with nothing else on it: one ml.g5.12xlarge holds 4 copies "
        "of 1 accelerator each (4 GPUs), so instances.max 2 holds at most 2 x 4 = 8"]


def test_a_pool_the_user_left_unbounded_may_grow_to_hold_every_copy_at_its_max(plan_json):
    # Given copies that scale from 1 to 12 (1 GPU each) on 4-GPU instances
    model = fixed("m", 1, 1, 1024, 1) | {"scaling": {"metric": "concurrent-requests-per-copy", "target": 4}, "copies": {"min": 1, "max": 12}}
    pool = pool_of(plan_json([model], [G5_12XLARGE]))
    # Then the pool's instances.max holds all 12 at once: 3 instances
    assert (pool["instances"]["min"], pool["instances"]["max"]) == (1, 3)


def test_copies_of_several_models_are_each_placed_in_full(plan_json):
    document = plan_json([fixed("a", 3, 1, 8192, 2), fixed("b", 2, 2, 8192, 2), fixed("c", 5, 0, 30000, 1)], [G5_12XLARGE])
    placement = pool_of(document)["placement"]
    totals: dict[str, int] = {}
    for instance in placement:
        for name, copies in instance.items():
            totals[name] = totals.get(name, 0) + copies
    assert totals == {"a": 3, "b": 2, "c": 5}
    # 7 GPUs need 2 instances; 150000 MB of c and 40960 of a and b fit 2 as well
    assert len(placement) == 2
