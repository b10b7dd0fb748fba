"""InferenceComponentEndpoint: a model-less variant with managed instance scaling and routing."""

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from constructs.endpoint_isolation import EndpointIsolation
from constructs.inference_component_endpoint import InferenceComponentEndpoint
from loadmaster.plan import RoutingStrategy


def make_endpoint(stack, **overrides):
    props = dict(endpoint_name="shared-gpu", instance_type="ml.g5.12xlarge", min_instance_count=0, max_instance_count=4)
    return InferenceComponentEndpoint(stack, "Endpoint", **{**props, **overrides})


def test_endpoint_config_variant_has_no_model_and_enables_managed_instance_scaling(stack):
    make_endpoint(stack)

    template = Template.from_stack(stack)

    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ExecutionRoleArn": Match.any_value(),
            "ProductionVariants": [
                Match.object_equals(
                    {
                        "VariantName": "AllTraffic",
                        "InstanceType": "ml.g5.12xlarge",
                        "InitialInstanceCount": 1,
                        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 4},
                        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
                        "EnableSSMAccess": False,
                    }
                )
            ],
        },
    )
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": "shared-gpu"})


def test_endpoint_config_is_named_by_cloudformation_so_replacing_it_cannot_collide(stack):
    make_endpoint(stack)

    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::EndpointConfig", {"EndpointConfigName": Match.absent()})


def test_random_routing_is_passed_through(stack):
    make_endpoint(stack, routing=RoutingStrategy.RANDOM)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like({"RoutingConfig": {"RoutingStrategy": "RANDOM"}})]}
    )


def test_invalid_props_are_reported_together(stack):
    with pytest.raises(ValueError) as raised:
        make_endpoint(stack, endpoint_name="bad_name", min_instance_count=5, max_instance_count=2, initial_instance_count=0)

    message = str(raised.value)
    assert "endpoint_name 'bad_name'" in message
    assert "min_instance_count (5) is above max_instance_count (2)" in message
    assert "initial_instance_count must be at least 1" in message


def test_grant_invoke_allows_invoking_this_endpoint_only(stack):
    endpoint = make_endpoint(stack)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())

    endpoint.grant_invoke(caller)

    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("Caller")}],
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
                            "Resource": {"Fn::Join": ["", Match.array_with([Match.string_like_regexp(":endpoint/shared-gpu$")])]},
                        }
                    )
                ]
            },
        },
    )


def test_metrics_are_dimensioned_by_endpoint_and_variant(stack):
    endpoint = make_endpoint(stack)

    metric = endpoint.metric_invocation_5xx_errors()

    assert metric.namespace == "AWS/SageMaker"
    assert metric.metric_name == "Invocation5XXErrors"
    assert metric.dimensions == {"EndpointName": "shared-gpu", "VariantName": "AllTraffic"}


def test_an_imported_endpoint_grants_and_measures_by_name(stack):
    imported = InferenceComponentEndpoint.from_endpoint_name(stack, "Imported", "existing-endpoint")

    assert imported.metric_model_latency().dimensions == {"EndpointName": "existing-endpoint", "VariantName": "AllTraffic"}
    assert Template.from_stack(stack).find_resources("AWS::SageMaker::Endpoint") == {}


def test_updates_keep_the_instance_count_managed_scaling_reached(stack):
    make_endpoint(stack)

    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::Endpoint", {"RetainAllVariantProperties": True})


def test_no_kms_key_network_isolation_or_vpc_unless_given(stack):
    make_endpoint(stack)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"KmsKeyId": Match.absent(), "VpcConfig": Match.absent(), "EnableNetworkIsolation": False}
    )


def test_kms_key_vpc_isolation_and_ssm_are_passed_to_the_endpoint_config(stack):
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    subnet = ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123456789abcdef0")
    group = ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0123456789abcdef0")

    make_endpoint(
        stack,
        instance_type="ml.inf2.24xlarge",
        isolation=EndpointIsolation(kms_key=key, subnets=[subnet], security_groups=[group], network_isolation=True, ssm_access=True),
    )

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("Key"), "Arn"]},
            "VpcConfig": {"Subnets": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]},
            "EnableNetworkIsolation": True,
            "ProductionVariants": [Match.object_like({"EnableSSMAccess": True})],
        },
    )


def test_subnets_without_security_groups_are_rejected(stack):
    subnet = ec2.Subnet.from_subnet_id(stack, "Subnet", "subnet-0123456789abcdef0")

    with pytest.raises(ValueError, match="subnets and security_groups go together"):
        make_endpoint(stack, isolation=EndpointIsolation(subnets=[subnet]))
