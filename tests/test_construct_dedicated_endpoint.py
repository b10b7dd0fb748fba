"""DedicatedEndpoint: one model, one variant, its own instances; or production variants by weight, or a shadow variant."""

import pytest
from aws_cdk.assertions import Match, Template

from constructs.dedicated_endpoint import DedicatedEndpoint, EndpointVariant
from constructs.endpoint_isolation import EndpointIsolation
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.plan import ContainerDefinition

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"


def make_endpoint(stack, environment=None, **overrides):
    container = ContainerDefinition(IMAGE, "s3://models/inline/model.tar.gz", environment or {})
    props = dict(endpoint_name="inline", container=container, instance_type="ml.g5.2xlarge", initial_instance_count=2)
    return DedicatedEndpoint(stack, "Inline", **{**props, **overrides})


def test_dedicated_endpoint_serves_its_model_from_a_single_variant(stack):
    make_endpoint(stack, environment={"OPTION_MAX_MODEL_LEN": "2048"})

    template = Template.from_stack(stack)

    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {"PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://models/inline/model.tar.gz", "Environment": {"OPTION_MAX_MODEL_LEN": "2048"}}},
    )
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("InlineModel"), "ModelName"]},
                    "InstanceType": "ml.g5.2xlarge",
                    "InitialInstanceCount": 2,
                    "InitialVariantWeight": 1,
                }
            ]
        },
    )
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": "inline"})


def test_dedicated_endpoint_has_no_managed_instance_scaling(stack):
    make_endpoint(stack)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like({"ManagedInstanceScaling": Match.absent()})]}
    )


def test_invalid_props_are_reported_together(stack):
    with pytest.raises(ValueError, match=r"endpoint_name 'in line'.*initial_instance_count must be at least 1"):
        make_endpoint(stack, endpoint_name="in line", initial_instance_count=0)


def test_concurrent_requests_per_model_is_the_high_resolution_metric(stack):
    endpoint = make_endpoint(stack)

    metric = endpoint.metric_concurrent_requests_per_model()

    assert (metric.metric_name, metric.statistic, metric.period.to_seconds(), metric.dimensions) == (
        "ConcurrentRequestsPerModel", "Maximum", 10, {"EndpointName": "inline", "VariantName": "AllTraffic"})


def test_invocations_are_summed_per_minute(stack):
    metric = make_endpoint(stack).metric_invocations()

    assert (metric.namespace, metric.metric_name, metric.statistic, metric.period.to_seconds()) == ("AWS/SageMaker", "Invocations", "Sum", 60)


def test_an_imported_dedicated_endpoint_grants_and_measures_by_its_name_and_variant(stack):
    imported = DedicatedEndpoint.from_endpoint_name(stack, "Imported", "Existing-Inline", variant_name="Blue")

    assert imported.metric_invocations().dimensions == {"EndpointName": "Existing-Inline", "VariantName": "Blue"}
    assert imported.endpoint_arn.endswith(":endpoint/existing-inline")


def test_updates_keep_the_autoscaled_instance_count_and_roll_back_on_alarms(stack):
    make_endpoint(stack)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "RetainAllVariantProperties": True,
            "DeploymentConfig": {
                "RollingUpdatePolicy": Match.object_like({"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25}}),
                "AutoRollbackConfiguration": {"Alarms": [Match.any_value(), Match.any_value()]},
            },
        },
    )


def test_blue_green_shifts_all_traffic_after_the_wait(stack):
    make_endpoint(stack, guardrails=DeploymentGuardrails(blue_green=True))

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 60}, "TerminationWaitInSeconds": 60},
                "AutoRollbackConfiguration": Match.any_value(),
            }
        },
    )


def test_network_isolation_and_vpc_apply_to_the_model(stack):
    from aws_cdk import aws_ec2 as ec2

    subnet = ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123456789abcdef0")
    group = ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0123456789abcdef0")

    make_endpoint(stack, isolation=EndpointIsolation(subnets=[subnet], security_groups=[group], network_isolation=True))

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Model",
        {"EnableNetworkIsolation": True, "VpcConfig": {"Subnets": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}},
    )


# Variants (issue 11 point 6)

CANDIDATE = EndpointVariant("candidate", ContainerDefinition(IMAGE, "s3://models/inline-v2/model.tar.gz", {}), "ml.g5.xlarge", 1, weight=1)
BLUE_GREEN = DeploymentGuardrails(blue_green=True)


def test_production_variants_share_the_requests_by_weight_each_with_its_own_model(stack):
    make_endpoint(stack, variant_name="current", weight=9, variants=[CANDIDATE], guardrails=BLUE_GREEN)

    template = Template.from_stack(stack)

    template.resource_count_is("AWS::SageMaker::Model", 2)
    template.has_resource_properties("AWS::SageMaker::Model", {"PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://models/inline-v2/model.tar.gz"}})
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ProductionVariants": [
            Match.object_like({"VariantName": "current", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 2, "InitialVariantWeight": 9,
                               "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("InlineModel[0-9A-F]"), "ModelName"]}}),
            Match.object_like({"VariantName": "candidate", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1, "InitialVariantWeight": 1,
                               "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("InlineModelcandidate"), "ModelName"]}}),
        ],
        "ShadowProductionVariants": Match.absent(),
    })


def test_a_shadow_variant_receives_its_sampling_percent_of_the_production_requests(stack):
    shadow = EndpointVariant("shadow", CANDIDATE.container, "ml.g5.xlarge", 1, sampling_percent=50)

    make_endpoint(stack, shadow=shadow, guardrails=BLUE_GREEN)

    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ProductionVariants": [Match.object_like({"VariantName": "AllTraffic", "InitialVariantWeight": 1})],
        "ShadowProductionVariants": [Match.object_like({
            "VariantName": "shadow", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1, "InitialVariantWeight": 0.5,
            "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("InlineModelshadow"), "ModelName"]},
        })],
    })


def test_every_variant_rule_is_reported_at_once(stack):
    eleven = [EndpointVariant(f"v{index}", CANDIDATE.container, "ml.g5.xlarge") for index in range(10)]
    shadow = EndpointVariant("v1", CANDIDATE.container, "ml.g5.xlarge", 0, sampling_percent=0)

    with pytest.raises(ValueError) as raised:
        make_endpoint(stack, weight=0, variants=eleven, shadow=shadow)

    message = str(raised.value)
    assert message.startswith("DedicatedEndpoint: ")
    problems = message.removeprefix("DedicatedEndpoint: ").split("; ")
    for problem in ("weight must be above 0, got 0", "at most 10 production variants, got 11", "with a shadow variant the endpoint has exactly one production variant, got 11",
                    "variant names must be unique, v1 used twice", "variant v1: initial_instance_count must be at least 1, got 0", "variant v1: sampling_percent must be 1 to 100, got 0",
                    "an endpoint with several variants updates blue/green only (rolling deployments exclude multi-variant endpoints): set blue_green"):
        assert problem in problems
