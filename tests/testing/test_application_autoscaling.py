"""Application Auto Scaling for SageMaker in loadmaster.testing: inference-component targets and their metrics."""

from __future__ import annotations

import pytest
from ic_givens import VARIANT, create_component, create_serverless_endpoint, error_of

from loadmaster.testing.applicationautoscaling.alarms import PREDEFINED_METRICS
from loadmaster.testing.placement import NOT_ENOUGH_HARDWARE

COPIES = "sagemaker:inference-component:DesiredCopyCount"
INSTANCES = "sagemaker:variant:DesiredInstanceCount"
PROVISIONED_CONCURRENCY = "sagemaker:variant:DesiredProvisionedConcurrency"
SAGEMAKER_METRICS = [
    ("SageMakerVariantInvocationsPerInstance", INSTANCES),
    ("SageMakerVariantProvisionedConcurrencyUtilization", PROVISIONED_CONCURRENCY),
    ("SageMakerInferenceComponentInvocationsPerCopy", COPIES),
    ("SageMakerVariantConcurrentRequestsPerModelHighResolution", INSTANCES),
    ("SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution", COPIES),
]


def register(autoscaling, resource_id: str = "inference-component/blockgen", dimension: str = COPIES, minimum: int = 0, maximum: int = 4):
    autoscaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource_id, ScalableDimension=dimension, MinCapacity=minimum, MaxCapacity=maximum)


def target_tracking(autoscaling, metric: str, resource_id: str = "inference-component/blockgen", dimension: str = COPIES) -> dict:
    return autoscaling.put_scaling_policy(
        PolicyName="tracking",
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension=dimension,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={"TargetValue": 4.0, "PredefinedMetricSpecification": {"PredefinedMetricType": metric}},
    )


@pytest.fixture
def component(sagemaker_client, pool) -> str:
    create_component(sagemaker_client, "blockgen")
    return "blockgen"


def test_an_inference_component_can_be_registered_as_a_scalable_target(autoscaling_client, component):
    # When
    register(autoscaling_client, minimum=0, maximum=4)
    # Then
    targets = autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [(t["ResourceId"], t["ScalableDimension"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
        ("inference-component/blockgen", COPIES, 0, 4)
    ]


def test_registering_a_target_for_a_missing_component_raises_validation_error(autoscaling_client):
    code, message = error_of(lambda: register(autoscaling_client, resource_id="inference-component/missing"))
    assert code == "ValidationException" and "inference-component/missing" in message


def test_registering_a_copy_count_dimension_for_an_endpoint_variant_raises_validation_error(autoscaling_client, pool):
    assert error_of(lambda: register(autoscaling_client, resource_id=f"endpoint/{pool}/variant/{VARIANT}")) == (
        "ValidationException",
        "Unsupported service namespace, resource type or scalable dimension",
    )


def test_registering_an_unknown_dimension_raises_validation_error(autoscaling_client, component):
    code, message = error_of(lambda: register(autoscaling_client, dimension="sagemaker:inference-component:Copies"))
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'sagemaker:inference-component:Copies' at 'scalableDimension'")
    assert COPIES in message


@pytest.mark.parametrize("metric, dimension", SAGEMAKER_METRICS, ids=[metric for metric, _ in SAGEMAKER_METRICS])
def test_every_sagemaker_predefined_metric_is_accepted(autoscaling_client, sagemaker_client, component, metric, dimension):
    # Given a target of the metric's dimension: provisioned concurrency is a serverless variant's
    if dimension == COPIES:
        resource_id = "inference-component/blockgen"
    elif dimension == PROVISIONED_CONCURRENCY:
        resource_id = f"endpoint/{create_serverless_endpoint(sagemaker_client, ProvisionedConcurrency=1)}/variant/{VARIANT}"
    else:
        resource_id = f"endpoint/pool/variant/{VARIANT}"
    register(autoscaling_client, resource_id=resource_id, dimension=dimension, minimum=1)
    # When
    arn = target_tracking(autoscaling_client, metric, resource_id=resource_id, dimension=dimension)["PolicyARN"]
    # Then
    policies = autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert [(p["PolicyARN"], p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]) for p in policies] == [(arn, metric)]


def test_an_unknown_predefined_metric_raises_validation_error(autoscaling_client, component):
    register(autoscaling_client)
    code, message = error_of(lambda: target_tracking(autoscaling_client, "SageMakerCopiesBusy"))
    assert code == "ValidationException" and "Value 'SageMakerCopiesBusy' at 'targetTrackingScalingPolicyConfiguration" in message


def test_a_policy_without_a_registered_target_raises_object_not_found(autoscaling_client, component):
    assert error_of(lambda: target_tracking(autoscaling_client, "SageMakerInferenceComponentInvocationsPerCopy")) == (
        "ObjectNotFoundException",
        f"No scalable target registered for service namespace: sagemaker, resource ID: inference-component/blockgen, scalable dimension: {COPIES}",
    )


def test_deregistering_a_target_deletes_its_policies(autoscaling_client, component):
    # Given
    register(autoscaling_client)
    target_tracking(autoscaling_client, "SageMakerInferenceComponentInvocationsPerCopy")
    # When
    autoscaling_client.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId="inference-component/blockgen", ScalableDimension=COPIES)
    # Then
    assert autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []


def test_a_sagemaker_target_registered_without_a_role_has_the_service_linked_role(autoscaling_client, component):
    # When
    register(autoscaling_client)
    # Then
    target = autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]
    assert target["RoleARN"] == (
        "arn:aws:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
    )


def test_registering_a_minimum_above_the_copies_scales_the_component_out_and_records_the_activity(autoscaling_client, sagemaker_client, component):
    # When the component has 1 copy and the range starts at 2
    register(autoscaling_client, minimum=2, maximum=4)
    # Then
    runtime = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]
    assert (runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]) == (2, 2)
    activities = autoscaling_client.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId="inference-component/blockgen")["ScalingActivities"]
    assert [(a["ScalableDimension"], a["StatusCode"], a["Cause"]) for a in activities] == [(COPIES, "Successful", "minimum capacity was set to 2")]


def test_registering_a_maximum_below_the_copies_scales_the_component_in(autoscaling_client, sagemaker_client, pool):
    # Given
    create_component(sagemaker_client, "blockgen", copies=3)
    # When
    register(autoscaling_client, minimum=0, maximum=1)
    # Then
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]["DesiredCopyCount"] == 1


def test_registering_a_range_that_holds_the_copies_changes_nothing(autoscaling_client, sagemaker_client, component):
    register(autoscaling_client, minimum=0, maximum=4)
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]["DesiredCopyCount"] == 1
    assert autoscaling_client.describe_scaling_activities(ServiceNamespace="sagemaker")["ScalingActivities"] == []


def test_a_minimum_the_endpoint_cannot_hold_is_a_failed_activity(autoscaling_client, sagemaker_client, component):
    # When 9 copies of 1 GPU are asked of an endpoint of at most 2 x 4 GPUs
    register(autoscaling_client, minimum=9, maximum=9)
    # Then
    activity = autoscaling_client.describe_scaling_activities(ServiceNamespace="sagemaker")["ScalingActivities"][0]
    assert (activity["StatusCode"], activity["StatusMessage"]) == ("Failed", NOT_ENOUGH_HARDWARE)
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]["DesiredCopyCount"] == 1


@pytest.mark.parametrize(
    "metric, period, high_datapoints, low_datapoints",
    [("SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution", 10, 3, 90), ("SageMakerInferenceComponentInvocationsPerCopy", 60, 3, 15)],
    ids=["high resolution", "standard"],
)
def test_target_tracking_creates_a_high_and_a_low_alarm_on_the_components_metric(
    autoscaling_client, cloudwatch_client, component, metric, period, high_datapoints, low_datapoints
):
    # Given
    register(autoscaling_client)
    # When
    policy = target_tracking(autoscaling_client, metric)
    # Then
    alarms = {a["AlarmName"]: a for a in cloudwatch_client.describe_alarms()["MetricAlarms"]}
    assert sorted(alarms) == sorted(a["AlarmName"] for a in policy["Alarms"])
    high, low = sorted(alarms.values(), key=lambda a: "AlarmLow" in a["AlarmName"])
    assert high["AlarmName"].startswith("TargetTracking-inference-component/blockgen-AlarmHigh-")
    assert low["AlarmName"].startswith("TargetTracking-inference-component/blockgen-AlarmLow-")
    assert {a["Namespace"] for a in (high, low)} == {"AWS/SageMaker"}
    assert {a["MetricName"] for a in (high, low)} == {PREDEFINED_METRICS[metric][0]}
    assert [d for a in (high, low) for d in a["Dimensions"]] == [{"Name": "InferenceComponentName", "Value": "blockgen"}] * 2
    assert (high["ComparisonOperator"], high["Threshold"], high["Period"], high["DatapointsToAlarm"], high["EvaluationPeriods"]) == (
        "GreaterThanThreshold", 4.0, period, high_datapoints, high_datapoints,
    )
    assert (low["ComparisonOperator"], low["Threshold"], low["Period"], low["DatapointsToAlarm"], low["EvaluationPeriods"]) == (
        "LessThanThreshold", pytest.approx(3.6), period, low_datapoints, low_datapoints,
    )
    assert high["AlarmActions"] == low["AlarmActions"] == [policy["PolicyARN"]]


def test_a_variants_target_tracking_alarms_watch_its_endpoint_and_variant(autoscaling_client, cloudwatch_client, component):
    resource_id = f"endpoint/pool/variant/{VARIANT}"
    register(autoscaling_client, resource_id=resource_id, dimension=INSTANCES, minimum=1)
    target_tracking(autoscaling_client, "SageMakerVariantInvocationsPerInstance", resource_id=resource_id, dimension=INSTANCES)
    alarms = cloudwatch_client.describe_alarms()["MetricAlarms"]
    assert {(a["MetricName"], tuple((d["Name"], d["Value"]) for d in a["Dimensions"])) for a in alarms} == {
        ("InvocationsPerInstance", (("EndpointName", "pool"), ("VariantName", VARIANT)))
    }


def test_deleting_a_target_tracking_policy_deletes_its_alarms(autoscaling_client, cloudwatch_client, component):
    register(autoscaling_client)
    target_tracking(autoscaling_client, "SageMakerInferenceComponentInvocationsPerCopy")
    autoscaling_client.delete_scaling_policy(PolicyName="tracking", ServiceNamespace="sagemaker", ResourceId="inference-component/blockgen", ScalableDimension=COPIES)
    assert cloudwatch_client.describe_alarms()["MetricAlarms"] == []


def test_putting_a_policy_again_replaces_its_alarms(autoscaling_client, cloudwatch_client, component):
    register(autoscaling_client)
    target_tracking(autoscaling_client, "SageMakerInferenceComponentInvocationsPerCopy")
    policy = target_tracking(autoscaling_client, "SageMakerInferenceComponentInvocationsPerCopy")
    assert sorted(a["AlarmName"] for a in cloudwatch_client.describe_alarms()["MetricAlarms"]) == sorted(a["AlarmName"] for a in policy["Alarms"])


def test_other_namespaces_keep_motos_checks_an_ecs_target_needs_its_cluster(autoscaling_client):
    assert error_of(
        lambda: autoscaling_client.register_scalable_target(
            ServiceNamespace="ecs", ResourceId="service/missing/web", ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2
        )
    ) == ("ClusterNotFoundException", "Cluster not found.")


@pytest.mark.parametrize(
    "namespace, resource_id, dimension",
    [
        ("custom-resource", "https://test-endpoint.amazon.com/ScalableDimension/test-resource", "custom-resource:ResourceType:Property"),
        ("kafka", "arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc", "kafka:broker-storage:VolumeSize"),
    ],
    ids=["custom resource", "kafka"],
)
def test_other_namespaces_keep_motos_dimensions_whose_resource_type_is_not_in_the_id(autoscaling_client, namespace, resource_id, dimension):
    autoscaling_client.register_scalable_target(ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension, MinCapacity=1, MaxCapacity=2)
    assert [t["ScalableDimension"] for t in autoscaling_client.describe_scalable_targets(ServiceNamespace=namespace)["ScalableTargets"]] == [dimension]


def test_listing_more_than_two_pages_of_targets_returns_each_target_once(autoscaling_client):
    # Given 120 targets: three pages of DescribeScalableTargets' 50 (DynamoDB tables, which moto does not look up)
    for index in range(120):
        autoscaling_client.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=f"table/orders-{index:03d}", ScalableDimension="dynamodb:table:ReadCapacityUnits", MinCapacity=1, MaxCapacity=2
        )
    # When
    pages = autoscaling_client.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="dynamodb")
    listed = [target["ResourceId"] for page in pages for target in page["ScalableTargets"]]
    # Then
    assert listed == [f"table/orders-{index:03d}" for index in range(120)]


def activities(autoscaling, **filters) -> list[dict]:
    return autoscaling.describe_scaling_activities(ServiceNamespace="sagemaker", **filters)["ScalingActivities"]


def test_a_scaling_activity_says_what_it_set_and_why(autoscaling_client, component):
    # When the range starts above the component's one copy
    register(autoscaling_client, minimum=2, maximum=4)
    # Then
    (activity,) = activities(autoscaling_client)
    assert {key: activity[key] for key in ("ServiceNamespace", "ResourceId", "ScalableDimension", "Description", "Cause", "StatusCode", "StatusMessage")} == {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "inference-component/blockgen",
        "ScalableDimension": COPIES,
        "Description": "Setting desired copy count to 2.",
        "Cause": "minimum capacity was set to 2",
        "StatusCode": "Successful",
        "StatusMessage": "Successfully set desired copy count to 2.",
    }
    assert activity["StartTime"] == activity["EndTime"]


def test_registering_a_maximum_below_the_copies_is_an_activity_caused_by_the_maximum(autoscaling_client, sagemaker_client, pool):
    create_component(sagemaker_client, "blockgen", copies=3)
    register(autoscaling_client, minimum=0, maximum=1)
    assert [(a["Description"], a["Cause"]) for a in activities(autoscaling_client)] == [("Setting desired copy count to 1.", "maximum capacity was set to 1")]


def test_registering_a_target_again_with_a_new_range_moves_the_copies_into_it(autoscaling_client, sagemaker_client, component):
    # Given a target from 1 to 4 copies
    register(autoscaling_client, minimum=1, maximum=4)
    # When it is registered again from 3 to 6
    register(autoscaling_client, minimum=3, maximum=6)
    # Then
    targets = autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(3, 6)]
    assert sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]["CurrentCopyCount"] == 3


def test_scaling_activities_are_listed_newest_first_and_filtered_by_resource(autoscaling_client, sagemaker_client, component):
    # Given activities on two components
    create_component(sagemaker_client, "flowgpt")
    register(autoscaling_client, minimum=2, maximum=4)
    register(autoscaling_client, resource_id="inference-component/flowgpt", minimum=3, maximum=4)
    # Then
    assert [a["ResourceId"] for a in activities(autoscaling_client)] == ["inference-component/flowgpt", "inference-component/blockgen"]
    assert [a["Cause"] for a in activities(autoscaling_client, ResourceId="inference-component/blockgen")] == ["minimum capacity was set to 2"]
    assert [a["ResourceId"] for a in activities(autoscaling_client, ScalableDimension=COPIES)] == ["inference-component/flowgpt", "inference-component/blockgen"]
    assert activities(autoscaling_client, ScalableDimension=INSTANCES) == []
    assert autoscaling_client.describe_scaling_activities(ServiceNamespace="ecs")["ScalingActivities"] == []


@pytest.fixture
def dedicated(sagemaker_client) -> str:
    """A dedicated endpoint: its variant serves a model on one ml.g5.2xlarge."""
    sagemaker_client.create_model(ModelName="inline", ExecutionRoleArn="arn:aws:iam::123456789012:role/r", PrimaryContainer={"Image": "image"})
    sagemaker_client.create_endpoint_config(
        EndpointConfigName="inline", ProductionVariants=[{"VariantName": VARIANT, "ModelName": "inline", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}]
    )
    sagemaker_client.create_endpoint(EndpointName="inline", EndpointConfigName="inline")
    return f"endpoint/inline/variant/{VARIANT}"


def test_registering_a_minimum_above_a_model_variants_instances_scales_it_out(autoscaling_client, sagemaker_client, dedicated):
    # When
    register(autoscaling_client, resource_id=dedicated, dimension=INSTANCES, minimum=2, maximum=4)
    # Then
    variant = sagemaker_client.describe_endpoint(EndpointName="inline")["ProductionVariants"][0]
    assert (variant["DesiredInstanceCount"], variant["CurrentInstanceCount"]) == (2, 2)
    assert [(a["Description"], a["StatusMessage"]) for a in activities(autoscaling_client)] == [
        ("Setting desired instance count to 2.", "Successfully set desired instance count to 2.")
    ]


def test_registering_provisioned_concurrency_of_an_instance_variant_is_refused_and_leaves_its_instances(autoscaling_client, sagemaker_client, dedicated):
    # Only a serverless variant with provisioned concurrency has it to scale (tests/testing/test_serverless_endpoints.py)
    assert error_of(lambda: register(autoscaling_client, resource_id=dedicated, dimension="sagemaker:variant:DesiredProvisionedConcurrency", minimum=2, maximum=4)) == (
        "ValidationException",
        f"SageMaker variant {dedicated} has no provisioned concurrency to scale",
    )
    assert sagemaker_client.describe_endpoint(EndpointName="inline")["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert activities(autoscaling_client) == []


@pytest.mark.parametrize("resource_id", ["endpoint/missing/variant/AllTraffic", "endpoint/inline/variant/Other"], ids=["endpoint", "variant"])
def test_registering_a_target_for_a_missing_endpoint_or_variant_raises_validation_error(autoscaling_client, dedicated, resource_id):
    assert error_of(lambda: register(autoscaling_client, resource_id=resource_id, dimension=INSTANCES, minimum=1)) == (
        "ValidationException",
        f"SageMaker resource {resource_id} does not exist",
    )


def test_a_sagemaker_target_of_another_services_dimension_raises_validation_error(autoscaling_client):
    assert error_of(lambda: register(autoscaling_client, resource_id="service/cluster/web", dimension="ecs:service:DesiredCount")) == (
        "ValidationException",
        "Unsupported service namespace, resource type or scalable dimension",
    )


def test_a_request_with_several_invalid_values_lists_each(autoscaling_client):
    code, message = error_of(lambda: autoscaling_client.describe_scalable_targets(ServiceNamespace="sage", ScalableDimension="sagemaker:copies"))
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: Value 'sagemaker:copies' at 'scalableDimension' failed to satisfy constraint")
    assert "; Value 'sage' at 'serviceNamespace' failed to satisfy constraint: Member must satisfy enum value set: [" in message


def test_deregistering_a_target_deletes_its_policies_and_their_alarms_only(autoscaling_client, sagemaker_client, cloudwatch_client, component):
    # Given two components, each a target with a target-tracking policy
    create_component(sagemaker_client, "flowgpt")
    for name in ("blockgen", "flowgpt"):
        register(autoscaling_client, resource_id=f"inference-component/{name}")
        target_tracking(autoscaling_client, "SageMakerInferenceComponentInvocationsPerCopy", resource_id=f"inference-component/{name}")
    # When
    autoscaling_client.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId="inference-component/blockgen", ScalableDimension=COPIES)
    # Then
    policies = autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert [p["ResourceId"] for p in policies] == ["inference-component/flowgpt"]
    alarms = cloudwatch_client.describe_alarms()["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(a["AlarmName"] for a in policies[0]["Alarms"])
    assert len(alarms) == 2


def test_target_tracking_on_a_customized_metric_alarms_on_that_metric(autoscaling_client, cloudwatch_client, component):
    # Given
    register(autoscaling_client)
    metric = {"Namespace": "Codegen", "MetricName": "QueueDepth", "Statistic": "Maximum", "Unit": "Count",
              "Dimensions": [{"Name": "Queue", "Value": "blockgen"}]}
    # When
    autoscaling_client.put_scaling_policy(
        PolicyName="tracking", ServiceNamespace="sagemaker", ResourceId="inference-component/blockgen", ScalableDimension=COPIES,
        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={"TargetValue": 10.0, "CustomizedMetricSpecification": metric},
    )
    # Then both alarms watch it at the standard resolution
    alarms = cloudwatch_client.describe_alarms()["MetricAlarms"]
    assert {(a["Namespace"], a["MetricName"], a["Statistic"], a["Unit"], a["Period"]) for a in alarms} == {("Codegen", "QueueDepth", "Maximum", "Count", 60)}
    assert [a["Dimensions"] for a in alarms] == [[{"Name": "Queue", "Value": "blockgen"}]] * 2
    assert sorted((a["ComparisonOperator"], a["Threshold"], a["EvaluationPeriods"]) for a in alarms) == [
        ("GreaterThanThreshold", 10.0, 3), ("LessThanThreshold", 9.0, 15)
    ]


def test_target_tracking_alarms_say_which_policy_owns_them(autoscaling_client, cloudwatch_client, component):
    register(autoscaling_client)
    arn = target_tracking(autoscaling_client, "SageMakerInferenceComponentInvocationsPerCopy")["PolicyARN"]
    descriptions = {a["AlarmDescription"] for a in cloudwatch_client.describe_alarms()["MetricAlarms"]}
    assert descriptions == {f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {arn}."}


def test_a_step_scaling_policy_creates_no_alarm(autoscaling_client, cloudwatch_client, component):
    register(autoscaling_client)
    autoscaling_client.put_scaling_policy(
        PolicyName="from-zero", ServiceNamespace="sagemaker", ResourceId="inference-component/blockgen", ScalableDimension=COPIES, PolicyType="StepScaling",
        StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]},
    )
    assert cloudwatch_client.describe_alarms()["MetricAlarms"] == []


def test_listing_one_page_of_targets_has_no_next_token(autoscaling_client):
    for index in range(3):
        autoscaling_client.register_scalable_target(
            ServiceNamespace="dynamodb", ResourceId=f"table/orders-{index}", ScalableDimension="dynamodb:table:ReadCapacityUnits", MinCapacity=1, MaxCapacity=2
        )
    first = autoscaling_client.describe_scalable_targets(ServiceNamespace="dynamodb", MaxResults=2)
    second = autoscaling_client.describe_scalable_targets(ServiceNamespace="dynamodb", MaxResults=2, NextToken=first["NextToken"])
    assert [t["ResourceId"] for t in first["ScalableTargets"]] == ["table/orders-0", "table/orders-1"]
    assert [t["ResourceId"] for t in second["ScalableTargets"]] == ["table/orders-2"] and "NextToken" not in second
    assert "NextToken" not in autoscaling_client.describe_scalable_targets(ServiceNamespace="dynamodb", MaxResults=3)


def test_listing_targets_filters_by_resource_and_dimension(autoscaling_client, sagemaker_client, component):
    # Given a component's target and its endpoint variant's
    register(autoscaling_client)
    register(autoscaling_client, resource_id=f"endpoint/pool/variant/{VARIANT}", dimension=INSTANCES, minimum=1)

    def listed(**filters) -> list[str]:
        return [t["ResourceId"] for t in autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker", **filters)["ScalableTargets"]]

    # Then
    assert listed(ResourceIds=["inference-component/blockgen"]) == ["inference-component/blockgen"]
    assert listed(ScalableDimension=INSTANCES) == [f"endpoint/pool/variant/{VARIANT}"]


def test_other_namespaces_keep_their_policies_configuration(autoscaling_client):
    # Given a DynamoDB table's target
    autoscaling_client.register_scalable_target(ServiceNamespace="dynamodb", ResourceId="table/orders", ScalableDimension="dynamodb:table:ReadCapacityUnits", MinCapacity=1, MaxCapacity=10)
    # When
    autoscaling_client.put_scaling_policy(
        PolicyName="reads", ServiceNamespace="dynamodb", ResourceId="table/orders", ScalableDimension="dynamodb:table:ReadCapacityUnits",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={"TargetValue": 70.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"}},
    )
    # Then
    (policy,) = autoscaling_client.describe_scaling_policies(ServiceNamespace="dynamodb")["ScalingPolicies"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0


def test_an_inference_component_pools_instances_follow_managed_scaling_not_its_registered_range(autoscaling_client, sagemaker_client, component):
    # When the pool's variant is registered from 2 instances
    register(autoscaling_client, resource_id=f"endpoint/pool/variant/{VARIANT}", dimension=INSTANCES, minimum=2, maximum=2)
    # Then its one instance stays: managed instance scaling, not the target, sizes it
    assert sagemaker_client.describe_endpoint(EndpointName="pool")["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert activities(autoscaling_client) == []


# Scheduled actions and step policies (issue 11 point 5)


def schedule(autoscaling, expression: str = "cron(0 8 ? * MON-FRI *)", timezone: str = "Europe/Berlin", name: str = "business-hours",
             resource_id: str = "inference-component/blockgen", **capacities):
    return autoscaling.put_scheduled_action(
        ServiceNamespace="sagemaker", ScheduledActionName=name, ResourceId=resource_id, ScalableDimension=COPIES,
        Schedule=expression, Timezone=timezone, ScalableTargetAction=capacities or {"MinCapacity": 2},
    )


def step_policy(autoscaling, steps: list[dict]):
    return autoscaling.put_scaling_policy(
        PolicyName="steps", ServiceNamespace="sagemaker", ResourceId="inference-component/blockgen", ScalableDimension=COPIES,
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity", "Cooldown": 300, "StepAdjustments": steps},
    )


def test_a_scheduled_action_on_a_registered_target_is_listed_with_its_time_zone(autoscaling_client, component):
    register(autoscaling_client)

    schedule(autoscaling_client, MinCapacity=2, MaxCapacity=4)

    (action,) = autoscaling_client.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"]
    assert (action["ScheduledActionName"], action["Schedule"], action["Timezone"], action["ScalableTargetAction"]) == (
        "business-hours", "cron(0 8 ? * MON-FRI *)", "Europe/Berlin", {"MinCapacity": 2, "MaxCapacity": 4})


def test_a_scheduled_action_without_a_registered_target_raises_object_not_found(autoscaling_client, component):
    code, message = error_of(lambda: schedule(autoscaling_client))

    assert code == "ObjectNotFoundException" and "resource ID: inference-component/blockgen" in message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"expression": "cron(0 8 * * MON-FRI)"}, "a cron expression has 6 fields"),
        ({"expression": "every morning"}, "a schedule is cron(...), rate(...) or at(...)"),
        ({"timezone": "Europe/Munich"}, "Invalid timezone 'Europe/Munich'"),
        ({"MinCapacity": 5, "MaxCapacity": 2}, "Minimum capacity 5 cannot be greater than maximum capacity 2"),
        ({"name": "nine/five"}, "at 'scheduledActionName' failed to satisfy constraint"),
    ],
    ids=["cron-fields", "not-a-schedule", "time-zone", "min-above-max", "name"],
)
def test_a_scheduled_action_the_service_cannot_read_raises_validation_error(autoscaling_client, component, changes, expected):
    register(autoscaling_client)

    code, message = error_of(lambda: schedule(autoscaling_client, **changes))

    assert code == "ValidationException" and expected in message


def test_deregistering_a_target_deletes_its_scheduled_actions(autoscaling_client, component):
    register(autoscaling_client)
    schedule(autoscaling_client)

    autoscaling_client.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId="inference-component/blockgen", ScalableDimension=COPIES)

    assert autoscaling_client.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"] == []


def test_contiguous_step_adjustments_are_accepted(autoscaling_client, component):
    register(autoscaling_client)

    step_policy(autoscaling_client, [{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
                                     {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2}])

    (policy,) = autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert len(policy["StepScalingPolicyConfiguration"]["StepAdjustments"]) == 2


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1}, {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2}],
         "steps leave a gap between 10 and 20"),
        ([{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 30, "ScalingAdjustment": 1}, {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2}],
         "steps overlap"),
        ([{"ScalingAdjustment": 1}], "step 1 has neither a lower nor an upper bound"),
    ],
    ids=["gap", "overlap", "unbounded"],
)
def test_step_adjustments_breaking_the_rules_raise_validation_error(autoscaling_client, component, steps, expected):
    register(autoscaling_client)

    code, message = error_of(lambda: step_policy(autoscaling_client, steps))

    assert code == "ValidationException" and expected in message

