"""moto's CloudFormation with loadmaster.testing: inference components, scaling and alarms created, updated, deleted."""

from __future__ import annotations

import copy
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from ic_givens import IMAGE, ROLE, pool_variant, specification

COPIES = "sagemaker:inference-component:DesiredCopyCount"


def template(copies: int = 1, image: str = IMAGE, component_names_endpoint_by_reference: bool = True) -> dict:
    endpoint_name = {"Fn::GetAtt": ["Endpoint", "EndpointName"]} if component_names_endpoint_by_reference else "pool"
    return {
        "Resources": {
            "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ExecutionRoleArn": ROLE, "ProductionVariants": [pool_variant(max_instances=2)]}},
            "Endpoint": {
                "Type": "AWS::SageMaker::Endpoint",
                "Properties": {"EndpointName": "pool", "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}},
            },
            "Component": {
                "Type": "AWS::SageMaker::InferenceComponent",
                "Properties": {
                    "InferenceComponentName": "blockgen",
                    "EndpointName": endpoint_name,
                    "VariantName": "AllTraffic",
                    "Specification": specification(image=image),
                    "RuntimeConfig": {"CopyCount": copies},
                },
            },
            "Target": {
                "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                "DependsOn": ["Component"],
                "Properties": {"ServiceNamespace": "sagemaker", "ResourceId": "inference-component/blockgen", "ScalableDimension": COPIES, "MinCapacity": 0, "MaxCapacity": 4},
            },
            "StepPolicy": {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyName": "scale-from-zero",
                    "PolicyType": "StepScaling",
                    "ScalingTargetId": {"Ref": "Target"},
                    "StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]},
                },
            },
            "NoCapacityAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Namespace": "AWS/SageMaker",
                    "MetricName": "NoCapacityInvocationFailures",
                    "Dimensions": [{"Name": "InferenceComponentName", "Value": "blockgen"}],
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "AlarmActions": [{"Ref": "StepPolicy"}],
                },
            },
        }
    }


def deploy(cloudformation, body: dict, update: bool = False) -> None:
    action = cloudformation.update_stack if update else cloudformation.create_stack
    action(StackName="pool", TemplateBody=json.dumps(body))


def test_creating_a_stack_creates_the_component_with_its_copies_placed(cloudformation_client, sagemaker_client):
    # When
    deploy(cloudformation_client, template(copies=2))
    # Then
    component = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")
    assert component["EndpointName"] == "pool"
    assert component["RuntimeConfig"]["CurrentCopyCount"] == 2


def test_a_component_resource_refs_to_its_arn(cloudformation_client):
    deploy(cloudformation_client, template())
    resources = cloudformation_client.list_stack_resources(StackName="pool")["StackResourceSummaries"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    assert physical["Component"] == "arn:aws:sagemaker:us-east-1:123456789012:inference-component/blockgen"
    assert physical["Target"] == f"inference-component/blockgen|{COPIES}|sagemaker"


def test_creating_a_stack_registers_the_target_its_policy_and_the_alarm_acting_on_it(cloudformation_client, autoscaling_client, cloudwatch_client):
    # When
    deploy(cloudformation_client, template())
    # Then
    targets = autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    policies = autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    alarms = cloudwatch_client.describe_alarms()["MetricAlarms"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [("inference-component/blockgen", 0, 4)]
    assert [(p["PolicyName"], p["PolicyType"]) for p in policies] == [("scale-from-zero", "StepScaling")]
    assert [a["AlarmActions"] for a in alarms] == [[policies[0]["PolicyARN"]]]


def test_updating_a_stack_updates_the_component_in_place(cloudformation_client, sagemaker_client):
    # Given
    deploy(cloudformation_client, template(copies=1))
    created = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")
    # When
    deploy(cloudformation_client, template(copies=3, image=f"{IMAGE}-v2"), update=True)
    # Then
    updated = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")
    assert updated["CreationTime"] == created["CreationTime"]
    assert updated["RuntimeConfig"]["CurrentCopyCount"] == 3
    assert updated["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == f"{IMAGE}-v2"


def test_updating_a_stack_beyond_the_pools_capacity_fails_with_sagemakers_message(cloudformation_client):
    # Given a pool of at most 2 instances of 4 GPUs
    deploy(cloudformation_client, template(copies=1))
    # When / Then
    with pytest.raises(ClientError, match="not enough hardware resources"):
        deploy(cloudformation_client, template(copies=9), update=True)


def test_updating_the_scaling_bounds_updates_the_target(cloudformation_client, autoscaling_client):
    # Given
    deploy(cloudformation_client, template())
    changed = template()
    changed["Resources"]["Target"]["Properties"]["MaxCapacity"] = 8
    # When
    deploy(cloudformation_client, changed, update=True)
    # Then
    targets = autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [t["MaxCapacity"] for t in targets] == [8]


def test_deleting_a_stack_deletes_everything_in_dependency_order(cloudformation_client, sagemaker_client, autoscaling_client, cloudwatch_client):
    # Given
    deploy(cloudformation_client, template())
    # When
    cloudformation_client.delete_stack(StackName="pool")
    # Then
    assert sagemaker_client.list_inference_components()["InferenceComponents"] == []
    assert sagemaker_client.list_endpoints()["Endpoints"] == []
    assert autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    assert cloudwatch_client.describe_alarms()["MetricAlarms"] == []


def test_deleting_a_stack_whose_component_does_not_depend_on_its_endpoint_fails_like_cloudformation(cloudformation_client):
    # Given a component that names its endpoint as a plain string: nothing tells CloudFormation to delete it first
    deploy(cloudformation_client, template(component_names_endpoint_by_reference=False))
    # When / Then
    with pytest.raises(ClientError, match="Cannot delete endpoint with inference component associated"):
        cloudformation_client.delete_stack(StackName="pool")


def test_a_component_created_before_its_endpoint_fails_like_cloudformation(cloudformation_client):
    # Given the component first and no reference to the endpoint
    body = template(component_names_endpoint_by_reference=False)
    resources = body["Resources"]
    body["Resources"] = {"Component": resources.pop("Component"), **copy.deepcopy(resources)}
    # When / Then
    with pytest.raises(ClientError, match="Could not find endpoint"):
        deploy(cloudformation_client, body)


def test_deleting_a_stack_detaches_and_deletes_its_managed_policies_before_the_role(cloudformation_client, aws_region):
    # Given a role with a managed policy, as CDK writes when a role's statements outgrow its inline policy
    body = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
            "Overflow": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}},
            },
        }
    }
    deploy(cloudformation_client, body)
    # When
    cloudformation_client.delete_stack(StackName="pool")
    # Then
    iam = boto3.client("iam", region_name=aws_region)
    assert iam.list_roles()["Roles"] == [] and iam.list_policies(Scope="Local")["Policies"] == []


def test_describing_a_deleted_stack_with_exports_does_not_bring_its_resources_back(cloudformation_client, sagemaker_client):
    # Given a stack that exports its endpoint's name, deleted
    body = template()
    body["Outputs"] = {"Endpoint": {"Value": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}, "Export": {"Name": "pool-endpoint"}}}
    deploy(cloudformation_client, body)
    stack_id = cloudformation_client.describe_stacks(StackName="pool")["Stacks"][0]["StackId"]
    cloudformation_client.delete_stack(StackName=stack_id)
    # When
    status = cloudformation_client.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    # Then
    assert status == "DELETE_COMPLETE"
    assert sagemaker_client.list_endpoints()["Endpoints"] == []


def test_a_tagged_kms_key_is_created_with_its_tags_and_answers_get_att(cloudformation_client, aws_region):
    # Given a key tagged the way CloudFormation writes tags, and an output reading its ARN (as an endpoint config does)
    body = {
        "Resources": {
            "StorageKey": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]},
                    "EnableKeyRotation": True,
                    "Tags": [{"Key": "team", "Value": "payments-risk"}, {"Key": "cost-center", "Value": "4410"}],
                },
            }
        },
        "Outputs": {"KeyArn": {"Value": {"Fn::GetAtt": ["StorageKey", "Arn"]}}},
    }
    # When
    deploy(cloudformation_client, body)
    # Then the key exists with its tags, and the output resolved to its ARN
    (output,) = cloudformation_client.describe_stacks(StackName="pool")["Stacks"][0]["Outputs"]
    kms = boto3.client("kms", region_name=aws_region)
    tags = kms.list_resource_tags(KeyId=output["OutputValue"])["Tags"]
    assert sorted((tag["TagKey"], tag["TagValue"]) for tag in tags) == [("cost-center", "4410"), ("team", "payments-risk")]
    assert kms.get_key_rotation_status(KeyId=output["OutputValue"])["KeyRotationEnabled"] is True
