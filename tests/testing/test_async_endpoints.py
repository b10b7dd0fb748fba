"""Asynchronous endpoints in loadmaster.testing: AsyncInferenceConfig validated and described, InvokeEndpointAsync
queued, processed where the config says, and held while the endpoint has no instance.

Sequence as in the SageMaker developer guide, "Autoscale an asynchronous endpoint": register the variant from 0
instances; requests that arrive at zero are queued and processed once the endpoint scales up.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest
from ic_givens import ROLE, VARIANT, error_of

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-gpu-py311"
RESULTS = "s3://results/transcribe/results"
FAILURES = "s3://results/transcribe/failures"
INSTANCES = "sagemaker:variant:DesiredInstanceCount"
RESOURCE_ID = f"endpoint/transcribe/variant/{VARIANT}"


@pytest.fixture
def runtime_client(mocked_sagemaker, aws_region):
    return boto3.client("sagemaker-runtime", region_name=aws_region)


@pytest.fixture
def s3_client(mocked_sagemaker, aws_region):
    s3 = boto3.client("s3", region_name=aws_region)
    s3.create_bucket(Bucket="results")
    s3.create_bucket(Bucket="requests")
    s3.put_object(Bucket="requests", Key="transcribe/call-1.wav", Body=b"RIFF")
    return s3


def async_config(**output) -> dict:
    return {"OutputConfig": {"S3OutputPath": RESULTS, "S3FailurePath": FAILURES, **output}, "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4}}


def create_async_endpoint(sagemaker, name: str = "transcribe", config: dict | None = None) -> str:
    sagemaker.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[{"VariantName": VARIANT, "ModelName": f"{name}-model", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}],
        AsyncInferenceConfig=config or async_config(),
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    return name


def object_at(s3, s3_uri: str) -> str | None:
    bucket, _, key = s3_uri.removeprefix("s3://").partition("/")
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    except s3.exceptions.NoSuchKey:
        return None


def scale_to(autoscaling, minimum: int, maximum: int = 2) -> None:
    autoscaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=INSTANCES, MinCapacity=minimum, MaxCapacity=maximum)


def test_the_endpoint_and_its_config_describe_their_async_inference_config(sagemaker_client):
    create_async_endpoint(sagemaker_client)

    config = sagemaker_client.describe_endpoint_config(EndpointConfigName="transcribe-config")
    endpoint = sagemaker_client.describe_endpoint(EndpointName="transcribe")

    assert config["AsyncInferenceConfig"] == endpoint["AsyncInferenceConfig"] == async_config()


def test_a_real_time_endpoint_describes_no_async_inference_config(sagemaker_client):
    sagemaker_client.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker_client.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{"VariantName": VARIANT, "ModelName": "m", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}])
    sagemaker_client.create_endpoint(EndpointName="e", EndpointConfigName="c")

    assert "AsyncInferenceConfig" not in sagemaker_client.describe_endpoint(EndpointName="e")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (async_config() | {"ClientConfig": {"MaxConcurrentInvocationsPerInstance": 1001}}, "at 'asyncInferenceConfig.clientConfig.maxConcurrentInvocationsPerInstance' failed to satisfy constraint: Member must have value less than or equal to 1000"),
        (async_config(S3OutputPath="results/transcribe"), "Value 'results/transcribe' at 'asyncInferenceConfig.outputConfig.s3OutputPath' failed to satisfy constraint: Member must satisfy regular expression pattern"),
        (async_config(NotificationConfig={"SuccessTopic": "done"}), "at 'asyncInferenceConfig.outputConfig.notificationConfig.successTopic' failed to satisfy constraint"),
        (async_config(NotificationConfig={"IncludeInferenceResponseIn": ["SUCCESS"]}), "Member must satisfy enum value set: [SUCCESS_NOTIFICATION_TOPIC, ERROR_NOTIFICATION_TOPIC]"),
    ],
)
def test_an_invalid_async_inference_config_is_refused_as_sagemaker_validates_it(sagemaker_client, config, message):
    sagemaker_client.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})

    code, refusal = error_of(lambda: sagemaker_client.create_endpoint_config(
        EndpointConfigName="c", ProductionVariants=[{"VariantName": VARIANT, "ModelName": "m", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}], AsyncInferenceConfig=config
    ))

    assert code == "ValidationException" and message in refusal


def test_one_and_a_thousand_concurrent_invocations_per_instance_the_limits_are_accepted(sagemaker_client):
    for name, concurrency in (("least", 1), ("most", 1000)):
        create_async_endpoint(sagemaker_client, name, async_config() | {"ClientConfig": {"MaxConcurrentInvocationsPerInstance": concurrency}})

    assert [sagemaker_client.describe_endpoint_config(EndpointConfigName=f"{name}-config")["AsyncInferenceConfig"]["ClientConfig"]
            for name in ("least", "most")] == [{"MaxConcurrentInvocationsPerInstance": 1}, {"MaxConcurrentInvocationsPerInstance": 1000}]


def test_no_concurrent_invocations_in_a_template_fail_the_stack_with_sagemakers_validation_error(cloudformation_client, sagemaker_client):
    # Given a template, which reaches SageMaker without botocore's client-side check of the minimum
    sagemaker_client.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    config = {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
        "ProductionVariants": [{"VariantName": VARIANT, "ModelName": "m", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}],
        "AsyncInferenceConfig": async_config() | {"ClientConfig": {"MaxConcurrentInvocationsPerInstance": 0}}}}

    with pytest.raises(Exception, match=re.escape(
            "Value '0' at 'asyncInferenceConfig.clientConfig.maxConcurrentInvocationsPerInstance' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1")):
        cloudformation_client.create_stack(StackName="transcribe", TemplateBody=json.dumps({"Resources": {"Config": config}}))


def test_an_invocation_answers_where_its_result_and_failure_will_be(sagemaker_client, runtime_client, s3_client):
    create_async_endpoint(sagemaker_client)

    answer = runtime_client.invoke_endpoint_async(EndpointName="transcribe", InputLocation="s3://requests/transcribe/call-1.wav", InferenceId="call-1")

    assert (answer["ResponseMetadata"]["HTTPStatusCode"], answer["InferenceId"], answer["OutputLocation"], answer["FailureLocation"]) == (
        202, "call-1", f"{RESULTS}/call-1.out", f"{FAILURES}/call-1-error.out")
    assert object_at(s3_client, answer["OutputLocation"]) == json.dumps({"default": "response"})


def test_each_invocation_has_an_inference_id_of_its_own(sagemaker_client, runtime_client, s3_client):
    create_async_endpoint(sagemaker_client)

    first, second = (runtime_client.invoke_endpoint_async(EndpointName="transcribe", InputLocation="s3://requests/transcribe/call-1.wav") for _ in range(2))

    assert first["InferenceId"] != second["InferenceId"] and first["OutputLocation"] != second["OutputLocation"]


def test_a_request_whose_input_cannot_be_read_fails_into_the_failure_path(sagemaker_client, runtime_client, s3_client):
    create_async_endpoint(sagemaker_client)

    answer = runtime_client.invoke_endpoint_async(EndpointName="transcribe", InputLocation="s3://requests/transcribe/missing.wav")

    assert object_at(s3_client, answer["OutputLocation"]) is None
    assert "s3://requests/transcribe/missing.wav" in object_at(s3_client, answer["FailureLocation"])


def test_an_inline_body_needs_no_input_location(sagemaker_client, runtime_client, s3_client):
    create_async_endpoint(sagemaker_client)

    answer = runtime_client.invoke_endpoint_async(EndpointName="transcribe", Body=b'{"text": "hello"}', InferenceId="inline")

    assert object_at(s3_client, answer["OutputLocation"]) is not None


def test_at_zero_instances_a_request_is_queued_and_processed_once_an_instance_runs(sagemaker_client, autoscaling_client, runtime_client, s3_client):
    from loadmaster.testing.sagemakerruntime.models import SageMakerRuntimeBackend  # noqa: F401 (the backend the fixtures installed)
    from moto.sagemakerruntime.models import sagemakerruntime_backends

    create_async_endpoint(sagemaker_client)
    scale_to(autoscaling_client, 0)
    autoscaling_client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=INSTANCES, MinCapacity=0, MaxCapacity=0)

    answer = runtime_client.invoke_endpoint_async(EndpointName="transcribe", InputLocation="s3://requests/transcribe/call-1.wav", InferenceId="queued")

    assert sagemaker_client.describe_endpoint(EndpointName="transcribe")["ProductionVariants"][0]["CurrentInstanceCount"] == 0
    assert object_at(s3_client, answer["OutputLocation"]) is None
    assert [request.inference_id for request in sagemakerruntime_backends["123456789012"]["us-east-1"].async_backlog("transcribe")] == ["queued"]

    scale_to(autoscaling_client, 1)  # what the HasBacklogWithoutCapacity alarm's step policy does

    assert object_at(s3_client, answer["OutputLocation"]) == json.dumps({"default": "response"})
    assert sagemakerruntime_backends["123456789012"]["us-east-1"].async_backlog("transcribe") == []


def test_a_real_time_endpoint_refuses_asynchronous_invocations(sagemaker_client, runtime_client):
    sagemaker_client.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker_client.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{"VariantName": VARIANT, "ModelName": "m", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}])
    sagemaker_client.create_endpoint(EndpointName="realtime", EndpointConfigName="c")

    code, message = error_of(lambda: runtime_client.invoke_endpoint_async(EndpointName="realtime", InputLocation="s3://requests/x"))

    assert code == "ValidationError" and "Endpoint realtime is not an asynchronous endpoint" in message


def test_an_unknown_endpoint_cannot_be_invoked_asynchronously(runtime_client):
    assert error_of(lambda: runtime_client.invoke_endpoint_async(EndpointName="nowhere", InputLocation="s3://requests/x")) == (
        "ValidationError", "Endpoint nowhere of account 123456789012 not found.")


def test_input_location_and_body_together_are_refused(sagemaker_client, runtime_client):
    create_async_endpoint(sagemaker_client)

    assert error_of(lambda: runtime_client.invoke_endpoint_async(EndpointName="transcribe", InputLocation="s3://requests/x", Body=b"{}")) == (
        "ValidationError", "Provide exactly one of InputLocation and Body.")


def test_a_deleted_endpoint_forgets_its_queue(sagemaker_client, autoscaling_client, runtime_client, s3_client):
    from moto.sagemakerruntime.models import sagemakerruntime_backends

    create_async_endpoint(sagemaker_client)
    autoscaling_client.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=INSTANCES, MinCapacity=0, MaxCapacity=0)
    runtime_client.invoke_endpoint_async(EndpointName="transcribe", InputLocation="s3://requests/transcribe/call-1.wav")
    autoscaling_client.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=INSTANCES)

    sagemaker_client.delete_endpoint(EndpointName="transcribe")

    assert sagemakerruntime_backends["123456789012"]["us-east-1"].async_backlog("transcribe") == []
