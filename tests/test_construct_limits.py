"""Every construct's props at SageMaker's limits: the limit itself is accepted as it is, one step past it is refused
with a message naming the prop, and grants stay on the one endpoint they are for."""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from constructs.dedicated_endpoint import DedicatedEndpoint
from constructs.endpoint_isolation import EndpointIsolation
from constructs.inference_component import InferenceComponent
from constructs.inference_component_endpoint import InferenceComponentEndpoint
from constructs.rollback_alarms import DeploymentGuardrails

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
ENV = cdk.Environment(account="123456789012", region="us-east-1")


def new_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Limits", env=ENV)


def pool(stack, name="shared-gpu", **overrides) -> InferenceComponentEndpoint:
    props = dict(endpoint_name=name, instance_type="ml.g5.12xlarge", initial_instance_count=1, max_instance_count=2)
    return InferenceComponentEndpoint(stack, f"Pool-{name}", **{**props, **overrides})


def component(stack, endpoint, name="blockgen", **overrides) -> InferenceComponent:
    props = dict(endpoint=endpoint, component_name=name, image=IMAGE, memory_mb=8192, accelerators=1)
    return InferenceComponent(stack, f"Component-{name}", **{**props, **overrides})


def dedicated(stack, name="inline", **overrides) -> DedicatedEndpoint:
    props = dict(endpoint_name=name, image=IMAGE, instance_type="ml.c5.xlarge")
    return DedicatedEndpoint(stack, f"Dedicated-{name}", **{**props, **overrides})


@pytest.fixture(scope="module")
def at_the_limits():
    """One stack with every construct at the limits SageMaker accepts, synthesized once."""
    stack = new_stack()
    floor = pool(stack, "floor", initial_instance_count=1, min_instance_count=0, max_instance_count=1)
    pool(stack, "fixed", initial_instance_count=3, min_instance_count=3, max_instance_count=3)
    pool(stack, "default-max", initial_instance_count=2)
    component(stack, floor, "smallest", memory_mb=128, accelerators=0, cpu_cores=0.25, copy_count=1,
              model_download_timeout_s=60, health_check_timeout_s=3600, guardrails=DeploymentGuardrails(batch_percent=5, rollback_errors_per_minute=1))
    component(stack, floor, "widest", guardrails=DeploymentGuardrails(batch_percent=50), model_download_timeout_s=3600, health_check_timeout_s=60)
    dedicated(stack, "single", initial_instance_count=1)
    return Template.from_stack(stack)


def variant_of(template, endpoint_name):
    """The production variant of the endpoint config the endpoint `endpoint_name` uses."""
    (endpoint,) = template.find_resources("AWS::SageMaker::Endpoint", {"Properties": {"EndpointName": endpoint_name}}).values()
    config_id = endpoint["Properties"]["EndpointConfigName"]["Fn::GetAtt"][0]
    (variant,) = template.to_json()["Resources"][config_id]["Properties"]["ProductionVariants"]
    return variant


def component_named(template, name):
    (found,) = template.find_resources("AWS::SageMaker::InferenceComponent", {"Properties": {"InferenceComponentName": name}}).values()
    return found["Properties"]


# InferenceComponentEndpoint


def test_a_pool_may_scale_to_zero_instances_from_one(at_the_limits):
    variant = variant_of(at_the_limits, "floor")

    assert (variant["InitialInstanceCount"], variant["ManagedInstanceScaling"]) == (1, {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 1})


def test_a_pool_may_be_fixed_with_min_initial_and_max_equal(at_the_limits):
    variant = variant_of(at_the_limits, "fixed")

    assert (variant["InitialInstanceCount"], variant["ManagedInstanceScaling"]["MinInstanceCount"], variant["ManagedInstanceScaling"]["MaxInstanceCount"]) == (3, 3, 3)


def test_a_pools_ceiling_is_its_initial_count_unless_given(at_the_limits):
    assert variant_of(at_the_limits, "default-max")["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2}


@pytest.mark.parametrize(("counts", "problem"), [
    ({"initial_instance_count": 0, "min_instance_count": 0}, "initial_instance_count must be at least 1, got 0"),
    ({"min_instance_count": -1}, "min_instance_count must be at least 0, got -1"),
    ({"min_instance_count": 3, "max_instance_count": 2}, "min_instance_count (3) is above max_instance_count (2)"),
    ({"initial_instance_count": 3, "max_instance_count": 2}, "initial_instance_count (3) is above max_instance_count (2)"),
], ids=["no-initial-instance", "negative-min", "min-above-max", "initial-above-max"])
def test_a_pool_past_its_limits_is_refused_naming_the_count(counts, problem):
    with pytest.raises(ValueError) as raised:
        pool(new_stack(), **counts)

    assert str(raised.value) == f"InferenceComponentEndpoint: {problem}"


@pytest.mark.parametrize("name", ["a" * 63, "pool-1"])
def test_a_pool_takes_any_sagemaker_name(name):
    pool(new_stack(), name)


def test_a_pool_with_a_name_sagemaker_refuses_is_refused():
    with pytest.raises(ValueError, match="^InferenceComponentEndpoint: endpoint_name 'pool_1' is not a valid SageMaker name$"):
        pool(new_stack(), "pool_1")


# InferenceComponent


def test_a_component_may_ask_for_the_least_sagemaker_accepts(at_the_limits):
    smallest = component_named(at_the_limits, "smallest")

    assert smallest["Specification"]["ComputeResourceRequirements"] == {"MinMemoryRequiredInMb": 128, "NumberOfCpuCoresRequired": 0.25}
    assert smallest["Specification"]["StartupParameters"] == {"ModelDataDownloadTimeoutInSeconds": 60, "ContainerStartupHealthCheckTimeoutInSeconds": 3600}
    assert smallest["RuntimeConfig"] == {"CopyCount": 1}
    assert smallest["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 5}


def test_a_component_may_roll_half_its_copies_at_a_time_and_wait_the_longest_startup(at_the_limits):
    widest = component_named(at_the_limits, "widest")

    assert widest["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 50}
    assert widest["Specification"]["StartupParameters"] == {"ModelDataDownloadTimeoutInSeconds": 3600, "ContainerStartupHealthCheckTimeoutInSeconds": 60}


def test_a_component_without_startup_timeouts_leaves_them_to_sagemaker():
    stack = new_stack()
    component(stack, pool(stack))

    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::InferenceComponent", {"Specification": {"StartupParameters": Match.absent()}})


@pytest.mark.parametrize(("props", "problem"), [
    ({"memory_mb": 127}, "memory_mb must be at least 128, got 127"),
    ({"accelerators": -1}, "accelerators must be at least 0, got -1"),
    ({"cpu_cores": 0.24}, "cpu_cores must be at least 0.25, got 0.24"),
    ({"copy_count": 0}, "copy_count must be at least 1 at creation, got 0"),
    ({"model_download_timeout_s": 59}, "startup timeouts must be 60 to 3600 seconds, got 59"),
    ({"health_check_timeout_s": 3601}, "startup timeouts must be 60 to 3600 seconds, got 3601"),
    ({"guardrails": DeploymentGuardrails(batch_percent=4)}, "batch_percent must be 5 to 50, got 4"),
    ({"guardrails": DeploymentGuardrails(batch_percent=51)}, "batch_percent must be 5 to 50, got 51"),
    ({"guardrails": DeploymentGuardrails(rollback_errors_per_minute=0)}, "rollback_errors_per_minute must be at least 1, got 0"),
], ids=["memory", "accelerators", "cpu", "copies", "download-timeout", "health-check-timeout", "batch-below", "batch-above", "errors"])
def test_a_component_one_step_past_a_limit_is_refused_naming_the_prop(props, problem):
    stack = new_stack()
    endpoint = pool(stack)

    with pytest.raises(ValueError) as raised:
        component(stack, endpoint, **props)

    assert str(raised.value) == f"InferenceComponent: {problem}"


def test_a_component_with_a_name_sagemaker_refuses_is_refused():
    stack = new_stack()
    endpoint = pool(stack)

    with pytest.raises(ValueError, match="^InferenceComponent: component_name 'block gen' is not a valid SageMaker name$"):
        component(stack, endpoint, "block gen")


def test_a_components_invoke_grant_names_its_endpoint_only():
    # Given two pools, a component on the second, and a caller
    stack = new_stack()
    pool(stack, "first")
    placed = component(stack, pool(stack, "second"))
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    # When
    placed.grant_invoke(caller)
    # Then the caller may invoke the second endpoint, and nothing else
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": Match.string_like_regexp("Caller")}]}}).values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    assert statement["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:us-east-1:123456789012:endpoint/second"]]}


def test_an_imported_components_invoke_grant_names_its_endpoint_in_lower_case():
    # SageMaker's ARNs write endpoint names in lower case (IAM compares ARNs case-sensitively).
    stack = new_stack()
    imported = InferenceComponent.from_inference_component_name(stack, "Imported", "existing", endpoint_name="Shared-GPU")
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())

    imported.grant_invoke(caller)

    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": [Match.object_like({
        "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:us-east-1:123456789012:endpoint/shared-gpu"]]},
    })]}})


# DedicatedEndpoint


def test_a_dedicated_endpoint_may_start_with_one_instance(at_the_limits):
    assert variant_of(at_the_limits, "single")["InitialInstanceCount"] == 1


def test_a_dedicated_endpoint_without_an_instance_is_refused():
    with pytest.raises(ValueError, match="^DedicatedEndpoint: initial_instance_count must be at least 1, got 0$"):
        dedicated(new_stack(), initial_instance_count=0)


def test_a_dedicated_endpoint_with_a_name_sagemaker_refuses_is_refused():
    with pytest.raises(ValueError, match="^DedicatedEndpoint: endpoint_name 'in.line' is not a valid SageMaker name$"):
        dedicated(new_stack(), "in.line")


def test_a_dedicated_endpoints_invoke_grant_names_it_only():
    stack = new_stack()
    dedicated(stack, "other")
    endpoint = dedicated(stack, "inline")
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())

    endpoint.grant_invoke(caller)

    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": Match.string_like_regexp("Caller")}]}}).values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:us-east-1:123456789012:endpoint/inline"]]}


# EndpointIsolation


@pytest.mark.parametrize("half", ["subnets", "security_groups"])
def test_half_a_vpc_is_refused(half):
    stack = new_stack()
    given = {
        "subnets": [ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123")],
        "security_groups": [ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0123")],
    }

    assert EndpointIsolation(**{half: given[half]}).problems() == ["subnets and security_groups go together: a VPC needs both"]


def test_a_whole_vpc_or_none_is_accepted():
    stack = new_stack()
    subnets = [ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123")]
    groups = [ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0123")]

    assert EndpointIsolation(subnets=subnets, security_groups=groups).problems() == EndpointIsolation().problems() == []


def test_a_dedicated_endpoint_starts_with_one_instance_unless_told():
    stack = new_stack()

    endpoint = DedicatedEndpoint(stack, "Dedicated", endpoint_name="inline", image=IMAGE, instance_type="ml.c5.xlarge")

    assert endpoint.instance_type == "ml.c5.xlarge"
    assert variant_of(Template.from_stack(stack), "inline")["InitialInstanceCount"] == 1


def test_a_dedicated_endpoints_problems_are_reported_together():
    with pytest.raises(ValueError) as raised:
        dedicated(new_stack(), "in.line", initial_instance_count=0)

    assert str(raised.value) == "DedicatedEndpoint: endpoint_name 'in.line' is not a valid SageMaker name; initial_instance_count must be at least 1, got 0"


def test_a_dedicated_endpoints_role_reads_its_artifact_with_its_key_and_keeps_its_logical_id():
    stack = new_stack()
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    dedicated(stack, artifact_url="s3://models/inline/model.tar.gz", artifact_kms_key_arn=key)

    template = Template.from_stack(stack)
    (role_id,) = template.find_resources("AWS::IAM::Role")
    assert re.fullmatch(r"DedicatedinlineExecutionRole[0-9A-F]{8}", role_id)
    (policy,) = template.find_resources("AWS::IAM::Policy").values()
    granted = {json.dumps(statement["Action"]): statement["Resource"] for statement in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert granted['"kms:Decrypt"'] == key
    assert granted['"s3:GetObject"'] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::models/inline/*"]]}
