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


def test_observe_reads_each_components_concurrency_per_copy_under_its_inference_component_name(example_plan):
    from loadmaster.observe import targets_of

    # Given the example's pools, When `loadmaster observe` lists what to read from CloudWatch
    targets = {target.model: target for target in targets_of(example_plan)}

    # Then each component's series is its copies' concurrency, by the dimension CloudWatch publishes it under
    component = component_of(example_plan, "blockgen")
    assert (targets["blockgen"].dimensions, targets["blockgen"].concurrency_metric) == (
        (("InferenceComponentName", component.component_name),), "ConcurrentRequestsPerCopy")


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


# A dedicated endpoint's production variants and shadow (examples/hosting-patterns.yaml's ranker and summarizer)


@pytest.fixture(scope="module")
def variants_plan(tmp_path_factory):
    """ranker: variants current (weight 9, on the model's ml.c5.xlarge x 1..4) and candidate (weight 1, its own artifact,
    ml.c5.large x 1..2); summarizer: the model and a shadow, next, of 1 ml.g5.xlarge copying 50 % of the requests."""
    import yaml

    from loadmaster.planner.make import plan_file

    example = yaml.safe_load(open("examples/hosting-patterns.yaml"))
    models = [model for model in example["models"] if model["name"] in ("ranker", "summarizer")]
    path = tmp_path_factory.mktemp("variants") / "variants.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "name": "variants", "region": "us-east-1", "models": models}))
    return plan_file(path)


def test_the_first_production_variant_is_the_endpoints_and_each_other_serves_its_weights_share(variants_plan):
    ranker, _ = variants_plan.dedicated

    # Then the unit describes the first variant, current, at weight 9: 90 % of the model's 2 instances at mean and 4 at peak
    assert (ranker.variant_name, ranker.weight, ranker.instance_type.name) == ("current", 9, "ml.c5.xlarge")
    assert (ranker.instance_counts.min, ranker.instance_counts.expected, ranker.instance_counts.peak) == (1, 2, 4)
    # and candidate serves 10 %, rounded up within its own 1..2 on its own type and artifact, scaled within them
    (candidate,) = ranker.variants
    assert (candidate.name, candidate.weight, candidate.instance_type.name, candidate.container.artifact) == (
        "candidate", 1, "ml.c5.large", "s3://models/ranker-v2/model.tar.gz")
    assert (candidate.instance_counts.min, candidate.instance_counts.expected, candidate.instance_counts.peak) == (1, 1, 1)
    assert (candidate.scaling.min, candidate.scaling.max) == (1, 2)
    assert ranker.shadow is None
    assert ranker.reasons == ("written in the portfolio",)
    assert ranker.notes == ("updates blue-green (rolling deployments exclude multi-variant endpoints)",
                            "each production variant serves its weight's share of the traffic: counted as that share of the model's instances, within its range")


def test_an_endpoint_of_several_variants_or_a_shadow_updates_blue_green_as_its_note_says(variants_plan):
    # Given the ranker (two production variants) and the summarizer (a shadow), whose deployment writes no strategy
    ranker, summarizer = variants_plan.dedicated

    # Then both update blue-green, which rolling deployments leave multi-variant endpoints to
    assert (ranker.deployment.strategy, summarizer.deployment.strategy) == ("blue-green", "blue-green")
    assert "updates blue-green (rolling deployments exclude multi-variant endpoints)" in summarizer.notes


def test_a_shadow_keeps_its_instance_count_all_day_beside_the_models_only_production_variant(variants_plan):
    _, summarizer = variants_plan.dedicated

    assert (summarizer.variant_name, summarizer.variants) == ("AllTraffic", ())
    shadow = summarizer.shadow
    assert (shadow.name, shadow.sampling_percent, shadow.container.artifact, shadow.scaling) == ("next", 50, "s3://models/summarizer-v2/model.tar.gz", None)
    assert (shadow.instances.min, shadow.instances.max, shadow.instance_counts.expected, shadow.instance_counts.peak) == (1, 1, 1, 1)
    assert summarizer.notes[-1] == "the shadow next keeps 1 instance(s) all day, not autoscaled"


def test_an_endpoints_and_each_variants_bounds_and_scaling_cannot_disagree(variants_plan):
    ranker, _ = variants_plan.dedicated
    (candidate,) = ranker.variants

    with pytest.raises(ValueError, match="dedicated model ranker, variant candidate: scaling 1..2 is not its bounds 1..5"):
        dataclasses.replace(ranker, variants=(dataclasses.replace(candidate, instances=Bounds(1, 5)),))
    with pytest.raises(ValueError, match="dedicated model ranker: scaling 1..4 is not its bounds 1..9"):
        dataclasses.replace(ranker, instances=Bounds(1, 9))


def test_a_scheduled_window_outside_a_dedicated_endpoints_range_is_refused_naming_the_range(tmp_path):
    import yaml

    from loadmaster.errors import PortfolioError
    from loadmaster.planner.make import plan_file

    # Given summarizer alone on 1..2 instances, a window asking for 3
    (summarizer,) = [model for model in yaml.safe_load(open("examples/hosting-patterns.yaml"))["models"] if model["name"] == "summarizer"]
    summarizer = {key: value for key, value in summarizer.items() if key != "shadow"} | {"scaling": {
        "metric": "concurrent-requests-per-model", "target": 5, "schedule": [{"name": "busy", "cron": "0 8 ? * MON-FRI *", "timezone": "UTC", "min": 3}]}}
    path = tmp_path / "window.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "name": "window", "region": "us-east-1", "models": [summarizer]}))

    with pytest.raises(PortfolioError) as refused:
        plan_file(path)

    assert [(problem.location, problem.message) for problem in refused.value.problems] == [
        ("models[0] (summarizer).scaling.schedule", "window 'busy': min 3 is outside the model's range 1..2")]
