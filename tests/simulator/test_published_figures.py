"""The simulator against AWS's published figures (issue 12 point 4): high-resolution target tracking scales out 30 to
60 s after a load step, one-minute metrics about 3 minutes after; an idle scale-to-zero component reaches zero
copies after about 15 minutes and its instances go about 10 minutes later; waking from zero with the Llama3-8B
delays takes about 5 minutes, real-time requests failing meanwhile and asynchronous ones waiting
(FACTS.md, "How the concurrency metrics and alarms behave" and "Scale to zero")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from loadmaster.planner.make import plan_file
from loadmaster.simulator import STEP_S, Demand, Parameters, simulate

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
MINUTE = 60


def portfolio(pool_instances: str, model: str) -> str:
    return f"""
version: 1
name: figures
region: us-east-1
pools:
  - name: gpu
    instance_type: ml.g5.2xlarge
    instances: {pool_instances}
models:
  - name: chat
    image: {IMAGE}
    artifact: s3://models/chat/model.tar.gz
    pool: gpu
    per_copy: {{accelerators: 1, memory_mb: 8192}}
{model}
"""


def plan_of(text: str, directory: Path):
    path = directory / "portfolio.yaml"
    path.write_text(text)
    return plan_file(path)


def demand(*phases: tuple[float, float]) -> Demand:
    """Concurrency `level` for `minutes`, phase after phase."""
    return Demand({"chat": np.concatenate([np.full(int(minutes * MINUTE / STEP_S), float(level)) for level, minutes in phases])})


def times_of(result, kind: str, model: str | None = "chat") -> list[float]:
    return [event.time_s for event in result.events if event.kind == kind and event.model == model]


@pytest.fixture(scope="module")
def high_resolution(tmp_path_factory):
    return plan_of(portfolio("{min: 1, max: 4}", """    copies: {min: 1, max: 4}
    scaling: {metric: concurrent-requests-per-copy, target: 5}
"""), tmp_path_factory.mktemp("high"))


@pytest.fixture(scope="module")
def one_minute(tmp_path_factory):
    return plan_of(portfolio("{min: 1, max: 4}", """    copies: {min: 1, max: 4}
    latency_slo_ms: 1000
    scaling: {metric: invocations-per-copy, target: 300}
"""), tmp_path_factory.mktemp("minute"))


@pytest.fixture(scope="module")
def scale_to_zero(tmp_path_factory):
    return plan_of(portfolio("{min: 0, max: 2}", """    copies: {min: 0, max: 2}
    scaling: {metric: concurrent-requests-per-copy, target: 5}
"""), tmp_path_factory.mktemp("zero"))


def test_a_load_step_on_high_resolution_metrics_scales_out_30_to_60_seconds_after_it(high_resolution):
    # Given a component tracking 5 concurrent requests per copy, at 2 for 10 minutes
    # When the load steps to 15
    result = simulate(high_resolution, demand((2, 10), (15, 20)), Parameters())

    # Then the first scale-out comes 30 to 60 s after the step, and three copies or more (the queue counts too)
    # serve within minutes
    (load_step,) = result.models["chat"].load_steps_s
    assert load_step == 10 * MINUTE
    (first,) = result.models["chat"].first_scale_out_s
    assert 30 <= first <= 60
    (full,) = result.models["chat"].full_capacity_s
    assert first < full < 5 * MINUTE
    assert result.units["pool:gpu"].copies["chat"][-1] >= 3


def test_a_load_step_on_one_minute_metrics_scales_out_about_3_minutes_after_it(one_minute):
    # Given a component tracking 300 invocations per copy and minute (5 concurrent requests of 1 s), at 2 for 10 minutes
    # When the load steps to 15
    result = simulate(one_minute, demand((2, 10), (15, 20)), Parameters())

    # Then three one-minute datapoints pass before the first scale-out: about 3 minutes (up to a minute more
    # when the step falls inside a minute)
    (first,) = result.models["chat"].first_scale_out_s
    assert 3 * MINUTE <= first <= 4 * MINUTE


def test_an_idle_scale_to_zero_component_reaches_zero_copies_after_15_minutes_and_its_instance_goes_10_minutes_later(scale_to_zero):
    # Given a scale-to-zero component deployed with one copy on one instance
    # When no request comes for an hour
    result = simulate(scale_to_zero, demand((0, 60)), Parameters())

    # Then its copies go to zero after 90 ten-second datapoints below 0.9 x the target, and the instance is
    # released 10 minutes after that
    (scale_in,) = [event for event in result.events if event.kind == "scale-in"]
    assert (scale_in.time_s, scale_in.from_count, scale_in.to_count) == (15 * MINUTE, 1, 0)
    (release,) = times_of(result, "instance-release", model=None)
    assert release == 25 * MINUTE
    assert result.units["pool:gpu"].instances[-1] == 0
    assert result.units["pool:gpu"].instance_hours == pytest.approx(25 / 60)


def test_waking_from_zero_with_the_llama3_8b_delays_takes_about_5_minutes_and_requests_fail_meanwhile(scale_to_zero):
    # Given a scale-to-zero component idle long enough to have no copy and no instance
    # When requests come
    result = simulate(scale_to_zero, demand((0, 30), (2, 20)), Parameters())

    # Then the NoCapacityInvocationFailures alarm wakes it within a minute, an instance comes 1.75 min later and the
    # copy 2.28 min after that: about 5 minutes, every request meanwhile failing
    woken = [event for event in result.events if event.kind == "scale-out" and event.time_s > 30 * MINUTE]
    assert woken[0].from_count == 0 and woken[0].to_count == 1 and "NoCapacityInvocationFailures" in woken[0].why
    assert woken[0].time_s - 30 * MINUTE <= MINUTE
    first_copy = min(time_s for time_s in times_of(result, "copy-ready") if time_s > 30 * MINUTE)
    assert 4.5 * MINUTE <= first_copy - 30 * MINUTE <= 5.5 * MINUTE
    outcome = result.models["chat"]
    arriving_per_s = 2 / 1.0  # concurrency 2 at the default service time of 1 s
    assert outcome.failed == pytest.approx(arriving_per_s * (first_copy - 30 * MINUTE), rel=0.05)
    assert outcome.served > 0


def test_delays_are_parameters_a_faster_download_wakes_sooner(scale_to_zero):
    # Given the same wake-up, with a 30 s model download instead of the measured 2.28 min
    faster = Parameters().overridden({"models": {"chat": {"model_download_s": 30}}})

    # When requests come after an idle half hour
    result = simulate(scale_to_zero, demand((0, 30), (2, 20)), faster)

    # Then the copy serves about 107 s sooner
    first_copy = min(time_s for time_s in times_of(result, "copy-ready") if time_s > 30 * MINUTE)
    assert first_copy - 30 * MINUTE <= 3.5 * MINUTE


def test_asynchronous_requests_wait_in_the_backlog_while_the_endpoint_wakes(tmp_path):
    # Given an async endpoint that scales to zero instances
    plan = plan_of(f"""
version: 1
name: figures
region: us-east-1
models:
  - name: chat
    image: {IMAGE}
    artifact: s3://models/chat/model.tar.gz
    hosting: async
    instance_type: ml.g5.2xlarge
    instances: {{min: 0, max: 2}}
""", tmp_path)

    # When it has been idle (it scales in to zero) and requests come
    result = simulate(plan, demand((0, 30), (1, 20), (0, 30)), Parameters())

    # Then none fails: they wait in the backlog until HasBacklogWithoutCapacity wakes an instance, minutes later
    outcome = result.models["chat"]
    assert outcome.failed == 0
    assert outcome.p99_wait_s > 3 * MINUTE
    assert outcome.served == pytest.approx(1.0 * 20 * MINUTE, rel=0.01)
    woken = [event for event in result.events if event.kind == "scale-out" and event.from_count == 0]
    assert woken and "HasBacklogWithoutCapacity" in woken[0].why


def test_a_copy_that_fits_no_instance_of_a_pool_at_its_max_waits_and_requests_fail(tmp_path):
    # Given a pool of at most one 4-GPU instance, shared with a model that keeps 2 of its GPUs
    plan = plan_of(f"""
version: 1
name: figures
region: us-east-1
pools:
  - name: gpu
    instance_type: ml.g5.12xlarge
    instances: {{min: 1, max: 1}}
models:
  - name: chat
    image: {IMAGE}
    artifact: s3://models/chat/model.tar.gz
    pool: gpu
    per_copy: {{accelerators: 1, memory_mb: 8192}}
    copies: {{min: 1, max: 4}}
    scaling: {{metric: concurrent-requests-per-copy, target: 5}}
  - name: other
    image: {IMAGE}
    artifact: s3://models/other/model.tar.gz
    pool: gpu
    per_copy: {{accelerators: 1, memory_mb: 8192}}
    copies: {{min: 2, max: 2}}
""", tmp_path)

    # When chat's load needs four copies
    result = simulate(plan, demand((20, 20)), Parameters())

    # Then the copies beyond the two GPUs left wait for an instance that never comes, and requests past the
    # invocation timeout fail
    assert any(event.kind == "copy-waits" and event.model == "chat" and "at its max of 1 instances" in event.why for event in result.events)
    assert result.units["pool:gpu"].copies["chat"].max() == 2
    assert result.units["pool:gpu"].instances.max() == 1
    assert result.models["chat"].failed > 0


def test_a_dedicated_endpoint_scales_by_instances_each_serving_after_provisioning_and_its_start(tmp_path):
    # Given a dedicated endpoint tracking 5 concurrent requests per instance (high resolution)
    plan = plan_of(f"""
version: 1
name: figures
region: us-east-1
models:
  - name: chat
    image: {IMAGE}
    artifact: s3://models/chat/model.tar.gz
    hosting: dedicated
    instance_type: ml.g5.2xlarge
    instances: {{min: 1, max: 3}}
    scaling: {{metric: concurrent-requests-per-model, target: 5}}
""", tmp_path)

    # When the load steps from 2 to 12
    result = simulate(plan, demand((2, 10), (12, 20)), Parameters())

    # Then it scales out 30 s after the step to 3 instances, which serve 1.75 + 2.28 min later, billed from launch
    out = next(event for event in result.events if event.kind == "scale-out")
    assert (out.time_s, out.from_count, out.to_count) == (10 * MINUTE + 30, 1, 3)
    ready = [event.time_s for event in result.events if event.kind == "copy-ready"]
    assert ready == [out.time_s + 105 + 137] * 2
    unit = result.units["dedicated:chat"]
    assert unit.instance_hours == pytest.approx((30 * MINUTE + 2 * (20 * MINUTE - 30)) / 3600)


def test_a_pool_deployed_with_more_instances_than_its_copies_need_releases_the_surplus_10_minutes_later(scale_to_zero):
    # Given the scale-to-zero pool deployed with the 2 instances autoscaling had reached (Bounds.live), its one copy
    # on the first
    (pool,) = scale_to_zero.pools
    deployed = scale_to_zero.with_units_of("inference-component", (replace(pool, instances=replace(pool.instances, live=2)),))

    # When the load stays at what one copy serves
    result = simulate(deployed, demand((2, 30)), Parameters())

    # Then the empty instance is released after 10 minutes, the other stays
    (release,) = [event for event in result.events if event.kind == "instance-release"]
    assert (release.time_s, release.from_count, release.to_count) == (10 * MINUTE, 2, 1)
    assert result.units["pool:gpu"].instances[-1] == 1
