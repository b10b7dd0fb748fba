"""A deploy that changes a component's image keeps the copies autoscaling added (loadmaster.capacity).

Rehearsed in loadmaster.testing, whose CloudFormation sends a component's RuntimeConfig again on every update, as
CloudFormation does: without the live copy count in the template the raised count drops back.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from loadmaster.capacity import retain_live_copy_counts
from loadmaster.plan import Bounds
from loadmaster.synthesis import synthesize

BLOCKGEN = "codegen-platform-blockgen"
NEW_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.30.0-lmi12.0.0-cu124"
AUTOSCALED_COPIES = 5


def with_new_blockgen_image(plan):
    def component(component):
        if component.component_name != BLOCKGEN:
            return component
        return dataclasses.replace(component, container=dataclasses.replace(component.container, image=NEW_IMAGE))

    return dataclasses.replace(plan, pools=tuple(dataclasses.replace(pool, components=tuple(map(component, pool.components))) for pool in plan.pools))


@pytest.fixture
def deployed_example(example_stacks, sagemaker_client, cloudformation_client, aws_region):
    """Given the example deployed, and autoscaling having raised blockgen from 2 to 5 copies."""
    import boto3

    boto3.client("ssm", region_name=aws_region).put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    (stack,) = example_stacks
    cloudformation_client.create_stack(StackName=stack.name, TemplateBody=json.dumps(stack.template))
    sagemaker_client.update_inference_component_runtime_config(InferenceComponentName=BLOCKGEN, DesiredRuntimeConfig={"CopyCount": AUTOSCALED_COPIES})
    return stack.name


def deploy_update(cloudformation, stack_name, plan, tmp_path):
    (stack,) = synthesize(plan, tmp_path / "cdk.out")
    cloudformation.update_stack(StackName=stack_name, TemplateBody=json.dumps(stack.template))


def desired_copies(sagemaker):
    return sagemaker.describe_inference_component(InferenceComponentName=BLOCKGEN)["RuntimeConfig"]["DesiredCopyCount"]


def test_an_image_change_with_live_copy_counts_keeps_the_autoscaled_copies(deployed_example, example_plan, sagemaker_client, cloudformation_client, tmp_path):
    plan = retain_live_copy_counts(with_new_blockgen_image(example_plan), sagemaker_client)

    deploy_update(cloudformation_client, deployed_example, plan, tmp_path)

    described = sagemaker_client.describe_inference_component(InferenceComponentName=BLOCKGEN)
    assert described["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == NEW_IMAGE
    assert desired_copies(sagemaker_client) == AUTOSCALED_COPIES


def test_an_image_change_without_live_copy_counts_drops_back_to_the_template(deployed_example, example_plan, sagemaker_client, cloudformation_client, tmp_path):
    deploy_update(cloudformation_client, deployed_example, with_new_blockgen_image(example_plan), tmp_path)

    assert desired_copies(sagemaker_client) == 2  # the template's count: what the live read prevents


def test_components_not_yet_deployed_keep_their_initial_count(example_plan, sagemaker_client):
    plan = retain_live_copy_counts(example_plan, sagemaker_client)

    assert plan == example_plan


@pytest.mark.parametrize(("live", "declared"), [(0, 0), (3, 3), (9, 4)])
def test_a_live_count_is_declared_within_the_components_bounds(live, declared):
    assert Bounds(min=0, max=4, live=live).initial == declared
