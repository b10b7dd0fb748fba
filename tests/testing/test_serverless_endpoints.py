"""Serverless endpoints in loadmaster.testing: what SageMaker validates of a ServerlessConfig, provisioned concurrency
scaled by Application Auto Scaling, and the smaller payload a serverless endpoint takes."""

from __future__ import annotations

import json

import boto3
import pytest

from ic_givens import IMAGE, ROLE, create_serverless_config, create_serverless_endpoint, error_of, serverless_variant

MAX_CONCURRENCY = 20
RESOURCE_ID = "endpoint/tagger/variant/AllTraffic"
PROVISIONED = "sagemaker:variant:DesiredProvisionedConcurrency"


def create_config(sagemaker_client, **config):
    create_serverless_config(sagemaker_client, "tagger", max_concurrency=MAX_CONCURRENCY, **config)


def create_endpoint(sagemaker_client, **config):
    create_serverless_endpoint(sagemaker_client, "tagger", max_concurrency=MAX_CONCURRENCY, **config)


def serverless_config(sagemaker_client):
    return sagemaker_client.describe_endpoint(EndpointName="tagger")["ProductionVariants"][0]["CurrentServerlessConfig"]


def test_a_serverless_endpoint_shows_its_config_as_current_and_desired(sagemaker_client):
    create_endpoint(sagemaker_client, ProvisionedConcurrency=4)

    variant = sagemaker_client.describe_endpoint(EndpointName="tagger")["ProductionVariants"][0]

    expected = {"MemorySizeInMB": 2048, "MaxConcurrency": MAX_CONCURRENCY, "ProvisionedConcurrency": 4}
    assert (variant["CurrentServerlessConfig"], variant["DesiredServerlessConfig"]) == (expected, expected)


@pytest.mark.parametrize(
    "config, where, constraint",
    [
        ({"MaxConcurrency": 201}, "serverlessConfig.maxConcurrency", "Member must have value less than or equal to 200"),
        ({"MaxConcurrency": 200, "ProvisionedConcurrency": 201}, "serverlessConfig.provisionedConcurrency", "Member must have value less than or equal to 200"),
    ],
)
def test_concurrency_above_what_sagemaker_allows_raises_validation_error(sagemaker_client, config, where, constraint):
    code, message = error_of(lambda: create_serverless_config(sagemaker_client, "tagger", **config))

    assert code == "ValidationException"
    assert f"at '{where}' failed to satisfy constraint: {constraint}" in message


def test_provisioned_concurrency_above_max_concurrency_raises_validation_error(sagemaker_client):
    code, message = error_of(lambda: create_config(sagemaker_client, ProvisionedConcurrency=MAX_CONCURRENCY + 1))

    assert (code, message) == ("ValidationException", f"ProvisionedConcurrency (21) must be less than or equal to MaxConcurrency ({MAX_CONCURRENCY}).")


def test_a_memory_size_between_the_1_gb_steps_is_still_refused_as_moto_refuses_it(sagemaker_client):
    code, message = error_of(lambda: create_config(sagemaker_client, memory_mb=1536))

    assert code == "ValidationException" and "MemorySizeInMB" in message and "[1024, 2048, 3072, 4096, 5120, 6144]" in message


def test_provisioned_concurrency_registered_for_autoscaling_is_moved_into_its_range(sagemaker_client, autoscaling_client):
    create_endpoint(sagemaker_client, ProvisionedConcurrency=1)

    autoscaling_client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=PROVISIONED, MinCapacity=3, MaxCapacity=10)

    assert serverless_config(sagemaker_client)["ProvisionedConcurrency"] == 3
    (activity,) = autoscaling_client.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID)["ScalingActivities"]
    assert activity["StatusCode"] == "Successful"
    config = sagemaker_client.describe_endpoint_config(EndpointConfigName="tagger-config")["ProductionVariants"][0]["ServerlessConfig"]
    assert config["ProvisionedConcurrency"] == 1  # the endpoint config keeps what it was created with


def test_a_target_range_beyond_max_concurrency_fails_to_scale_there(sagemaker_client, autoscaling_client):
    create_endpoint(sagemaker_client, ProvisionedConcurrency=1)

    autoscaling_client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=PROVISIONED, MinCapacity=25, MaxCapacity=30)

    (activity,) = autoscaling_client.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID)["ScalingActivities"]
    assert activity["StatusCode"] == "Failed" and "must be less than or equal to MaxConcurrency (20)" in activity["StatusMessage"]
    assert serverless_config(sagemaker_client)["ProvisionedConcurrency"] == 1


def test_an_endpoint_without_provisioned_concurrency_cannot_register_it_for_autoscaling(sagemaker_client, autoscaling_client):
    create_endpoint(sagemaker_client)

    code, message = error_of(
        lambda: autoscaling_client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=PROVISIONED, MinCapacity=1, MaxCapacity=5)
    )

    assert code == "ValidationException" and "no provisioned concurrency" in message


def test_updating_weights_and_capacities_sets_a_serverless_variants_concurrency(sagemaker_client):
    create_endpoint(sagemaker_client, ProvisionedConcurrency=2)

    sagemaker_client.update_endpoint_weights_and_capacities(
        EndpointName="tagger", DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "ServerlessUpdateConfig": {"ProvisionedConcurrency": 6}}]
    )

    assert serverless_config(sagemaker_client) == {"MemorySizeInMB": 2048, "MaxConcurrency": MAX_CONCURRENCY, "ProvisionedConcurrency": 6}
    assert "DesiredInstanceCount" not in sagemaker_client.describe_endpoint(EndpointName="tagger")["ProductionVariants"][0]


def test_an_update_above_max_concurrency_raises_validation_error_and_changes_nothing(sagemaker_client):
    create_endpoint(sagemaker_client, ProvisionedConcurrency=2)

    code, _ = error_of(
        lambda: sagemaker_client.update_endpoint_weights_and_capacities(
            EndpointName="tagger", DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "ServerlessUpdateConfig": {"ProvisionedConcurrency": 21}}]
        )
    )

    assert code == "ValidationException"
    assert serverless_config(sagemaker_client)["ProvisionedConcurrency"] == 2


@pytest.fixture
def runtime_client(mocked_sagemaker, aws_region):
    return boto3.client("sagemaker-runtime", region_name=aws_region)


def test_a_serverless_endpoint_takes_payloads_up_to_4_mb(sagemaker_client, runtime_client):
    create_endpoint(sagemaker_client)

    runtime_client.invoke_endpoint(EndpointName="tagger", Body=b"x" * 4 * 1024 * 1024)
    code, message = error_of(lambda: runtime_client.invoke_endpoint(EndpointName="tagger", Body=b"x" * (4 * 1024 * 1024 + 1)))

    assert code == "ValidationError" and "exceeds the 4 MB a serverless endpoint accepts" in message


def serverless_template(memory_mb: int) -> dict:
    """A serverless endpoint with provisioned concurrency 2, scaled between 3 and 10 on its utilization."""
    return {
        "Resources": {
            "Model": {"Type": "AWS::SageMaker::Model", "Properties": {"ModelName": "tagger", "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": IMAGE}}},
            "Config": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "Properties": {"ProductionVariants": [serverless_variant({"Fn::GetAtt": ["Model", "ModelName"]}, memory_mb=memory_mb, ProvisionedConcurrency=2)]},
            },
            "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointName": "tagger", "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}}},
            "Target": {
                "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                "DependsOn": ["Endpoint"],
                "Properties": {"ServiceNamespace": "sagemaker", "ResourceId": RESOURCE_ID, "ScalableDimension": PROVISIONED, "MinCapacity": 3, "MaxCapacity": 10},
            },
            "Policy": {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyName": "provisioned-concurrency",
                    "PolicyType": "TargetTrackingScaling",
                    "ScalingTargetId": {"Ref": "Target"},
                    "TargetTrackingScalingPolicyConfiguration": {
                        "TargetValue": 0.7,
                        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"},
                    },
                },
            },
        }
    }


def test_a_serverless_stack_is_created_updated_and_deleted_with_its_provisioned_concurrency_scaled(sagemaker_client, autoscaling_client, cloudformation_client):
    # Given a stack deployed with 2 GB
    cloudformation_client.create_stack(StackName="serverless", TemplateBody=json.dumps(serverless_template(2048)))
    assert serverless_config(sagemaker_client) == {"MemorySizeInMB": 2048, "MaxConcurrency": 20, "ProvisionedConcurrency": 3}  # moved to the target's minimum
    # When its memory size changes
    cloudformation_client.update_stack(StackName="serverless", TemplateBody=json.dumps(serverless_template(4096)))
    # Then the endpoint moves to the new config in place, and its target stays
    assert serverless_config(sagemaker_client)["MemorySizeInMB"] == 4096
    targets = autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[RESOURCE_ID], ScalableDimension=PROVISIONED)["ScalableTargets"]
    assert [(target["MinCapacity"], target["MaxCapacity"]) for target in targets] == [(3, 10)]
    # When the stack is deleted, nothing is left
    cloudformation_client.delete_stack(StackName="serverless")
    assert sagemaker_client.list_endpoints()["Endpoints"] == []
    assert autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
