"""pytest fixtures for `loadmaster.testing`, registered as a pytest plugin when loadmaster is installed.

    def test_my_component(sagemaker_client):
        sagemaker_client.create_endpoint_config(...)

Every client fixture shares one `mock_sagemaker()` per test, in the region of the `aws_region` fixture
(override it in your conftest.py to test elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest


@pytest.fixture
def aws_region() -> str:
    return "us-east-1"


@pytest.fixture
def mocked_sagemaker() -> Iterator[None]:
    """moto's `mock_aws`, extended with inference components, for the duration of a test."""
    from loadmaster.testing import mock_sagemaker  # imports moto: only in tests that use it

    with mock_sagemaker():
        yield


@cache
def _session():
    """One boto3 session for the whole run: it parses each service model once (SageMaker's takes half a second),
    where moto's fresh default session per test would parse it again."""
    import boto3

    return boto3.Session()


def _client(service: str, region: str):
    return _session().client(service, region_name=region)


@pytest.fixture
def sagemaker_client(mocked_sagemaker: None, aws_region: str):
    return _client("sagemaker", aws_region)


@pytest.fixture
def autoscaling_client(mocked_sagemaker: None, aws_region: str):
    """Application Auto Scaling."""
    return _client("application-autoscaling", aws_region)


@pytest.fixture
def cloudformation_client(mocked_sagemaker: None, aws_region: str):
    return _client("cloudformation", aws_region)


@pytest.fixture
def cloudwatch_client(mocked_sagemaker: None, aws_region: str):
    return _client("cloudwatch", aws_region)
