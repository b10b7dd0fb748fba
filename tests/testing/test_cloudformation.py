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


def role_with_managed_policy(action: str = "s3:GetObject") -> dict:
    """A role with a managed policy, as CDK writes when a role's statements outgrow its inline policy."""
    return {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
            "Overflow": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}},
            },
        }
    }


def test_deleting_a_stack_detaches_and_deletes_its_managed_policies_before_the_role(cloudformation_client, aws_region):
    # Given
    deploy(cloudformation_client, role_with_managed_policy())
    # When
    cloudformation_client.delete_stack(StackName="pool")
    # Then
    iam = boto3.client("iam", region_name=aws_region)
    assert iam.list_roles()["Roles"] == [] and iam.list_policies(Scope="Local")["Policies"] == []


def test_changing_a_managed_policy_replaces_it_on_its_role(cloudformation_client, aws_region):
    # Given
    deploy(cloudformation_client, role_with_managed_policy("s3:GetObject"))
    # When
    deploy(cloudformation_client, role_with_managed_policy("s3:PutObject"), update=True)
    # Then the role has one managed policy, the new one, and the old one is gone
    iam = boto3.client("iam", region_name=aws_region)
    (policy,) = iam.list_policies(Scope="Local")["Policies"]
    (role,) = iam.list_roles()["Roles"]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]] == [policy["Arn"]]
    document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert [statement["Action"] for statement in document["Statement"]] == ["s3:PutObject"]


def test_describing_a_deleted_stack_with_exports_does_not_bring_its_resources_back(cloudformation_client, sagemaker_client):
    # Given a stack that exports its endpoint's name, deleted
    body = template()
    body["Outputs"] = {"Endpoint": {"Value": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}, "Export": {"Name": "pool-endpoint"}}}
    deploy(cloudformation_client, body)
    stack_id = cloudformation_client.describe_stacks(StackName="pool")["Stacks"][0]["StackId"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cloudformation_client.describe_stack_resources(StackName=stack_id)["StackResources"]}
    cloudformation_client.delete_stack(StackName=stack_id)
    # When
    status = cloudformation_client.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    # Then
    assert status == "DELETE_COMPLETE"
    assert sagemaker_client.list_endpoints()["Endpoints"] == []
    # And the deleted stack still tells which physical resources it had, each deleted
    resources = cloudformation_client.describe_stack_resources(StackName=stack_id)["StackResources"]
    assert {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources} == physical
    assert {r["ResourceStatus"] for r in resources} == {"DELETE_COMPLETE"}


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


def stack_outputs(cloudformation) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in cloudformation.describe_stacks(StackName="pool")["Stacks"][0]["Outputs"]}


def test_a_components_attributes_answer_get_att(cloudformation_client):
    # Given a stack whose outputs read the component's attributes
    body = template()
    body["Outputs"] = {
        name: {"Value": {"Fn::GetAtt": ["Component", name]}} for name in ("InferenceComponentArn", "InferenceComponentStatus", "EndpointArn")
    }
    # When
    deploy(cloudformation_client, body)
    # Then
    assert stack_outputs(cloudformation_client) == {
        "InferenceComponentArn": "arn:aws:sagemaker:us-east-1:123456789012:inference-component/blockgen",
        "InferenceComponentStatus": "InService",
        "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/pool",
    }


def test_a_component_attribute_it_does_not_have_fails_the_stack(cloudformation_client):
    body = template()
    body["Outputs"] = {"Copies": {"Value": {"Fn::GetAtt": ["Component", "CopyCount"]}}}
    with pytest.raises(ClientError, match="CopyCount"):
        deploy(cloudformation_client, body)


def test_a_component_from_a_template_has_its_tags_and_defaults_to_the_endpoints_variant(cloudformation_client, sagemaker_client):
    # Given a component without VariantName, tagged
    body = template()
    properties = body["Resources"]["Component"]["Properties"]
    del properties["VariantName"]
    properties["Tags"] = [{"Key": "team", "Value": "codegen"}]
    # When
    deploy(cloudformation_client, body)
    # Then
    component = sagemaker_client.describe_inference_component(InferenceComponentName="blockgen")
    assert component["VariantName"] == "AllTraffic"
    assert sagemaker_client.list_tags(ResourceArn=component["InferenceComponentArn"])["Tags"] == [{"Key": "team", "Value": "codegen"}]


def test_renaming_a_component_in_the_template_creates_the_new_one_and_deletes_the_old(cloudformation_client, sagemaker_client):
    # Given
    def hosting(name: str) -> dict:
        body = template()
        body["Resources"] = {key: body["Resources"][key] for key in ("Config", "Endpoint", "Component")}
        body["Resources"]["Component"]["Properties"]["InferenceComponentName"] = name
        return body

    deploy(cloudformation_client, hosting("blockgen"))
    renamed = hosting("blockgen-v2")
    # When
    deploy(cloudformation_client, renamed, update=True)
    # Then
    assert [c["InferenceComponentName"] for c in sagemaker_client.list_inference_components()["InferenceComponents"]] == ["blockgen-v2"]


def test_a_new_resource_id_moves_the_scalable_target(cloudformation_client, sagemaker_client, autoscaling_client):
    # Given a second component beside the stack, then the target moved to it
    deploy(cloudformation_client, template())
    sagemaker_client.create_inference_component(
        InferenceComponentName="flowgpt", EndpointName="pool", VariantName="AllTraffic", Specification=specification(), RuntimeConfig={"CopyCount": 1}
    )
    moved = template()
    moved["Resources"]["Target"]["Properties"]["ResourceId"] = "inference-component/flowgpt"
    moved["Resources"]["StepPolicy"]["Properties"]["PolicyName"] = "flowgpt-from-zero"  # its target is replaced: so is it
    # When
    deploy(cloudformation_client, moved, update=True)
    # Then
    targets = autoscaling_client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [t["ResourceId"] for t in targets] == ["inference-component/flowgpt"]


def test_an_endpoint_config_from_a_template_keeps_its_key_tags_and_capture(cloudformation_client, sagemaker_client):
    # Given
    key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 10, "DestinationS3Uri": "s3://capture/pool",
               "CaptureOptions": [{"CaptureMode": "Input"}]}
    body = template()
    body["Resources"]["Config"]["Properties"].update(
        {"EndpointConfigName": "pool-config", "KmsKeyId": key, "DataCaptureConfig": capture, "Tags": [{"Key": "team", "Value": "codegen"}]}
    )
    # When
    deploy(cloudformation_client, body)
    # Then
    config = sagemaker_client.describe_endpoint_config(EndpointConfigName="pool-config")
    assert (config["KmsKeyId"], config["ExecutionRoleArn"]) == (key, ROLE)
    assert config["DataCaptureConfig"]["DestinationS3Uri"] == "s3://capture/pool"
    assert sagemaker_client.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"] == [{"Key": "team", "Value": "codegen"}]


def test_an_endpoint_from_a_template_has_its_tags(cloudformation_client, sagemaker_client):
    body = template()
    body["Resources"]["Endpoint"]["Properties"]["Tags"] = [{"Key": "team", "Value": "codegen"}]
    deploy(cloudformation_client, body)
    arn = sagemaker_client.describe_endpoint(EndpointName="pool")["EndpointArn"]
    assert sagemaker_client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "codegen"}]


def alarm_template(**properties) -> dict:
    alarm = {
        "Namespace": "AWS/SageMaker",
        "MetricName": "NoCapacityInvocationFailures",
        "Period": 60,
        "EvaluationPeriods": 2,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        **properties,
    }
    return {
        "Resources": {"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": alarm}},
        "Outputs": {"Name": {"Value": {"Ref": "Alarm"}}, "Arn": {"Value": {"Fn::GetAtt": ["Alarm", "Arn"]}}},
    }


def test_an_alarm_from_a_template_has_every_property_it_gives(cloudformation_client, cloudwatch_client):
    # When
    deploy(cloudformation_client, alarm_template(
        AlarmName="blockgen-no-capacity", AlarmDescription="blockgen has no copy", Statistic="Sum", Unit="Count",
        Dimensions=[{"Name": "InferenceComponentName", "Value": "blockgen"}], DatapointsToAlarm=1, TreatMissingData="notBreaching",
        ActionsEnabled=False, AlarmActions=["arn:aws:sns:us-east-1:123456789012:alarm"], OKActions=["arn:aws:sns:us-east-1:123456789012:ok"],
        InsufficientDataActions=["arn:aws:sns:us-east-1:123456789012:data"],
    ))
    # Then
    (alarm,) = cloudwatch_client.describe_alarms()["MetricAlarms"]
    assert {key: alarm.get(key) for key in (
        "AlarmName", "AlarmDescription", "Namespace", "MetricName", "Statistic", "Unit", "Dimensions", "Period", "EvaluationPeriods",
        "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "ActionsEnabled", "AlarmActions", "OKActions", "InsufficientDataActions",
    )} == {
        "AlarmName": "blockgen-no-capacity", "AlarmDescription": "blockgen has no copy", "Namespace": "AWS/SageMaker",
        "MetricName": "NoCapacityInvocationFailures", "Statistic": "Sum", "Unit": "Count",
        "Dimensions": [{"Name": "InferenceComponentName", "Value": "blockgen"}], "Period": 60, "EvaluationPeriods": 2, "DatapointsToAlarm": 1,
        "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching", "ActionsEnabled": False,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:alarm"], "OKActions": ["arn:aws:sns:us-east-1:123456789012:ok"],
        "InsufficientDataActions": ["arn:aws:sns:us-east-1:123456789012:data"],
    }
    assert stack_outputs(cloudformation_client) == {"Name": "blockgen-no-capacity", "Arn": alarm["AlarmArn"]}


def test_an_alarm_from_a_template_without_actions_dimensions_or_tags_has_none(cloudformation_client, cloudwatch_client):
    deploy(cloudformation_client, alarm_template(Statistic="Sum"))
    (alarm,) = cloudwatch_client.describe_alarms()["MetricAlarms"]
    assert [alarm[key] for key in ("Dimensions", "AlarmActions", "OKActions", "InsufficientDataActions")] == [[], [], [], []]
    assert alarm["ActionsEnabled"] is True
    assert cloudwatch_client.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == []


def test_an_alarm_on_a_percentile_has_its_extended_statistic_and_tags(cloudformation_client, cloudwatch_client):
    deploy(cloudformation_client, alarm_template(ExtendedStatistic="p99", Tags=[{"Key": "team", "Value": "codegen"}]))
    (alarm,) = cloudwatch_client.describe_alarms()["MetricAlarms"]
    assert (alarm["ExtendedStatistic"], alarm["ActionsEnabled"]) == ("p99", True)
    assert cloudwatch_client.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "team", "Value": "codegen"}]


def test_an_alarm_on_metric_math_is_refused_as_not_modelled(cloudformation_client):
    body = alarm_template()
    del body["Resources"]["Alarm"]["Properties"]["MetricName"]
    body["Resources"]["Alarm"]["Properties"]["Metrics"] = [{"Id": "m1", "Expression": "SUM(METRICS())"}]
    with pytest.raises(NotImplementedError, match="Metrics"):
        deploy(cloudformation_client, body)


def test_changing_an_unnamed_alarms_threshold_updates_it_under_its_name(cloudformation_client, cloudwatch_client):
    # Given an alarm whose name CloudFormation generated
    deploy(cloudformation_client, alarm_template(Statistic="Sum"))
    (before,) = cloudwatch_client.describe_alarms()["MetricAlarms"]
    # When
    deploy(cloudformation_client, alarm_template(Statistic="Sum", Threshold=5), update=True)
    # Then
    (after,) = cloudwatch_client.describe_alarms()["MetricAlarms"]
    assert (after["AlarmName"], after["Threshold"]) == (before["AlarmName"], 5.0)


def test_renaming_an_alarm_replaces_it(cloudformation_client, cloudwatch_client):
    deploy(cloudformation_client, alarm_template(AlarmName="old", Statistic="Sum"))
    deploy(cloudformation_client, alarm_template(AlarmName="new", Statistic="Sum"), update=True)
    assert [a["AlarmName"] for a in cloudwatch_client.describe_alarms()["MetricAlarms"]] == ["new"]


def test_a_target_tracking_policy_from_a_template_on_the_targets_parts_creates_its_alarms(cloudformation_client, autoscaling_client, cloudwatch_client):
    # Given a target-tracking policy naming its target by namespace, resource id and dimension
    body = template()
    body["Resources"]["StepPolicy"]["Properties"] = {
        "PolicyName": "tracking", "PolicyType": "TargetTrackingScaling",
        "ServiceNamespace": "sagemaker", "ResourceId": "inference-component/blockgen", "ScalableDimension": COPIES,
        "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 4.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}},
    }
    body["Resources"]["StepPolicy"]["DependsOn"] = ["Target"]
    # When
    deploy(cloudformation_client, body)
    # Then
    (policy,) = autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert (policy["PolicyName"], policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]) == ("tracking", 4.0)
    names = {a["AlarmName"] for a in cloudwatch_client.describe_alarms()["MetricAlarms"]}
    assert {a["AlarmName"] for a in policy["Alarms"]} <= names and len(policy["Alarms"]) == 2


def test_renaming_a_scaling_policy_replaces_it(cloudformation_client, autoscaling_client):
    deploy(cloudformation_client, template())
    renamed = template()
    renamed["Resources"]["StepPolicy"]["Properties"]["PolicyName"] = "wake-up"
    deploy(cloudformation_client, renamed, update=True)
    policies = autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == ["wake-up"]


def test_changing_a_scaling_policys_steps_updates_it_under_its_name(cloudformation_client, autoscaling_client, cloudwatch_client):
    deploy(cloudformation_client, template())
    changed = template()
    changed["Resources"]["StepPolicy"]["Properties"]["StepScalingPolicyConfiguration"]["StepAdjustments"][0]["ScalingAdjustment"] = 2
    deploy(cloudformation_client, changed, update=True)
    (after,) = autoscaling_client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert after["PolicyName"] == "scale-from-zero"
    # And the alarm that refers to it acts on it as it is now
    assert [a["AlarmActions"] for a in cloudwatch_client.describe_alarms()["MetricAlarms"]] == [[after["PolicyARN"]]]
    assert after["StepScalingPolicyConfiguration"]["StepAdjustments"][0]["ScalingAdjustment"] == 2


def test_a_retained_resource_survives_its_stacks_deletion(cloudformation_client, cloudwatch_client):
    body = alarm_template(AlarmName="kept", Statistic="Sum")
    body["Resources"]["Alarm"]["DeletionPolicy"] = "Retain"
    deploy(cloudformation_client, body)
    cloudformation_client.delete_stack(StackName="pool")
    assert [a["AlarmName"] for a in cloudwatch_client.describe_alarms()["MetricAlarms"]] == ["kept"]


def test_updating_a_component_the_template_does_not_name_keeps_its_name(cloudformation_client, sagemaker_client):
    # Given a component whose name CloudFormation generated
    def hosting(copies: int) -> dict:
        body = template(copies=copies)
        body["Resources"] = {key: body["Resources"][key] for key in ("Config", "Endpoint", "Component")}
        del body["Resources"]["Component"]["Properties"]["InferenceComponentName"]
        return body

    deploy(cloudformation_client, hosting(copies=1))
    (before,) = sagemaker_client.list_inference_components()["InferenceComponents"]
    # When
    deploy(cloudformation_client, hosting(copies=2), update=True)
    # Then
    (after,) = sagemaker_client.list_inference_components()["InferenceComponents"]
    assert after["InferenceComponentName"] == before["InferenceComponentName"]
    assert sagemaker_client.describe_inference_component(InferenceComponentName=after["InferenceComponentName"])["RuntimeConfig"]["CurrentCopyCount"] == 2


def test_a_component_without_a_runtime_config_fails_the_stack_with_sagemakers_message(cloudformation_client):
    body = template()
    del body["Resources"]["Component"]["Properties"]["RuntimeConfig"]
    with pytest.raises(ClientError, match="Inference components copy count an integer larger than 0"):
        deploy(cloudformation_client, body)


def with_scheduled_actions(*actions: dict) -> dict:
    body = template()
    body["Resources"]["Target"]["Properties"]["ScheduledActions"] = list(actions)
    return body


BUSINESS_HOURS = {"ScheduledActionName": "business-hours", "Schedule": "cron(0 8 ? * MON-FRI *)", "Timezone": "Europe/Berlin", "ScalableTargetAction": {"MinCapacity": 2}}
NIGHTS = {"ScheduledActionName": "nights", "Schedule": "cron(0 20 ? * MON-FRI *)", "Timezone": "Europe/Berlin", "ScalableTargetAction": {"MinCapacity": 0, "MaxCapacity": 1}}


def scheduled(autoscaling) -> list[tuple[str, str, dict]]:
    actions = autoscaling.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"]
    return [(action["ScheduledActionName"], action["Schedule"], action["ScalableTargetAction"]) for action in actions]


def test_a_targets_scheduled_actions_are_created_changed_and_deleted_with_the_stack(cloudformation_client, autoscaling_client):
    # Given a target with two windows
    deploy(cloudformation_client, with_scheduled_actions(BUSINESS_HOURS, NIGHTS))
    assert scheduled(autoscaling_client) == [("business-hours", "cron(0 8 ? * MON-FRI *)", {"MinCapacity": 2}),
                                             ("nights", "cron(0 20 ? * MON-FRI *)", {"MinCapacity": 0, "MaxCapacity": 1})]
    # When an update drops one and changes the other
    deploy(cloudformation_client, with_scheduled_actions(BUSINESS_HOURS | {"Schedule": "cron(0 7 ? * MON-FRI *)"}), update=True)
    # Then
    assert scheduled(autoscaling_client) == [("business-hours", "cron(0 7 ? * MON-FRI *)", {"MinCapacity": 2})]
    # And deleting the stack deletes the target's actions with it
    cloudformation_client.delete_stack(StackName="pool")
    assert scheduled(autoscaling_client) == []


def test_a_scheduled_action_the_service_cannot_read_fails_the_stack_with_the_reason(cloudformation_client):
    with pytest.raises(ClientError, match="a cron expression has 6 fields"):
        deploy(cloudformation_client, with_scheduled_actions(BUSINESS_HOURS | {"Schedule": "cron(0 8 * * MON-FRI)"}))


def test_step_adjustments_with_a_gap_fail_the_stack_with_the_reason(cloudformation_client):
    body = template()
    body["Resources"]["StepPolicy"]["Properties"]["StepScalingPolicyConfiguration"]["StepAdjustments"] = [
        {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 1, "ScalingAdjustment": 1}, {"MetricIntervalLowerBound": 2, "ScalingAdjustment": 2}]

    with pytest.raises(ClientError, match="steps leave a gap between 1 and 2"):
        deploy(cloudformation_client, body)
