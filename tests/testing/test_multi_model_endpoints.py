"""Multi-model endpoints in loadmaster.testing: InvokeEndpoint's TargetModel as SageMaker takes it, the model an
artifact under the container's prefix, the header refused where no container runs in MultiModel mode."""

from __future__ import annotations

import boto3
import pytest

from ic_givens import ROLE, error_of

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@pytest.fixture
def runtime_client(mocked_sagemaker, aws_region):
    return boto3.client("sagemaker-runtime", region_name=aws_region)


@pytest.fixture
def s3_client(mocked_sagemaker, aws_region):
    s3 = boto3.client("s3", region_name=aws_region)
    s3.create_bucket(Bucket="models")
    for key in ("churn/shop-1.tar.gz", "churn/team-a/shop-2.tar.gz", "elsewhere/shop-3.tar.gz"):
        s3.put_object(Bucket="models", Key=key, Body=b"\x1f\x8b")
    return s3


def create_endpoint(sagemaker_client, name: str, container: dict) -> None:
    sagemaker_client.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
    variant = {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": "ml.c5.large", "InitialInstanceCount": 1}
    sagemaker_client.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    sagemaker_client.create_endpoint(EndpointName=name, EndpointConfigName=name)


@pytest.fixture
def multi_model(sagemaker_client, s3_client) -> str:
    create_endpoint(sagemaker_client, "churn", {"Image": IMAGE, "ModelDataUrl": "s3://models/churn/", "Mode": "MultiModel"})
    return "churn"


@pytest.fixture
def single_model(sagemaker_client, s3_client) -> str:
    create_endpoint(sagemaker_client, "one", {"Image": IMAGE, "ModelDataUrl": "s3://models/elsewhere/shop-3.tar.gz"})
    return "one"


@pytest.mark.parametrize("target_model", ["shop-1.tar.gz", "team-a/shop-2.tar.gz"])
def test_a_model_under_the_prefix_is_invoked_by_its_path_under_it(runtime_client, multi_model, target_model):
    response = runtime_client.invoke_endpoint(EndpointName=multi_model, TargetModel=target_model, Body=b"1,2,3")

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("target_model, key", [("shop-9.tar.gz", "churn/shop-9.tar.gz"), ("../elsewhere/shop-3.tar.gz", "churn/../elsewhere/shop-3.tar.gz")])
def test_a_target_model_that_is_not_under_the_prefix_fails_to_download(runtime_client, multi_model, target_model, key):
    code, message = error_of(lambda: runtime_client.invoke_endpoint(EndpointName=multi_model, TargetModel=target_model, Body=b"1,2,3"))

    assert (code, message) == (
        "ValidationError",
        f"Failed to download model data(bucket: models, key: {key}). Please ensure that there is an object located at the URL and that the "
        "role passed to CreateModel has permissions to download the model.",
    )


def test_a_multi_model_endpoint_needs_a_target_model(runtime_client, multi_model):
    code, message = error_of(lambda: runtime_client.invoke_endpoint(EndpointName=multi_model, Body=b"1,2,3"))

    assert code == "ValidationError" and message.startswith("Request ") and message.endswith(" is missing a target model header.")


def test_a_target_model_on_a_single_model_endpoint_is_refused(runtime_client, single_model):
    code, message = error_of(lambda: runtime_client.invoke_endpoint(EndpointName=single_model, TargetModel="shop-3.tar.gz", Body=b"1,2,3"))

    assert (code, message) == ("ValidationError", "Endpoint one is not a multi-model endpoint and does not support target model header.")


def test_a_single_model_endpoint_is_invoked_without_a_target_model_as_before(runtime_client, single_model):
    assert runtime_client.invoke_endpoint(EndpointName=single_model, Body=b"1,2,3")["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_model_uploaded_after_the_endpoint_was_created_is_served_without_an_update(runtime_client, s3_client, multi_model):
    s3_client.put_object(Bucket="models", Key="churn/shop-10.tar.gz", Body=b"\x1f\x8b")

    response = runtime_client.invoke_endpoint(EndpointName=multi_model, TargetModel="shop-10.tar.gz", Body=b"1,2,3")

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_the_model_keeps_its_mode_and_prefix_as_created(sagemaker_client, multi_model):
    container = sagemaker_client.describe_model(ModelName=multi_model)["PrimaryContainer"]

    assert (container["Mode"], container["ModelDataUrl"]) == ("MultiModel", "s3://models/churn/")
