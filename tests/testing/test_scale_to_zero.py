"""AWS's documented scale-to-zero sequence for inference components runs in loadmaster.testing as written.

The steps of the SageMaker developer guide, "endpoint-auto-scaling-zero-instances", and of the AWS ML blog "Unlock
cost savings with the new scale down to zero feature in SageMaker Inference" that follows them.
"""

from __future__ import annotations

import boto3
import pytest
from ic_givens import ROLE, VARIANT, error_of, specification

from loadmaster.testing.sagemakerruntime.models import NO_CAPACITY

COPIES = "sagemaker:inference-component:DesiredCopyCount"
RESOURCE_ID = "inference-component/blockgen"


@pytest.fixture
def runtime_client(mocked_sagemaker, aws_region):
    return boto3.client("sagemaker-runtime", region_name=aws_region)


@pytest.fixture
def scalable_to_zero(sagemaker_client, autoscaling_client, cloudwatch_client) -> str:
    """The guide's steps: an endpoint that may have no instance, a component, its target from 0 copies, target
    tracking, and the step policy with its alarm on NoCapacityInvocationFailures that brings the first copy back."""
    sagemaker_client.create_endpoint_config(
        EndpointConfigName="pool-config",
        ExecutionRoleArn=ROLE,
        ProductionVariants=[
            {
                "VariantName": VARIANT,
                "InstanceType": "ml.g5.12xlarge",
                "InitialInstanceCount": 1,
                "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2},
                "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
            }
        ],
    )
    sagemaker_client.create_endpoint(EndpointName="pool", EndpointConfigName="pool-config")
    sagemaker_client.create_inference_component(
        InferenceComponentName="blockgen", EndpointName="pool", VariantName=VARIANT, Specification=specification(), RuntimeConfig={"CopyCount": 1}
    )
    autoscaling_client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=COPIES, MinCapacity=0, MaxCapacity=4)
    autoscaling_client.put_scaling_policy(
        PolicyName="tracking",
        ServiceNamespace="sagemaker",
        ResourceId=RESOURCE_ID,
        ScalableDimension=COPIES,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"},
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 300,
        },
    )
    step = autoscaling_client.put_scaling_policy(
        PolicyName="from-zero",
        ServiceNamespace="sagemaker",
        ResourceId=RESOURCE_ID,
        ScalableDimension=COPIES,
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Maximum",
            "Cooldown": 60,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    )
    cloudwatch_client.put_metric_alarm(
        AlarmName="blockgen-from-zero",
        AlarmActions=[step["PolicyARN"]],
        MetricName="NoCapacityInvocationFailures",
        Namespace="AWS/SageMaker",
        Statistic="Maximum",
        Dimensions=[{"Name": "InferenceComponentName", "Value": "blockgen"}],
        Period=30,
        EvaluationPeriods=1,
        DatapointsToAlarm=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="missing",
    )
    return "blockgen"


def test_a_component_can_be_taken_to_zero_copies(sagemaker_client, scalable_to_zero):
    # When
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 0})
    # Then
    runtime = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")["RuntimeConfig"]
    assert (runtime["DesiredCopyCount"], runtime["CurrentCopyCount"]) == (0, 0)


def test_the_endpoint_releases_its_instances_once_every_component_is_at_zero(sagemaker_client, scalable_to_zero):
    # Given a second component on the endpoint
    sagemaker_client.create_inference_component(
        InferenceComponentName="flowgpt", EndpointName="pool", VariantName=VARIANT, Specification=specification(), RuntimeConfig={"CopyCount": 1}
    )

    def instances() -> int:
        return sagemaker_client.describe_endpoint(EndpointName="pool")["ProductionVariants"][0]["CurrentInstanceCount"]

    # When one component is at zero, the other keeps an instance
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 0})
    assert instances() == 1
    # When both are
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="flowgpt", DesiredRuntimeConfig={"CopyCount": 0})
    assert instances() == 0


def test_invoking_a_component_without_a_copy_fails_for_lack_of_capacity(sagemaker_client, runtime_client, scalable_to_zero):
    # Given
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 0})
    # When / Then
    invoke = lambda: runtime_client.invoke_endpoint(EndpointName="pool", InferenceComponentName="blockgen", Body=b"{}")  # noqa: E731
    assert error_of(invoke) == ("ValidationError", NO_CAPACITY)


def test_invoking_a_component_with_a_copy_is_answered(runtime_client, scalable_to_zero):
    response = runtime_client.invoke_endpoint(EndpointName="pool", InferenceComponentName="blockgen", Body=b"{}")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_invoking_an_unknown_component_fails(runtime_client, scalable_to_zero):
    code, message = error_of(lambda: runtime_client.invoke_endpoint(EndpointName="pool", InferenceComponentName="missing", Body=b"{}"))
    assert code == "ValidationError" and "missing" in message


def test_invoking_an_unknown_endpoint_fails(runtime_client):
    assert error_of(lambda: runtime_client.invoke_endpoint(EndpointName="missing", Body=b"{}")) == (
        "ValidationError",
        "Endpoint missing of account 123456789012 not found.",
    )


def test_creating_a_component_with_zero_copies_is_still_refused(sagemaker_client, scalable_to_zero):
    code, _ = error_of(
        lambda: sagemaker_client.create_inference_component(
            InferenceComponentName="cold", EndpointName="pool", VariantName=VARIANT, Specification=specification(), RuntimeConfig={"CopyCount": 0}
        )
    )
    assert code == "ValidationException"


def test_invoking_an_endpoint_without_naming_a_component_is_answered(runtime_client, scalable_to_zero):
    response = runtime_client.invoke_endpoint(EndpointName="pool", Body=b"{}")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_invoking_a_component_on_another_endpoint_fails(sagemaker_client, runtime_client, scalable_to_zero):
    # Given a second endpoint, without blockgen
    sagemaker_client.create_endpoint(EndpointName="other", EndpointConfigName="pool-config")
    # When / Then
    assert error_of(lambda: runtime_client.invoke_endpoint(EndpointName="other", InferenceComponentName="blockgen", Body=b"{}")) == (
        "ValidationError",
        "Inference Component blockgen not found on endpoint other.",
    )


def test_an_adapter_serves_while_its_base_has_a_copy_and_not_after(sagemaker_client, runtime_client, scalable_to_zero):
    # Given an adapter on blockgen
    sagemaker_client.create_inference_component(
        InferenceComponentName="apex", EndpointName="pool", VariantName=VARIANT,
        Specification={"BaseInferenceComponentName": "blockgen", "Container": {"ArtifactUrl": "s3://models/adapter.tar.gz"}},
    )
    invoke = lambda: runtime_client.invoke_endpoint(EndpointName="pool", InferenceComponentName="apex", Body=b"{}")  # noqa: E731
    # When / Then
    assert invoke()["ResponseMetadata"]["HTTPStatusCode"] == 200
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 0})
    assert error_of(invoke) == ("ValidationError", NO_CAPACITY)
