"""`mock_sagemaker` is a drop-in for `moto.mock_aws`: same uses, same reset semantics, nothing of the outer state lost."""

from __future__ import annotations

import unittest
from functools import cache

import boto3
from ic_givens import create_component, create_pool
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends

from loadmaster.testing import install, mock_sagemaker, placements

REGION = "us-east-1"
MODEL = {"ModelName": "model", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r", "PrimaryContainer": {"Image": "image"}}


@cache
def sagemaker(region: str = REGION):
    """One client for every test: moto intercepts its requests whichever mock is running (parsing SageMaker's
    service model for each new client would take half a second)."""
    return boto3.Session().client("sagemaker", region_name=region)


def endpoints() -> list[str]:
    return [e["EndpointName"] for e in sagemaker().list_endpoints()["Endpoints"]]


def test_as_a_context_manager_it_serves_inference_components():
    with mock_sagemaker():
        create_pool(sagemaker())
        create_component(sagemaker(), "blockgen")
        assert sagemaker().describe_inference_component(InferenceComponentName="blockgen")["InferenceComponentStatus"] == "InService"


@mock_sagemaker
def test_as_a_bare_function_decorator_it_serves_inference_components():
    create_pool(sagemaker())
    create_component(sagemaker(), "blockgen")
    assert sagemaker().list_inference_components()["InferenceComponents"][0]["InferenceComponentName"] == "blockgen"


@mock_sagemaker()
def test_as_a_called_function_decorator_it_serves_inference_components():
    create_pool(sagemaker())
    assert endpoints() == ["pool"]


@mock_sagemaker
class TestAsAClassDecorator(unittest.TestCase):
    def setUp(self) -> None:
        create_pool(sagemaker())
        create_component(sagemaker(), "blockgen")

    def test_what_set_up_created_is_there_in_the_test(self):
        assert endpoints() == ["pool"]
        assert [c["InferenceComponentName"] for c in sagemaker().list_inference_components()["InferenceComponents"]] == ["blockgen"]

    def test_each_test_starts_from_set_up_alone(self):
        sagemaker().create_model(**MODEL)
        assert [m["ModelName"] for m in sagemaker().list_models()["Models"]] == ["model"]


def test_nested_in_mock_aws_it_keeps_the_outer_state():
    with mock_aws():
        create_pool(sagemaker(), name="outer")
        with mock_sagemaker():
            create_pool(sagemaker(), name="inner")
            assert sorted(endpoints()) == ["inner", "outer"]
        assert sorted(endpoints()) == ["inner", "outer"]


def test_nested_in_itself_it_keeps_the_outer_state():
    with mock_sagemaker():
        create_pool(sagemaker(), name="outer")
        create_component(sagemaker(), "blockgen", endpoint="outer")
        with mock_sagemaker():
            assert endpoints() == ["outer"]
        assert sagemaker().describe_inference_component(InferenceComponentName="blockgen")["EndpointName"] == "outer"


def test_entered_twice_in_a_row_the_second_starts_empty_as_mock_aws_does():
    with mock_sagemaker():
        create_pool(sagemaker())
    with mock_sagemaker():
        assert endpoints() == []
        assert sagemaker().list_inference_components()["InferenceComponents"] == []


def test_installing_inside_a_running_mock_keeps_what_moto_already_holds():
    with mock_aws():
        # Given a region whose backend plain moto built, holding a model
        sagemaker_backends.backend = sagemaker_backends[DEFAULT_ACCOUNT_ID].backend = SageMakerModelBackend
        sagemaker("eu-west-1").create_model(**MODEL)
        sagemaker("eu-west-1").create_endpoint_config(EndpointConfigName="classic", ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
        sagemaker("eu-west-1").create_endpoint(EndpointName="classic", EndpointConfigName="classic")
        assert type(sagemaker_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]) is SageMakerModelBackend
        # When
        install()
        # Then the model is still there, and the backend serves inference components
        client = sagemaker("eu-west-1")
        assert [m["ModelName"] for m in client.list_models()["Models"]] == ["model"]
        assert client.list_inference_components()["InferenceComponents"] == []
        # And the endpoint plain moto made has no placements, and may be a scalable target
        assert placements("eu-west-1") == []
        boto3.client("application-autoscaling", region_name="eu-west-1").register_scalable_target(
            ServiceNamespace="sagemaker", ResourceId="endpoint/classic/variant/AllTraffic", ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            MinCapacity=1, MaxCapacity=2,
        )


def test_installing_again_inside_a_running_mock_keeps_its_inference_components():
    with mock_sagemaker():
        create_pool(sagemaker())
        create_component(sagemaker(), "blockgen")
        install()
        assert [c["InferenceComponentName"] for c in sagemaker().list_inference_components()["InferenceComponents"]] == ["blockgen"]


def test_as_a_decorator_applied_in_a_test_it_mocks_the_call():
    # Given a function decorated where it is defined
    @mock_sagemaker
    def create_and_list() -> list[str]:
        create_pool(sagemaker())
        return endpoints()

    # When / Then
    assert create_and_list() == ["pool"]


def test_it_passes_motos_config_on():
    # Given the config that loads AWS's managed policies, which moto leaves out by default
    with mock_sagemaker(config={"iam": {"load_aws_managed_policies": True}}):
        # When / Then
        assert boto3.client("iam", region_name=REGION).list_policies(Scope="AWS", MaxItems=1)["Policies"]


def test_installing_inside_a_running_mock_extends_regions_not_used_yet():
    with mock_sagemaker():
        create_pool(sagemaker())
        install()
        assert sagemaker("ca-central-1").list_inference_components()["InferenceComponents"] == []
