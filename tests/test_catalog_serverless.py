"""Serverless endpoints in the catalog: which models they can host, and what their compute costs under traffic."""

from __future__ import annotations

import pytest

from loadmaster.catalog.serverless import (
    MEMORY_SIZES_MB,
    US_EAST_1,
    concurrency_problems,
    memory_size_problem,
    reasons_not_serverless,
    smallest_memory_size_mb,
)

SMALL_CPU_MODEL = dict(accelerators=0, memory_mb=2048, image_size_gb=2, payload_mb=0.1, processing_s=0.2)


def test_memory_sizes_are_the_six_1_gb_steps():
    assert MEMORY_SIZES_MB == (1024, 2048, 3072, 4096, 5120, 6144)
    assert [memory_size_problem(size) for size in MEMORY_SIZES_MB] == [None] * 6
    assert "got 1536" in memory_size_problem(1536)


def test_a_model_gets_the_smallest_memory_size_that_holds_it():
    assert [smallest_memory_size_mb(needed) for needed in (100, 1024, 1025, 6144, 6145)] == [1024, 1024, 2048, 6144, None]


def test_provisioned_concurrency_is_bounded_by_max_concurrency():
    assert concurrency_problems(20, 20) == []
    assert concurrency_problems(20, 21) == ["provisioned_concurrency (21) must not exceed max_concurrency (20)"]
    assert concurrency_problems(0, None) == ["max_concurrency must be 1 to 200, got 0"]


def test_a_small_cpu_model_can_be_serverless():
    assert reasons_not_serverless(**SMALL_CPU_MODEL) == {}


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"accelerators": 1}, "it needs 1 accelerator(s): serverless endpoints run on CPU only"),
        ({"memory_mb": 8192}, "it needs 8192 MB of memory: serverless endpoints have at most 6144 MB"),
        ({"image_size_gb": 12}, "its container image is 12 GB: serverless endpoints take images up to 10 GB"),
        ({"payload_mb": 5}, "its requests carry 5 MB: serverless endpoints take payloads up to 4 MB"),
        ({"processing_s": 600}, "a request takes 600 s: serverless invocations time out after 60 s"),
        ({"needs_vpc": True}, "it runs in a VPC or with network isolation: serverless endpoints support neither"),
    ],
)
def test_a_model_that_cannot_be_serverless_is_told_why(change, reason):
    assert reasons_not_serverless(**{**SMALL_CPU_MODEL, **change}) == {next(iter(change)): reason}


def test_every_reason_is_given_at_once_and_unstated_figures_are_not_held_against_the_model():
    reasons = reasons_not_serverless(accelerators=2, memory_mb=65536)

    assert {argument: reason.split(":")[0] for argument, reason in reasons.items()} == {
        "accelerators": "it needs 2 accelerator(s)", "memory_mb": "it needs 65536 MB of memory"}


def test_on_demand_compute_is_billed_for_the_seconds_of_inference_at_the_memory_sizes_price():
    # Half a request in flight on average at 2048 MB: 0.5 x 2 GB x 0.00002 USD per GB-second x 3600 s.
    assert US_EAST_1.hourly(2048, concurrency=0.5) == pytest.approx(0.072)
    assert US_EAST_1.hourly(6144, concurrency=0.5) == pytest.approx(3 * US_EAST_1.hourly(2048, concurrency=0.5))


def test_provisioned_concurrency_is_billed_while_provisioned_and_its_requests_at_the_lower_inference_price():
    idle = US_EAST_1.hourly(1024, concurrency=0, provisioned_concurrency=2)
    busy = US_EAST_1.hourly(1024, concurrency=1, provisioned_concurrency=2)

    assert idle == pytest.approx(2 * US_EAST_1.provisioned_per_gb_s * 3600)
    assert busy - idle == pytest.approx(US_EAST_1.provisioned_inference_per_gb_s * 3600)
    assert US_EAST_1.provisioned_inference_per_gb_s < US_EAST_1.on_demand_per_gb_s


def test_requests_beyond_the_provisioned_concurrency_spill_over_to_on_demand_prices():
    within = US_EAST_1.hourly(1024, concurrency=2, provisioned_concurrency=2)
    beyond = US_EAST_1.hourly(1024, concurrency=3, provisioned_concurrency=2)

    assert beyond - within == pytest.approx(US_EAST_1.on_demand_per_gb_s * 3600)


def test_the_provisioned_prices_say_they_are_an_estimate():
    assert US_EAST_1.provisioned_is_estimate and "estimated" in US_EAST_1.source
