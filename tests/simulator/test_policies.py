"""The simulator runs each kind of policy the plan carries: several target-tracking policies on one target (the
largest capacity wins), step scaling, scheduled actions; and it says what it cannot price or simulate."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from loadmaster.planner.make import plan_file
from loadmaster.scaling import MetricAlarm, ScalingMetric, ScheduledAction, Step, StepScaling, TargetTracking
from loadmaster.simulator import STEP_S, Demand, ParameterError, Parameters, simulate

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
MINUTE = 60
PORTFOLIO = f"""
version: 1
name: policies
region: us-east-1
pools:
  - name: gpu
    instance_type: ml.g5.12xlarge
    instances: {{min: 1, max: 2}}
models:
  - name: chat
    image: {IMAGE}
    artifact: s3://models/chat/model.tar.gz
    pool: gpu
    per_copy: {{accelerators: 1, memory_mb: 8192}}
    copies: {{min: 1, max: 6}}
    scaling: {{metric: concurrent-requests-per-copy, target: 5}}
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    path = tmp_path_factory.mktemp("policies") / "portfolio.yaml"
    path.write_text(PORTFOLIO)
    return plan_file(path)


def with_scaling(plan, **changes):
    """The plan with chat's scaling changed, as a portfolio with those policies would plan it."""
    (pool,) = plan.pools
    (component,) = pool.components
    changed = replace(component, scaling=replace(component.scaling, **changes))
    return plan.with_units_of("inference-component", (replace(pool, components=(changed,)),))


def demand(*phases: tuple[float, float]) -> Demand:
    return Demand({"chat": np.concatenate([np.full(int(minutes * MINUTE / STEP_S), float(level)) for level, minutes in phases])})


def copies(result) -> np.ndarray:
    return result.units["pool:gpu"].copies["chat"]


def test_with_two_target_tracking_policies_the_one_asking_for_more_copies_wins(plan):
    # Given chat tracking 5 concurrent requests per copy and also 2 (a second policy on the same target)
    second = TargetTracking(ScalingMetric.CONCURRENT_REQUESTS_PER_COPY, target=2, scale_in_cooldown_s=300, scale_out_cooldown_s=60)
    both = with_scaling(plan, target_tracking=plan.pools[0].components[0].scaling.target_tracking + (second,))

    # When 10 requests are in flight for 40 minutes, then 4
    result = simulate(both, demand((10, 40), (4, 40)), Parameters())
    alone = simulate(plan, demand((10, 40), (4, 40)), Parameters())

    # Then the stricter policy sets the count in both directions: 5 copies (10 / 2) at the peak where the first
    # alone keeps 2, and after the drop it scales in only to what the stricter one still asks (4 / 2 = 2)
    assert copies(alone)[40 * MINUTE // STEP_S - 1] == 2
    assert copies(result)[40 * MINUTE // STEP_S - 1] == 5
    assert copies(result)[-1] == 2


def test_a_step_policy_adds_its_step_while_its_alarm_holds(plan):
    # Given chat without target tracking, and a step policy: +2 copies when the concurrency per copy's one-minute
    # maximum is 8 or more for 2 datapoints, cooldown 5 minutes
    alarm = MetricAlarm("AWS/SageMaker", "ConcurrentRequestsPerCopy", "Maximum", 60, threshold=8, evaluation_periods=2)
    stepped = with_scaling(plan, target_tracking=(), step=(StepScaling(alarm, (Step(adjustment=2),), cooldown_s=300),))

    # When 20 requests are in flight from the start
    result = simulate(stepped, demand((20, 30)), Parameters())

    # Then the alarm fires after two minutes and adds 2 copies to the 1; during the 5-minute cooldown it adds
    # nothing more (the step's capacity counts), then 2 more while the metric stays above 8, up to the max of 6
    outs = [(event.time_s, event.from_count, event.to_count) for event in result.events if event.kind == "scale-out"]
    assert outs[0] == (2 * MINUTE, 1, 3)
    assert outs[1] == (7 * MINUTE, 3, 5)
    assert copies(result).max() <= 6


def test_a_scheduled_action_raises_the_floor_at_its_time_and_the_copies_follow(plan):
    # Given a scheduled action raising chat's minimum to 4 copies at 08:00 UTC (the run starts at 00:00 on a Monday)
    morning = ScheduledAction("morning", "cron(0 8 * * ? *)", min=4, max=None)
    scheduled = with_scaling(plan, scheduled=(morning,))

    # When nine hours pass without load
    result = simulate(scheduled, demand((0, 9 * 60)), Parameters())

    # Then at 08:00 the desired count goes to 4, and the copies serve 2.28 minutes later
    (event,) = [event for event in result.events if event.kind == "scheduled"]
    assert (event.time_s, event.from_count, event.to_count) == (8 * 3600, 1, 4)
    after = copies(result)[(8 * 3600 + 3 * MINUTE) // STEP_S]
    assert after == 4


def test_a_rate_schedule_fires_every_period_and_an_unknown_schedule_is_reported(plan):
    # Given a rate(2 hours) action and one the simulator cannot read
    actions = (ScheduledAction("often", "rate(2 hours)", min=2, max=None), ScheduledAction("odd", "sometimes", min=3, max=None))

    # When five hours pass
    result = simulate(with_scaling(plan, scheduled=actions), demand((0, 5 * 60)), Parameters())

    # Then it fires at 2 h and 4 h, and the other is named in what was not simulated
    assert [event.time_s for event in result.events if event.kind == "scheduled"] == [2 * 3600, 4 * 3600]
    assert any("'sometimes'" in note for note in result.not_modelled)


def test_an_unknown_price_makes_the_cost_unknown_not_zero(plan):
    # Given the pool's instance type without a price
    (pool,) = plan.pools
    unpriced = plan.with_units_of("inference-component", (replace(pool, instance_type=replace(pool.instance_type, price_usd_per_hour=None)),))

    # When simulated
    result = simulate(unpriced, demand((2, 10)), Parameters())

    # Then instance-hours are counted and the cost is unknown, naming the pool
    assert result.units["pool:gpu"].instance_hours == pytest.approx(10 / 60)
    assert result.units["pool:gpu"].cost_usd is None
    assert result.cost_usd is None
    assert result.unpriced_units == ("pool:gpu",)


def test_the_cost_is_instance_hours_at_the_catalog_price(plan):
    result = simulate(plan, demand((2, 60)), Parameters())

    assert result.units["pool:gpu"].instance_hours == pytest.approx(1.0)
    assert result.cost_usd == pytest.approx(plan.pools[0].instance_type.price_usd_per_hour)


def test_demand_as_requests_per_second_becomes_concurrency_by_littles_law():
    demand = Demand.from_rates({"chat": np.array([0.0, 10.0])}, {"chat": 1.5})

    assert demand.concurrency["chat"].tolist() == [0.0, 15.0]


def test_demand_for_a_model_the_plan_lacks_is_refused(plan):
    with pytest.raises(ValueError, match="models the plan does not have: ghost"):
        simulate(plan, Demand({"ghost": np.zeros(6)}), Parameters())


def test_progress_is_reported_up_to_done(plan):
    fractions = []

    simulate(plan, demand((2, 60)), Parameters(), progress=fractions.append)

    assert fractions[0] == 0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)


@pytest.mark.parametrize("overrides, message", [
    ({"instance_provisioning": 1}, "parameters.instance_provisioning: unknown parameter"),
    ({"models": {"chat": {"model_download": 1}}}, "parameters.models.chat.model_download: unknown parameter"),
    ({"pools": {"gpu": {"instance_release_s": -5}}}, r"parameters.pools.gpu.instance_release_s: expected a number >= 0, got -5"),
    ({"step_s": "ten"}, "parameters.step_s: expected a number >= 0, got 'ten'"),
    ({"start": "monday"}, "parameters.start: expected a date and time such as"),
    ({"start": "2026-01-05T00:00:00"}, "parameters.start: expected a date and time with its offset"),
])
def test_a_bad_parameter_override_names_its_key(overrides, message):
    with pytest.raises(ParameterError, match=message):
        Parameters().overridden(overrides)


def test_demand_and_parameters_in_different_steps_are_refused(plan):
    with pytest.raises(ValueError, match="demand in steps of 60 s, parameters in steps of 10 s"):
        simulate(plan, Demand({"chat": np.zeros(6)}, step_s=60), Parameters())


def test_the_start_of_the_run_may_be_given_as_iso_text(plan):
    # Given a run starting at 07:00 UTC, and a scheduled action at 08:00
    parameters = Parameters().overridden({"start": "2026-01-05T07:00:00+00:00"})
    morning = ScheduledAction("morning", "cron(0 8 * * ? *)", min=4, max=None)

    result = simulate(with_scaling(plan, scheduled=(morning,)), demand((0, 90)), parameters)

    # Then the action fires an hour into the run
    assert [event.time_s for event in result.events if event.kind == "scheduled"] == [3600]


def test_overrides_reach_every_model_or_one(plan):
    parameters = Parameters().overridden({"model_download_s": 60, "models": {"chat": {"container_start_s": 30}}, "pools": {"gpu": {"instance_release_s": 120}}})

    assert parameters.model("chat").copy_start_s == 90
    assert parameters.model("other").copy_start_s == 60
    assert parameters.pool("gpu").instance_release_s == 120
    assert parameters.pool("other").instance_release_s == 600
