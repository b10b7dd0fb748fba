"""Application Auto Scaling for SageMaker in loadmaster.testing: inference-component targets and their metrics."""

from __future__ import annotations

import pytest
from ic_givens import VARIANT, create_component, error_of

COPIES = "sagemaker:inference-component:DesiredCopyCount"
INSTANCES = "sagemaker:variant:DesiredInstanceCount"
SAGEMAKER_METRICS = [
    ("SageMakerVariantInvocationsPerInstance", INSTANCES),
    ("SageMakerVariantProvisionedConcurrencyUtilization", "sagemaker:variant:DesiredProvisionedConcurrency"),
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
    # Given a target of the metric's dimension
    resource_id = "inference-component/blockgen" if dimension == COPIES else f"endpoint/pool/variant/{VARIANT}"
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


def test_listing_more_than_two_pages_of_targets_returns_each_target_once(autoscaling_client):
    # Given 120 targets: three pages of DescribeScalableTargets' 50
    for index in range(120):
        autoscaling_client.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=f"service/fleet/worker-{index:03d}", ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2
        )
    # When
    pages = autoscaling_client.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="ecs")
    listed = [target["ResourceId"] for page in pages for target in page["ScalableTargets"]]
    # Then
    assert listed == [f"service/fleet/worker-{index:03d}" for index in range(120)]
