"""InferenceComponent: container, per-copy compute, copy count, and the grants its container needs."""

import re

import pytest
from aws_cdk.assertions import Match, Template

from constructs.inference_component import InferenceComponent
from constructs.inference_component_endpoint import InferenceComponentEndpoint
from constructs.rollback_alarms import DeploymentGuardrails
from loadmaster.plan import ContainerDefinition

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"


def make_component(stack, environment=None, **overrides):
    endpoint = InferenceComponentEndpoint(stack, "Endpoint", endpoint_name="shared-gpu", instance_type="ml.g5.12xlarge", max_instance_count=2)
    container = ContainerDefinition(IMAGE, "s3://models/blockgen/model.tar.gz", environment or {})
    props = dict(endpoint=endpoint, component_name="blockgen", container=container, accelerators=1, memory_mb=24576, cpu_cores=4, copy_count=2)
    return InferenceComponent(stack, "Component", **{**props, **overrides})


def test_component_reserves_accelerators_cpu_and_memory_per_copy_on_its_endpoint(stack):
    make_component(stack, model_download_timeout_s=600, health_check_timeout_s=900, environment={"OPTION_MAX_MODEL_LEN": "4096"})

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::InferenceComponent",
        {
            "InferenceComponentName": "blockgen",
            "EndpointName": "shared-gpu",
            "VariantName": "AllTraffic",
            "Specification": {
                "Container": {"Image": IMAGE, "ArtifactUrl": "s3://models/blockgen/model.tar.gz", "Environment": {"OPTION_MAX_MODEL_LEN": "4096"}},
                "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "NumberOfCpuCoresRequired": 4, "MinMemoryRequiredInMb": 24576},
                "StartupParameters": {"ModelDataDownloadTimeoutInSeconds": 600, "ContainerStartupHealthCheckTimeoutInSeconds": 900},
            },
            "RuntimeConfig": {"CopyCount": 2},
        },
    )


def test_cpu_component_asks_for_no_accelerator(stack):
    make_component(stack, accelerators=0)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::InferenceComponent", {"Specification": {"ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": Match.absent()}}}
    )


def test_endpoint_role_may_pull_the_image_repository_and_read_the_artifact_prefix_only(stack):
    make_component(stack)

    statements = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    (policy,) = statements.values()
    by_action = {str(statement["Action"]): statement for statement in policy["Properties"]["PolicyDocument"]["Statement"]}
    pull = by_action[str(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])]
    assert pull["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ecr:us-east-1:763104351884:repository/djl-inference"]]}
    read = by_action["s3:GetObject"]
    assert read["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::models/blockgen/*"]]}
    wildcard_actions = {str(statement["Action"]) for statement in by_action.values() if statement["Resource"] == "*"}
    # AWS offers no resource-level permission for these two.
    assert wildcard_actions == {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}


def test_component_is_created_after_its_endpoint_and_role_policy(stack):
    make_component(stack)

    Template.from_stack(stack).has_resource(
        "AWS::SageMaker::InferenceComponent",
        {"DependsOn": Match.array_with([Match.string_like_regexp("^Endpoint[0-9A-F]{8}$"), Match.string_like_regexp("ExecutionRoleDefaultPolicy")])},
    )


def test_invalid_props_are_reported_together(stack):
    with pytest.raises(ValueError) as raised:
        make_component(stack, component_name="-bad", memory_mb=64, cpu_cores=0.1, copy_count=0, health_check_timeout_s=30)

    message = str(raised.value)
    for expected in ("component_name '-bad'", "memory_mb must be at least 128", "cpu_cores must be at least 0.25",
                     "copy_count must be at least 1", "startup timeouts must be 60 to 3600 seconds, got 30"):
        assert expected in message


def test_metrics_are_dimensioned_by_component_name(stack):
    component = make_component(stack)

    per_copy = component.metric_concurrent_requests_per_copy()

    assert (per_copy.metric_name, per_copy.statistic, per_copy.period.to_seconds(), per_copy.dimensions) == (
        "ConcurrentRequestsPerCopy", "Maximum", 10, {"InferenceComponentName": "blockgen"})
    no_capacity = component.metric_no_capacity_invocation_failures()
    assert (no_capacity.metric_name, no_capacity.statistic) == ("NoCapacityInvocationFailures", "Sum")


def test_an_imported_component_measures_by_name(stack):
    imported = InferenceComponent.from_inference_component_name(stack, "Imported", "existing", endpoint_name="shared")

    assert imported.metric("ModelLatency").dimensions == {"InferenceComponentName": "existing"}


def test_updates_roll_through_copies_and_roll_back_on_the_components_own_alarms(stack):
    import aws_cdk as cdk

    make_component(stack, guardrails=DeploymentGuardrails(batch_percent=20, wait=cdk.Duration.seconds(90), rollback_errors_per_minute=3, rollback_latency=cdk.Duration.seconds(2)))

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SageMaker::InferenceComponent",
        {
            "DeploymentConfig": {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 20},
                    "RollbackMaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 20},
                    "WaitIntervalInSeconds": 90,
                },
                "AutoRollbackConfiguration": {
                    "Alarms": [{"AlarmName": {"Ref": Match.string_like_regexp("RollbackAlarmsErrors")}}, {"AlarmName": {"Ref": Match.string_like_regexp("RollbackAlarmsLatency")}}]
                },
            }
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "Invocation5XXErrors", "Dimensions": [{"Name": "InferenceComponentName", "Value": "blockgen"}], "Statistic": "Sum", "Threshold": 3, "EvaluationPeriods": 2},
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ModelLatency", "ExtendedStatistic": "p90", "Threshold": 2_000_000, "ComparisonOperator": "GreaterThanThreshold"},
    )


def test_batch_percent_outside_sagemakers_range_is_rejected(stack):
    with pytest.raises(ValueError, match="batch_percent must be 5 to 50, got 80"):
        make_component(stack, guardrails=DeploymentGuardrails(batch_percent=80))


def test_a_component_asks_for_one_copy_and_no_accelerator_unless_told(stack):
    endpoint = InferenceComponentEndpoint(stack, "Endpoint", endpoint_name="shared-cpu", instance_type="ml.c5.xlarge")

    InferenceComponent(stack, "Component", endpoint=endpoint, component_name="tagger", image=IMAGE, memory_mb=1024)

    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::InferenceComponent", {
        "Specification": {"ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024, "NumberOfAcceleratorDevicesRequired": Match.absent()}},
        "RuntimeConfig": {"CopyCount": 1},
    })


def test_one_startup_timeout_alone_is_passed_alone(stack):
    make_component(stack, health_check_timeout_s=900)

    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::InferenceComponent", {
        "Specification": {"StartupParameters": {"ContainerStartupHealthCheckTimeoutInSeconds": 900, "ModelDataDownloadTimeoutInSeconds": Match.absent()}},
    })


def test_the_component_keeps_the_logical_id_of_its_construct(stack):
    # The construct's own resource takes its logical id: another would make CloudFormation replace the component.
    make_component(stack)

    (logical_id,) = Template.from_stack(stack).find_resources("AWS::SageMaker::InferenceComponent")
    assert re.fullmatch(r"Component[0-9A-F]{8}", logical_id)


def test_an_artifact_encrypted_with_a_kms_key_is_decrypted_by_the_endpoints_role(stack):
    key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    make_component(stack, artifact_kms_key_arn=key)

    Template.from_stack(stack).has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": Match.array_with([
        {"Action": "kms:Decrypt", "Effect": "Allow", "Resource": key},
    ])}})
