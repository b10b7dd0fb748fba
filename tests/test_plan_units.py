"""The plan as units of hosting patterns, each with its scaling as plain data (loadmaster.scaling)."""

from __future__ import annotations

import dataclasses

import pytest
from aws_cdk.assertions import Match, Template

from loadmaster.plan import Bounds
from loadmaster.scaling import MetricAlarm, ScalableDimension, ScalingMetric, Step, StepScaling


def component_of(plan, model):
    return next(component for pool in plan.pools for component in pool.components if component.model == model)


def test_the_plan_is_its_pools_then_its_dedicated_endpoints_each_tagged_with_its_pattern(example_plan):
    assert [(unit.pattern, unit.key) for unit in example_plan.units] == [
        ("inference-component", "pool:a10g-pool"), ("inference-component", "pool:a100-pool"), ("dedicated", "dedicated:inline")]


def test_a_component_that_scales_to_zero_carries_its_wake_up_alarm_and_step_in_the_plan(example_plan):
    scaling = component_of(example_plan, "apexguru").scaling

    assert (scaling.dimension, scaling.min, scaling.max) == (ScalableDimension.COPIES, 0, 4)
    (tracking,) = scaling.target_tracking
    assert (tracking.metric, tracking.target, tracking.scale_in_cooldown_s) == (ScalingMetric.CONCURRENT_REQUESTS_PER_COPY, 2, 900)
    assert scaling.wake_from_zero == StepScaling(MetricAlarm("AWS/SageMaker", "NoCapacityInvocationFailures", "Sum", 60, threshold=1),
                                                 steps=(Step(adjustment=1),), cooldown_s=60)


def test_a_component_with_a_floor_above_zero_has_no_wake_up(example_plan):
    assert component_of(example_plan, "blockgen").scaling.wake_from_zero is None


def test_a_dedicated_endpoint_tracks_its_metric_on_its_instances(example_plan):
    (inline,) = example_plan.dedicated

    (tracking,) = inline.scaling.target_tracking
    assert (inline.scaling.dimension, inline.scaling.min, inline.scaling.max) == (ScalableDimension.INSTANCES, 2, 8)
    assert (tracking.metric, tracking.target) == (ScalingMetric.CONCURRENT_REQUESTS_PER_MODEL, 10)


def test_a_units_bounds_and_its_scaling_cannot_disagree(example_plan):
    blockgen = component_of(example_plan, "blockgen")

    with pytest.raises(ValueError, match="component blockgen: scaling 2..6 is not its bounds 1..20"):
        dataclasses.replace(blockgen, copies=Bounds(1, 20))
    assert blockgen.with_copies(Bounds(1, 20)).scaling.max == 20


def test_the_stacks_render_the_wake_up_the_plan_gives(example_plan, tmp_path):
    # Given the example with apexguru's wake-up alarm over 30 s on Maximum, adding two copies (the blog's variant)
    from loadmaster.synthesis import synthesize

    blog = StepScaling(MetricAlarm("AWS/SageMaker", "NoCapacityInvocationFailures", "Maximum", 30, threshold=1), steps=(Step(adjustment=2),), cooldown_s=90)
    pool = next(pool for pool in example_plan.pools if pool.name == "a100-pool")
    apexguru = component_of(example_plan, "apexguru")
    woken = dataclasses.replace(apexguru, scaling=dataclasses.replace(apexguru.scaling, wake_from_zero=blog))
    plan = example_plan.with_units_of("inference-component", (dataclasses.replace(pool, components=(woken,)),))

    # When it is synthesized
    (stack,) = synthesize(plan, tmp_path / "cdk.out")

    # Then its alarm and step policy are the plan's
    template = Template.from_json(stack.template)
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "NoCapacityInvocationFailures", "Period": 30, "Statistic": "Maximum",
                                                                 "Dimensions": [{"Name": "InferenceComponentName", "Value": apexguru.component_name}]})
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": Match.object_like({"Cooldown": 90, "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}]})})
