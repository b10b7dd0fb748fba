"""A deploy that changes a component's image keeps the copies autoscaling added (loadmaster.capacity).

Rehearsed in loadmaster.testing, whose CloudFormation sends a component's RuntimeConfig again on every update, as
CloudFormation does: without the live copy count in the template the raised count drops back.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from loadmaster.capacity import live_sagemaker_client, retain_live_copy_counts
from loadmaster.errors import PortfolioError
from loadmaster.plan import Bounds
from loadmaster.synthesis import PROJECT_ROOT, synthesize

BLOCKGEN = "codegen-platform-blockgen"
NEW_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.30.0-lmi12.0.0-cu124"
AUTOSCALED_COPIES = 5


def with_new_blockgen_image(plan):
    def component(component):
        if component.component_name != BLOCKGEN:
            return component
        return dataclasses.replace(component, container=dataclasses.replace(component.container, image=NEW_IMAGE))

    return dataclasses.replace(plan, units=tuple(dataclasses.replace(pool, components=tuple(map(component, pool.components))) for pool in plan.pools)
                               + plan.dedicated)


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


# Reading the live counts: one list per endpoint, throttling retried, every failure one line


@pytest.fixture
def calls(deployed_example, aws_region):
    """A client as `make diff` creates it, in the example's mock account, and the operations it sends."""
    client = live_sagemaker_client(aws_region)
    sent: list[str] = []
    client.meta.events.register("before-call.sagemaker.*", lambda model, **_: sent.append(model.name))
    return client, sent


def test_the_live_read_lists_each_endpoint_once_and_describes_each_deployed_component_once(example_plan, calls):
    client, sent = calls

    retain_live_copy_counts(example_plan, client)

    components = [component.component_name for pool in example_plan.pools for component in pool.components]
    assert sent.count("ListInferenceComponents") == len(example_plan.pools)
    assert sent.count("DescribeInferenceComponent") == len(components)


class _Body:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


def test_a_throttled_read_is_retried(example_plan, calls):
    from botocore.awsrequest import AWSResponse

    client, _ = calls
    throttled = []

    def throttle_twice(request, **_):
        if len(throttled) < 2:
            throttled.append(request.url)
            return AWSResponse(request.url, 400, {}, _Body(b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'))
        return None

    client.meta.events.register_first("before-send.sagemaker.DescribeInferenceComponent", throttle_twice)

    plan = retain_live_copy_counts(example_plan, client)

    assert len(throttled) == 2
    (blockgen,) = [component for pool in plan.pools for component in pool.components if component.component_name == BLOCKGEN]
    assert blockgen.copies.live == AUTOSCALED_COPIES


def test_a_denied_read_ends_in_one_line(example_plan):
    from botocore.stub import Stubber

    client = live_sagemaker_client("us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("list_inference_components", "AccessDeniedException", "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sagemaker:ListInferenceComponents")

        with pytest.raises(PortfolioError) as raised:
            retain_live_copy_counts(example_plan, client)

    assert raised.value.render() == (
        "live_capacity: cannot read the deployed copy counts (-c live_capacity=true, make diff / make deploy): An error occurred "
        "(AccessDeniedException) when calling the ListInferenceComponents operation: User: arn:aws:iam::123456789012:user/dev "
        "is not authorized to perform: sagemaker:ListInferenceComponents"
    )


@pytest.fixture
def no_aws_configuration(monkeypatch, tmp_path) -> dict[str, str]:
    """An environment with no AWS credentials or region anywhere: no AWS_* variables, empty config files, no IMDS."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "empty"
    empty.write_text("")
    for name, value in {"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty), "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


def test_without_credentials_the_live_read_ends_in_one_line(example_plan, no_aws_configuration):
    with pytest.raises(PortfolioError) as raised:
        retain_live_copy_counts(example_plan, live_sagemaker_client("us-east-1"))

    assert raised.value.render() == "live_capacity: cannot read the deployed copy counts (-c live_capacity=true, make diff / make deploy): Unable to locate credentials"


def test_without_a_region_the_live_read_ends_in_one_line(no_aws_configuration):
    with pytest.raises(PortfolioError) as raised:
        live_sagemaker_client(None)

    assert raised.value.render() == "live_capacity: cannot read the deployed copy counts (-c live_capacity=true, make diff / make deploy): You must specify a region."


def test_make_diff_without_credentials_ends_in_one_line_and_exit_2(no_aws_configuration):
    # What `make diff` runs: app.py under the CDK CLI, with -c live_capacity=true
    environment = {**no_aws_configuration, "CDK_CONTEXT_JSON": json.dumps({"live_capacity": "true"})}

    result = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=300)

    assert (result.returncode, result.stderr) == (2, "live_capacity: cannot read the deployed copy counts (-c live_capacity=true, make diff / make deploy): Unable to locate credentials\n")
