"""Models of several containers in loadmaster.testing: what CreateModel checks of `Containers` and
`InferenceExecutionConfig`, CPU-only direct invocation, `TargetContainerHostname` on InvokeEndpoint, and pipeline
models in CloudFormation."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from ic_givens import ROLE, VARIANT, error_of

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
DIRECT = {"Mode": "Direct"}


def containers(*hostnames: str) -> list[dict]:
    return [{"ContainerHostname": hostname, "Image": IMAGE} for hostname in hostnames]


def create_endpoint(sagemaker, name: str, model_containers: list[dict], mode: dict | None = None, instance_type: str = "ml.c5.large") -> str:
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, Containers=model_containers, **({"InferenceExecutionConfig": mode} if mode else {}))
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": VARIANT, "ModelName": name, "InstanceType": instance_type, "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


@pytest.fixture
def runtime_client(mocked_sagemaker, aws_region):
    return boto3.client("sagemaker-runtime", region_name=aws_region)


def test_a_direct_model_shows_its_containers_mode_and_network_isolation(sagemaker_client):
    sagemaker_client.create_model(ModelName="tabular", ExecutionRoleArn=ROLE, Containers=containers("churn", "fraud"), InferenceExecutionConfig=DIRECT,
                                  EnableNetworkIsolation=True)

    described = sagemaker_client.describe_model(ModelName="tabular")

    assert (described["InferenceExecutionConfig"], described["EnableNetworkIsolation"]) == (DIRECT, True)
    assert [container["ContainerHostname"] for container in described["Containers"]] == ["churn", "fraud"]


def test_a_model_takes_15_containers_and_refuses_a_16th(sagemaker_client):
    fifteen = containers(*(f"c{index}" for index in range(15)))
    sagemaker_client.create_model(ModelName="fifteen", ExecutionRoleArn=ROLE, Containers=fifteen, InferenceExecutionConfig=DIRECT)

    code, message = error_of(lambda: sagemaker_client.create_model(
        ModelName="sixteen", ExecutionRoleArn=ROLE, Containers=fifteen + containers("c15"), InferenceExecutionConfig=DIRECT))

    assert code == "ValidationException"
    assert "at 'containers' failed to satisfy constraint: Member must have length less than or equal to 15" in message


def test_direct_invocation_needs_every_container_named(sagemaker_client):
    unnamed = containers("churn") + [{"Image": IMAGE}]

    code, message = error_of(lambda: sagemaker_client.create_model(ModelName="tabular", ExecutionRoleArn=ROLE, Containers=unnamed, InferenceExecutionConfig=DIRECT))

    assert code == "ValidationException" and "ContainerHostname is required for every container" in message


def test_a_pipeline_names_all_its_containers_or_none(sagemaker_client):
    sagemaker_client.create_model(ModelName="unnamed", ExecutionRoleArn=ROLE, Containers=[{"Image": IMAGE}, {"Image": IMAGE}])

    code, message = error_of(lambda: sagemaker_client.create_model(ModelName="half", ExecutionRoleArn=ROLE, Containers=containers("features") + [{"Image": IMAGE}]))

    assert code == "ValidationException" and "it must be specified for every container" in message


def test_two_containers_of_one_model_cannot_share_a_hostname(sagemaker_client):
    code, message = error_of(lambda: sagemaker_client.create_model(ModelName="tabular", ExecutionRoleArn=ROLE, Containers=containers("churn", "churn")))

    assert code == "ValidationException" and "churn is repeated" in message


def test_every_hostname_used_twice_is_named_in_the_refusal(sagemaker_client):
    code, message = error_of(lambda: sagemaker_client.create_model(
        ModelName="tabular", ExecutionRoleArn=ROLE, Containers=containers("fraud", "churn", "fraud", "churn", "score")))

    assert (code, message) == ("ValidationException", "ContainerHostname must be unique within a model: churn, fraud is repeated.")


def test_a_model_has_a_primary_container_or_containers_not_both(sagemaker_client):
    code, message = error_of(lambda: sagemaker_client.create_model(
        ModelName="tabular", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE}, Containers=containers("churn", "fraud")))

    assert code == "ValidationException" and "either PrimaryContainer or Containers" in message


def test_an_unknown_mode_is_refused_with_the_values_it_may_take(sagemaker_client):
    code, message = error_of(lambda: sagemaker_client.create_model(
        ModelName="tabular", ExecutionRoleArn=ROLE, Containers=containers("churn"), InferenceExecutionConfig={"Mode": "Parallel"}))

    assert code == "ValidationException" and "Member must satisfy enum value set: [Serial, Direct]" in message


def test_direct_invocation_is_refused_on_a_gpu_instance_and_a_pipeline_is_not(sagemaker_client):
    sagemaker_client.create_model(ModelName="tabular", ExecutionRoleArn=ROLE, Containers=containers("churn", "fraud"), InferenceExecutionConfig=DIRECT)
    sagemaker_client.create_model(ModelName="pipeline", ExecutionRoleArn=ROLE, Containers=containers("features", "model"))
    variant = lambda model: {"VariantName": VARIANT, "ModelName": model, "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1}  # noqa: E731

    code, message = error_of(lambda: sagemaker_client.create_endpoint_config(EndpointConfigName="tabular", ProductionVariants=[variant("tabular")]))
    sagemaker_client.create_endpoint_config(EndpointConfigName="pipeline", ProductionVariants=[variant("pipeline")])

    assert code == "ValidationException" and "direct invocation are not supported for instance type ml.g5.xlarge" in message


def test_a_direct_endpoint_serves_the_container_a_request_names(sagemaker_client, runtime_client):
    create_endpoint(sagemaker_client, "tabular", containers("churn", "fraud"), DIRECT)

    response = runtime_client.invoke_endpoint(EndpointName="tabular", TargetContainerHostname="fraud", Body=b"1,2,3")

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_direct_endpoint_refuses_an_unknown_container_and_a_request_naming_none(sagemaker_client, runtime_client):
    create_endpoint(sagemaker_client, "tabular", containers("churn", "fraud"), DIRECT)

    unknown = error_of(lambda: runtime_client.invoke_endpoint(EndpointName="tabular", TargetContainerHostname="credit", Body=b"1"))
    unnamed = error_of(lambda: runtime_client.invoke_endpoint(EndpointName="tabular", Body=b"1"))

    assert unknown == ("ValidationError", "TargetContainerHostname credit does not exist on endpoint tabular: its containers are churn, fraud.")
    assert unnamed[0] == "ValidationError" and "specify a TargetContainerHostname, one of churn, fraud" in unnamed[1]


def test_an_endpoint_without_direct_invocation_refuses_a_target_container(sagemaker_client, runtime_client):
    create_endpoint(sagemaker_client, "pipeline", containers("features", "model"))

    runtime_client.invoke_endpoint(EndpointName="pipeline", Body=b"1")
    code, message = error_of(lambda: runtime_client.invoke_endpoint(EndpointName="pipeline", TargetContainerHostname="model", Body=b"1"))

    assert code == "ValidationError" and "not configured for direct invocation" in message


def pipeline_template(hostnames: tuple[str, ...]) -> dict:
    return {"Resources": {"Pipeline": {"Type": "AWS::SageMaker::Model", "Properties": {
        "ExecutionRoleArn": ROLE, "Containers": containers(*hostnames), "InferenceExecutionConfig": {"Mode": "Serial"}, "EnableNetworkIsolation": True}}}}


def test_cloudformation_creates_a_model_of_several_containers_without_a_primary_container(cloudformation_client, sagemaker_client):
    cloudformation_client.create_stack(StackName="pipeline", TemplateBody=json.dumps(pipeline_template(("features", "model", "post"))))

    [model] = sagemaker_client.list_models()["Models"]
    described = sagemaker_client.describe_model(ModelName=model["ModelName"])
    assert [container["ContainerHostname"] for container in described["Containers"]] == ["features", "model", "post"]
    assert (described["InferenceExecutionConfig"], described["EnableNetworkIsolation"]) == ({"Mode": "Serial"}, True)


def test_cloudformation_fails_a_model_of_16_containers_with_sagemakers_message(cloudformation_client):
    sixteen = pipeline_template(tuple(f"c{index}" for index in range(16)))

    with pytest.raises(ClientError, match="Member must have length less than or equal to 15"):
        cloudformation_client.create_stack(StackName="pipeline", TemplateBody=json.dumps(sixteen))
