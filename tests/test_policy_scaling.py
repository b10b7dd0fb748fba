"""Scaling policies: scalable targets through the service-linked role, target tracking, waking from zero."""

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from loadmaster.scaling import MetricAlarm, ScalableDimension, Scaling, ScalingMetric, ScheduledAction, Step, StepScaling, TargetTracking
from policies.scalable_capacity import ScalableCapacity
from policies.scale_from_zero import ScaleFromZero


def component_resource(stack):
    return cdk.CfnResource(stack, "Component", type="AWS::SageMaker::InferenceComponent", properties={"EndpointName": "shared", "InferenceComponentName": "apexguru"})


def copies_of(stack, min_copies=0, max_copies=4):
    return ScalableCapacity.of_copies(stack, "Scaling", component_name="apexguru", component=component_resource(stack), min_copies=min_copies, max_copies=max_copies)


def test_copy_count_target_names_the_component_and_depends_on_it(stack):
    copies_of(stack)

    Template.from_stack(stack).has_resource(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "Properties": {
                "ServiceNamespace": "sagemaker",
                "ResourceId": "inference-component/apexguru",
                "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
                "MinCapacity": 0,
                "MaxCapacity": 4,
            },
            "DependsOn": ["Component"],
        },
    )


def test_scalable_target_uses_the_service_linked_role_and_creates_no_role(stack):
    copies_of(stack)

    template = Template.from_stack(stack)

    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"RoleARN": Match.absent()})
    template.resource_count_is("AWS::IAM::Role", 0)


def test_instance_count_target_names_the_endpoint_variant(stack):
    endpoint = cdk.CfnResource(stack, "Endpoint", type="AWS::SageMaker::Endpoint", properties={"EndpointConfigName": "c"})

    ScalableCapacity.of_instances(stack, "Scaling", endpoint_name="inline", variant_name="AllTraffic", endpoint=endpoint, min_instances=2, max_instances=8)

    Template.from_stack(stack).has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"ResourceId": "endpoint/inline/variant/AllTraffic", "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "MinCapacity": 2, "MaxCapacity": 8},
    )


@pytest.mark.parametrize("bounds", [(3, 2), (-1, 2), (0, 0)])
def test_capacity_bounds_must_be_ordered_and_allow_one(stack, bounds):
    with pytest.raises(ValueError, match="min_capacity <= max_capacity"):
        copies_of(stack, *bounds)


def test_target_tracking_on_high_resolution_concurrency_per_copy(stack):
    copies_of(stack).track_metric(
        "TargetTracking",
        predefined_metric_type="SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
        target_value=4,
        scale_in_cooldown_s=300,
        scale_out_cooldown_s=60,
    )

    Template.from_stack(stack).has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": {"Ref": Match.string_like_regexp("ScalingTarget")},
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"},
                "TargetValue": 4,
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
            },
        },
    )


def test_scale_from_zero_alarm_on_no_capacity_failures_adds_one_copy(stack):
    from aws_cdk import aws_cloudwatch as cloudwatch

    capacity = copies_of(stack)
    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures", dimensions_map={"InferenceComponentName": "apexguru"})

    ScaleFromZero(stack, "Wake", capacity=capacity, no_capacity_metric=metric)

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity",
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
                "MetricAggregationType": "Maximum",
                "Cooldown": 60,
            },
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SageMaker",
            "MetricName": "NoCapacityInvocationFailures",
            "Dimensions": [{"Name": "InferenceComponentName", "Value": "apexguru"}],
            "Statistic": "Sum",
            "Period": 60,
            "Threshold": 1,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": Match.string_like_regexp("WakeStepPolicy")}],
        },
    )


def test_scale_from_zero_period_and_statistic_are_parameters(stack):
    import dataclasses

    from aws_cdk import aws_cloudwatch as cloudwatch

    from policies.scale_from_zero import COMPONENT_WAKE

    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures")
    blog_figures = dataclasses.replace(COMPONENT_WAKE, alarm=dataclasses.replace(COMPONENT_WAKE.alarm, period_s=30, statistic="Maximum"))

    ScaleFromZero(stack, "Wake", capacity=copies_of(stack), no_capacity_metric=metric, wake=blog_figures)

    Template.from_stack(stack).has_resource_properties("AWS::CloudWatch::Alarm", {"Period": 30, "Statistic": "Maximum"})


@pytest.mark.parametrize("bounds", [(0, 1), (1, 1), (3, 3)], ids=["zero-to-one", "fixed-at-one", "fixed-at-three"])
def test_capacity_may_be_fixed_or_reach_zero_with_a_ceiling_of_one(stack, bounds):
    copies_of(stack, *bounds)

    Template.from_stack(stack).has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": bounds[0], "MaxCapacity": bounds[1]})


def test_policies_are_named_after_the_component_without_slashes(stack):
    # Given
    from aws_cdk import aws_cloudwatch as cloudwatch

    capacity = copies_of(stack)
    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures", dimensions_map={"InferenceComponentName": "apexguru"})
    # When
    capacity.track_metric("TargetTracking", predefined_metric_type="SageMakerInferenceComponentInvocationsPerCopy", target_value=10, scale_in_cooldown_s=300, scale_out_cooldown_s=60)
    ScaleFromZero(stack, "Wake", capacity=capacity, no_capacity_metric=metric)
    # Then
    template = Template.from_stack(stack)
    names = {policy["Properties"]["PolicyName"] for policy in template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()}
    assert names == {"inference-component-apexguru-target-tracking", "inference-component-apexguru-scale-from-zero"}


def test_the_wake_alarm_says_what_it_does_and_keeps_its_logical_id(stack):
    from aws_cdk import aws_cloudwatch as cloudwatch

    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures", dimensions_map={"InferenceComponentName": "apexguru"})

    ScaleFromZero(stack, "Wake", capacity=copies_of(stack), no_capacity_metric=metric)

    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    # A changed logical id would make CloudFormation replace the alarm on the next deploy.
    ((logical_id, alarm),) = alarms.items()
    assert logical_id.startswith("WakeNoCapacityAlarm")
    assert alarm["Properties"]["AlarmDescription"] == "Requests to inference-component/apexguru failed for lack of capacity: add a copy"


# Scheduled actions and step policies (issue 11 point 5)

BUSINESS_HOURS = ScheduledAction("business-hours", "cron(0 8 ? * MON-FRI *)", min=2, max=None, timezone="Europe/Berlin")
NIGHTS = ScheduledAction("nights", "cron(0 20 ? * MON-FRI *)", min=1, max=4, timezone="Europe/Berlin")
LATENCY_STEPS = StepScaling(
    alarm=MetricAlarm("AWS/SageMaker", "ModelLatency", "Maximum", 60, threshold=500_000, evaluation_periods=3),
    steps=(Step(adjustment=1, lower=0, upper=200_000), Step(adjustment=2, lower=200_000)),
    cooldown_s=300,
)


def scaling_with(**changes):
    return Scaling(ScalableDimension.COPIES, 0, 4, **changes)


def test_scheduled_actions_are_written_on_the_scalable_target_with_their_time_zone(stack):
    capacity = copies_of(stack)

    capacity.schedule_and_step(scaling_with(scheduled=(BUSINESS_HOURS, NIGHTS)), metric_dimensions={"InferenceComponentName": "apexguru"})

    Template.from_stack(stack).has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"ScheduledActions": [
        {"ScheduledActionName": "business-hours", "Schedule": "cron(0 8 ? * MON-FRI *)", "Timezone": "Europe/Berlin",
         "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": Match.absent()}},
        {"ScheduledActionName": "nights", "Schedule": "cron(0 20 ? * MON-FRI *)", "Timezone": "Europe/Berlin",
         "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 4}},
    ]})


def test_a_target_without_windows_has_no_scheduled_actions(stack):
    copies_of(stack).schedule_and_step(scaling_with(), metric_dimensions={})

    Template.from_stack(stack).has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"ScheduledActions": Match.absent()})


def test_a_step_policy_is_run_by_its_alarm_on_the_scaled_resource_metric(stack):
    capacity = copies_of(stack)

    capacity.schedule_and_step(scaling_with(step=(LATENCY_STEPS,)), metric_dimensions={"InferenceComponentName": "apexguru"})

    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "PolicyType": "StepScaling",
        "PolicyName": "inference-component-apexguru-step1",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity", "Cooldown": 300, "MetricAggregationType": "Maximum",
            "StepAdjustments": [
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 200_000, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 200_000, "MetricIntervalUpperBound": Match.absent(), "ScalingAdjustment": 2},
            ],
        },
    })
    policy_id = next(iter(template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")))
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "Namespace": "AWS/SageMaker", "MetricName": "ModelLatency", "Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 3,
        "Threshold": 500_000, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
        "Dimensions": [{"Name": "InferenceComponentName", "Value": "apexguru"}],
        "AlarmActions": [{"Ref": policy_id}],
    })


def test_a_step_policy_on_another_resource_metric_keeps_its_dimensions(stack):
    queue_depth = StepScaling(
        alarm=MetricAlarm("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Sum", 60, threshold=100, dimensions=(("QueueName", "requests"),)),
        steps=(Step(adjustment=1),), cooldown_s=120, metric_aggregation="Average",
    )

    copies_of(stack).schedule_and_step(scaling_with(step=(queue_depth, LATENCY_STEPS)), metric_dimensions={"InferenceComponentName": "apexguru"})

    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 2)
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"Namespace": "AWS/SQS", "Dimensions": [{"Name": "QueueName", "Value": "requests"}]})


# Everything a plan's scaling asks of a target, as the constructs' autoscale() passes it (`scale`)

CONCURRENCY = TargetTracking(ScalingMetric.CONCURRENT_REQUESTS_PER_COPY, target=4, scale_in_cooldown_s=300, scale_out_cooldown_s=60)
INVOCATIONS = TargetTracking(ScalingMetric.INVOCATIONS_PER_COPY, target=100, scale_in_cooldown_s=600, scale_out_cooldown_s=120)
BACKLOG = MetricAlarm("AWS/SageMaker", "ApproximateBacklogSizePerInstance", "Average", 60, threshold=0)


def scaling_policies(template: Template) -> dict[str, dict]:
    return {name: policy["Properties"] for name, policy in template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").items()}


def test_scale_tracks_each_predefined_metric_beside_the_schedule_and_steps_and_returns_the_tracking_policies(stack):
    capacity = copies_of(stack)

    policies = capacity.scale(scaling_with(target_tracking=(CONCURRENCY, INVOCATIONS), scheduled=(NIGHTS,), step=(LATENCY_STEPS,)),
                              metric_dimensions={"InferenceComponentName": "apexguru"})

    template = Template.from_stack(stack)
    tracking = {name: policy for name, policy in scaling_policies(template).items() if policy["PolicyType"] == "TargetTrackingScaling"}
    assert [stack.resolve(policy.ref) for policy in policies] == [{"Ref": name} for name in tracking]
    assert list(tracking.values()) == [
        {
            "PolicyName": "inference-component-apexguru-target-tracking",
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": {"Ref": next(iter(template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")))},
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": tracked.metric.predefined_metric_type},
                "TargetValue": tracked.target,
                "ScaleInCooldown": tracked.scale_in_cooldown_s,
                "ScaleOutCooldown": tracked.scale_out_cooldown_s,
            },
        }
        for tracked in (CONCURRENCY, INVOCATIONS)
    ]
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 3)  # and the step policy
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"ScheduledActions": [Match.object_like({"ScheduledActionName": "nights"})]})


@pytest.mark.parametrize("disable_scale_in", [True, False])
def test_a_metric_without_a_predefined_type_is_tracked_as_a_customized_metric_with_the_dimensions_for_its_name(stack, disable_scale_in):
    endpoint = cdk.CfnResource(stack, "Endpoint", type="AWS::SageMaker::Endpoint", properties={"EndpointConfigName": "c"})
    capacity = ScalableCapacity.of_instances(stack, "Scaling", endpoint_name="transcribe", variant_name="AllTraffic", endpoint=endpoint, min_instances=0, max_instances=3)
    backlog = TargetTracking(ScalingMetric.BACKLOG_SIZE_PER_INSTANCE, target=5, scale_in_cooldown_s=600, scale_out_cooldown_s=60,
                             disable_scale_in=disable_scale_in, custom_metric=BACKLOG)

    (policy,) = capacity.scale(Scaling(ScalableDimension.INSTANCES, 0, 3, target_tracking=(backlog,)), metric_dimensions=lambda name: {"EndpointName": "transcribe", "Metric": name})

    template = Template.from_stack(stack)
    (target,) = template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")
    assert scaling_policies(template) == {stack.resolve(policy.ref)["Ref"]: {
        "PolicyName": "endpoint-transcribe-variant-AllTraffic-target-tracking",
        "PolicyType": "TargetTrackingScaling",
        "ScalingTargetId": {"Ref": target},
        "TargetTrackingScalingPolicyConfiguration": {
            "CustomizedMetricSpecification": {
                "Namespace": "AWS/SageMaker", "MetricName": "ApproximateBacklogSizePerInstance", "Statistic": "Average",
                "Dimensions": [{"Name": "EndpointName", "Value": "transcribe"}, {"Name": "Metric", "Value": "ApproximateBacklogSizePerInstance"}],
            },
            "TargetValue": 5,
            "ScaleInCooldown": 600,
            "ScaleOutCooldown": 60,
            **({"DisableScaleIn": True} if disable_scale_in else {}),
        },
    }}
