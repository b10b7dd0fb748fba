"""Every answer of every operation loadmaster.testing implements conforms to botocore's output shape: required
members present, enum values allowed, each member of its shape's type."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.model import Shape
from ic_givens import IMAGE, ROLE, VARIANT, create_component, create_pool, specification

TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (float, int),
    "double": (float, int),
    "boolean": (bool,),
    "timestamp": (datetime.datetime,),
    "blob": (bytes, bytearray),
}


def problems(shape: Shape | None, value: Any, path: str) -> list[str]:
    if shape is None:
        return []
    if value is None:
        return [f"{path} is null"]
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            return [f"{path} is {type(value).__name__}, not a structure"]
        found = [f"{path}.{name} is missing" for name in shape.required_members if name not in value]
        for name, member in shape.members.items():
            if name in value:
                found += problems(member, value[name], f"{path}.{name}")
        return found
    if shape.type_name == "list":
        return [p for index, item in enumerate(value) for p in problems(shape.member, item, f"{path}[{index}]")]
    if shape.type_name == "map":
        return [p for key, item in value.items() for p in problems(shape.value, item, f"{path}[{key}]")]
    if shape.type_name == "blob" and hasattr(value, "read"):
        return []  # a streaming body
    if not isinstance(value, TYPES[shape.type_name]) or shape.type_name != "boolean" and isinstance(value, bool):
        return [f"{path} is {type(value).__name__}, not {shape.type_name}"]
    if getattr(shape, "enum", None) and value not in shape.enum:
        return [f"{path} is {value!r}, not one of {shape.enum}"]
    return []


@pytest.fixture
def checked(sagemaker_client, autoscaling_client, cloudwatch_client, aws_region):
    """The clients, each answer checked against its operation's output shape. Yields (clients, found problems,
    operations called)."""
    import boto3

    runtime = boto3.client("sagemaker-runtime", region_name=aws_region)
    found: list[str] = []
    called: set[str] = set()

    def check(parsed: dict, model: Any, **_: Any) -> None:
        called.add(f"{model.service_model.service_name}:{model.name}")
        found.extend(problems(model.output_shape, {k: v for k, v in parsed.items() if k != "ResponseMetadata"}, model.name))

    clients = {"sagemaker": sagemaker_client, "autoscaling": autoscaling_client, "cloudwatch": cloudwatch_client, "runtime": runtime}
    for client in clients.values():
        client.meta.events.register("after-call", check)
    yield clients, found, called
    for client in clients.values():
        client.meta.events.unregister("after-call", check)


IMPLEMENTED = {
    "sagemaker": [
        "CreateModel", "DescribeModel", "CreateEndpointConfig", "DescribeEndpointConfig", "CreateEndpoint", "DescribeEndpoint",
        "UpdateEndpoint", "ListEndpoints", "CreateInferenceComponent", "DescribeInferenceComponent", "ListInferenceComponents",
        "UpdateInferenceComponent", "UpdateInferenceComponentRuntimeConfig", "AddTags", "ListTags", "DeleteTags",
        "DeleteInferenceComponent", "DeleteEndpoint",
    ],
    "application-autoscaling": [
        "RegisterScalableTarget", "DescribeScalableTargets", "PutScalingPolicy", "DescribeScalingPolicies",
        "DescribeScalingActivities", "DeleteScalingPolicy", "DeregisterScalableTarget",
    ],
    "sagemaker-runtime": ["InvokeEndpoint"],
    "cloudwatch": ["DescribeAlarms"],
}


def test_every_operation_answers_in_its_output_shape(checked):
    (clients, found, called) = checked
    sagemaker, autoscaling, cloudwatch, runtime = (clients[k] for k in ("sagemaker", "autoscaling", "cloudwatch", "runtime"))
    # SageMaker
    sagemaker.create_model(ModelName="model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker.describe_model(ModelName="model")
    create_pool(sagemaker, max_instances=2)
    sagemaker.describe_endpoint_config(EndpointConfigName="pool-config")
    sagemaker.describe_endpoint(EndpointName="pool")
    sagemaker.create_endpoint_config(EndpointConfigName="pool-config-2", ExecutionRoleArn=ROLE, ProductionVariants=[
        {"VariantName": VARIANT, "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}])
    arn = create_component(sagemaker, "blockgen")
    sagemaker.update_endpoint(EndpointName="pool", EndpointConfigName="pool-config-2")
    sagemaker.list_endpoints()
    sagemaker.describe_inference_component(InferenceComponentName="blockgen")
    sagemaker.list_inference_components()
    sagemaker.update_inference_component(InferenceComponentName="blockgen", Specification=specification(), RuntimeConfig={"CopyCount": 2})
    sagemaker.update_inference_component_runtime_config(InferenceComponentName="blockgen", DesiredRuntimeConfig={"CopyCount": 1})
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "codegen"}])
    sagemaker.list_tags(ResourceArn=arn)
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team"])
    runtime.invoke_endpoint(EndpointName="pool", InferenceComponentName="blockgen", Body=b"{}")
    # Application Auto Scaling and the alarms it creates
    target = {"ServiceNamespace": "sagemaker", "ResourceId": "inference-component/blockgen", "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount"}
    autoscaling.register_scalable_target(**target, MinCapacity=2, MaxCapacity=4)
    autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    autoscaling.put_scaling_policy(PolicyName="tracking", **target, PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
        "TargetValue": 4.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"}})
    autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")
    autoscaling.describe_scaling_activities(ServiceNamespace="sagemaker")
    cloudwatch.describe_alarms()
    autoscaling.delete_scaling_policy(PolicyName="tracking", **target)
    autoscaling.deregister_scalable_target(**target)
    sagemaker.delete_inference_component(InferenceComponentName="blockgen")
    sagemaker.delete_endpoint(EndpointName="pool")
    # Then
    assert called == {f"{service}:{operation}" for service, operations in IMPLEMENTED.items() for operation in operations}
    assert found == []
