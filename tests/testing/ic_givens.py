"""Givens for the tests of loadmaster.testing: an inference-component endpoint and a component's spec, a serverless
endpoint."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

ARN_PREFIX = "arn:aws:sagemaker:us-east-1:123456789012"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
ENDPOINT = "pool"
VARIANT = "AllTraffic"


def pool_variant(instance_type: str = "ml.g5.12xlarge", instances: int = 1, max_instances: int | None = None) -> dict:
    """A model-less variant; with `max_instances`, managed instance scaling from `instances` to it."""
    variant = {"VariantName": VARIANT, "InstanceType": instance_type, "InitialInstanceCount": instances}
    if max_instances is not None:
        variant["ManagedInstanceScaling"] = {"Status": "ENABLED", "MinInstanceCount": instances, "MaxInstanceCount": max_instances}
    return variant


def specification(accelerators: int = 1, memory_mb: int = 8192, image: str = IMAGE, **requirements) -> dict:
    return {
        "Container": {"Image": image, "ArtifactUrl": "s3://models/model.tar.gz"},
        "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": accelerators, "MinMemoryRequiredInMb": memory_mb, **requirements},
    }


def create_pool(sagemaker, name: str = ENDPOINT, **variant) -> str:
    sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-config", ExecutionRoleArn=ROLE, ProductionVariants=[pool_variant(**variant)])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    return name


def serverless_variant(model: str, memory_mb: int = 2048, max_concurrency: int = 20, **config) -> dict:
    return {"VariantName": VARIANT, "ModelName": model, "ServerlessConfig": {"MemorySizeInMB": memory_mb, "MaxConcurrency": max_concurrency, **config}}


def create_serverless_config(sagemaker, name: str = "tagger", **config) -> None:
    """A model `name` and a serverless endpoint config `<name>-config` for it."""
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[serverless_variant(name, **config)])


def create_serverless_endpoint(sagemaker, name: str = "tagger", **config) -> str:
    create_serverless_config(sagemaker, name, **config)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    return name


def create_component(sagemaker, name: str, copies: int = 1, endpoint: str = ENDPOINT, **spec) -> str:
    response = sagemaker.create_inference_component(
        InferenceComponentName=name,
        EndpointName=endpoint,
        VariantName=VARIANT,
        Specification=specification(**spec),
        RuntimeConfig={"CopyCount": copies},
    )
    return response["InferenceComponentArn"]



def error_of(call) -> tuple[str, str]:
    """The code and message of the AWS error `call` raises."""
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]
