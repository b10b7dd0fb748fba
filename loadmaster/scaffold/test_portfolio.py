"""Tests of your own, offline. loadmaster's pytest fixtures (`sagemaker_client`, `autoscaling_client`,
`cloudformation_client`, `cloudwatch_client`) are moto extended with inference components, their placement on
instances and Application Auto Scaling (loadmaster's README, "Testing your own stacks offline"). `make test` also
rehearses the whole portfolio (`loadmaster rehearse`); add here what only your team knows."""

import json
from pathlib import Path

import boto3
import pytest

from loadmaster.planner.make import plan_file
from loadmaster.synthesis import synthesize

PORTFOLIO = Path(__file__).resolve().parents[1] / "portfolio.yaml"


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    return synthesize(plan_file(PORTFOLIO), tmp_path_factory.mktemp("synth") / "cdk.out")


def test_every_inference_component_runs_the_copies_it_asks_for(stacks, aws_region, cloudformation_client, sagemaker_client):
    # Given an account bootstrapped for the CDK (the parameter `cdk bootstrap` writes)
    boto3.client("ssm", region_name=aws_region).put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")

    # When every stack of the portfolio is created
    for stack in stacks:
        cloudformation_client.create_stack(StackName=stack.name, TemplateBody=json.dumps(stack.template), Capabilities=["CAPABILITY_NAMED_IAM"])

    # Then every component is in service with all its copies placed on the pool's instances
    components = sagemaker_client.list_inference_components()["InferenceComponents"]
    assert components, "the portfolio has no inference component"
    for component in components:
        described = sagemaker_client.describe_inference_component(InferenceComponentName=component["InferenceComponentName"])
        assert described["InferenceComponentStatus"] == "InService"
        assert described["RuntimeConfig"]["CurrentCopyCount"] == described["RuntimeConfig"]["DesiredCopyCount"]
