"""The example's hybrid hosting stack, as `cdk synth` produces it (splitting large portfolios: test_stack_splitting.py)."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk.assertions import Match
from syrupy.extensions.json import JSONSnapshotExtension


def test_inference_components_reserve_accelerators_and_memory_per_copy(example_template):
    components = example_template.find_resources(
        "AWS::SageMaker::InferenceComponent",
        {"Properties": {"Specification": {"ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": Match.any_value(), "MinMemoryRequiredInMb": Match.any_value()}}}},
    )

    assert len(components) == 5


def test_pool_endpoint_configs_have_model_less_variants_with_managed_instance_scaling(example_template):
    configs = example_template.find_resources(
        "AWS::SageMaker::EndpointConfig",
        {"Properties": {"ProductionVariants": [Match.object_like({"ModelName": Match.absent(), "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": Match.any_value(), "MaxInstanceCount": Match.any_value()}})]}},
    )

    assert len(configs) == 2


def test_a100_pool_may_scale_to_zero_instances(example_template):
    example_template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [Match.object_like({"InstanceType": "ml.p4d.24xlarge", "InitialInstanceCount": 1, "ManagedInstanceScaling": Match.object_like({"MinInstanceCount": 0})})]},
    )


def test_components_scale_on_high_resolution_concurrency_per_copy(example_template):
    policies = example_template.find_resources(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {"Properties": {"TargetTrackingScalingPolicyConfiguration": {"PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"}}}},
    )

    assert len(policies) == 4  # blockgen, flowgpt, apexguru, codegen-xl; textevel scales on invocations per copy


def test_dedicated_endpoint_scales_on_high_resolution_concurrency_per_model(example_template):
    example_template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {"TargetTrackingScalingPolicyConfiguration": Match.object_like({"PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantConcurrentRequestsPerModelHighResolution"}, "TargetValue": 10})},
    )
    example_template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"ResourceId": "endpoint/codegen-platform-inline/variant/AllTraffic", "MinCapacity": 2, "MaxCapacity": 8}
    )


def test_scale_to_zero_components_have_a_no_capacity_alarm_wired_to_a_step_policy(example_template):
    step_policies = example_template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy", {"Properties": {"PolicyType": "StepScaling"}})
    alarms = example_template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "NoCapacityInvocationFailures"}})

    woken = {alarm["Properties"]["Dimensions"][0]["Value"] for alarm in alarms.values()}
    actions = {alarm["Properties"]["AlarmActions"][0]["Ref"] for alarm in alarms.values()}
    assert woken == {"codegen-platform-apexguru", "codegen-platform-codegen-xl"}
    assert actions == set(step_policies)


def test_inference_component_with_zero_min_copies_starts_with_one_copy_and_may_scale_to_zero(example_template):
    example_template.has_resource_properties("AWS::SageMaker::InferenceComponent", {"InferenceComponentName": "codegen-platform-apexguru", "RuntimeConfig": {"CopyCount": 1}})
    example_template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"ResourceId": "inference-component/codegen-platform-apexguru", "MinCapacity": 0})


def test_no_iam_role_is_created_for_a_scalable_target(example_template):
    roles = example_template.find_resources("AWS::IAM::Role")
    targets = example_template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")

    assert all("RoleARN" not in target["Properties"] for target in targets.values())
    assert len(roles) == 3  # one execution role per endpoint: two pools, one dedicated endpoint
    assert all(role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"} for role in roles.values())


def test_every_resource_carries_the_portfolio_tags(example_template):
    example_template.all_resources_properties(
        "AWS::SageMaker::InferenceComponent", {"Tags": Match.array_with([{"Key": "team", "Value": "ai-platform"}])}
    )


def test_example_stack_matches_its_snapshot(example_stacks, snapshot):
    (stack,) = example_stacks
    # Asset hashes and CDK's analytics blob change with unrelated CDK releases.
    masked = re.sub(r'"[0-9a-f]{64}', '"<asset-hash>', json.dumps(stack.template, sort_keys=True))
    template = json.loads(masked)
    template["Resources"].pop("CDKMetadata", None)

    assert template == snapshot(extension_class=JSONSnapshotExtension)


INF2_AND_GPU_PORTFOLIO = """
version: 1
name: hardened
region: us-east-1
pools:
  - name: neuron
    instance_type: ml.inf2.24xlarge
    instances: {min: 1, max: 2}
    network: {subnets: [subnet-0123456789abcdef0], security_groups: [sg-0123456789abcdef0], isolation: true}
  - name: gpu
    instance_type: ml.g5.12xlarge
    instances: {min: 1, max: 2}
models:
  - name: small
    image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-neuronx-sdk2.19.1
    pool: neuron
    per_copy: {accelerators: 1, memory_mb: 8192}
  - name: medium
    image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124
    pool: gpu
    per_copy: {accelerators: 1, memory_mb: 8192}
  - name: steady
    image: 763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124
    hosting: dedicated
    instance_type: ml.g5.2xlarge
    ssm_access: true
    deployment: {strategy: blue-green, wait_s: 300}
"""


@pytest.fixture(scope="module")
def hardened_template(tmp_path_factory):
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from loadmaster.planner.make import plan_file
    from stacks import add_stacks

    path = tmp_path_factory.mktemp("hardened") / "portfolio.yaml"
    path.write_text(INF2_AND_GPU_PORTFOLIO)
    (stack,) = add_stacks(cdk.App(), plan_file(path))
    return Template.from_stack(stack)


def test_a_customer_managed_key_encrypts_endpoints_whose_instances_have_no_local_nvme(hardened_template):
    hardened_template.resource_count_is("AWS::KMS::Key", 1)
    hardened_template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    hardened_template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("StorageKey"), "Arn"]}, "ProductionVariants": [Match.object_like({"InstanceType": "ml.inf2.24xlarge"})]},
    )


def test_no_kms_key_on_instance_types_with_local_nvme(hardened_template):
    for instance_type in ("ml.g5.12xlarge", "ml.g5.2xlarge"):
        hardened_template.has_resource_properties(
            "AWS::SageMaker::EndpointConfig", {"KmsKeyId": Match.absent(), "ProductionVariants": [Match.object_like({"InstanceType": instance_type})]}
        )


def test_a_pools_network_puts_its_endpoint_in_the_vpc_isolated(hardened_template):
    hardened_template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"VpcConfig": {"Subnets": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}, "EnableNetworkIsolation": True},
    )


def test_ssm_access_and_blue_green_deployment_are_set_only_where_asked(hardened_template):
    hardened_template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like({"InstanceType": "ml.g5.2xlarge", "EnableSSMAccess": True})]})
    hardened_template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like({"InstanceType": "ml.g5.12xlarge", "EnableSSMAccess": False})]})
    hardened_template.has_resource_properties(
        "AWS::SageMaker::Endpoint", {"EndpointName": "hardened-steady", "DeploymentConfig": Match.object_like({"BlueGreenUpdatePolicy": Match.object_like({"TerminationWaitInSeconds": 300})})}
    )


def test_example_components_roll_back_on_errors_and_their_latency_slo(example_template):
    example_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ModelLatency", "Dimensions": [{"Name": "InferenceComponentName", "Value": "codegen-platform-blockgen"}], "Threshold": 1_500_000},
    )


PORTFOLIO_KEY = "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MODEL_KEY = "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
GOVCLOUD_IMAGE = "442386744353.dkr.ecr.us-gov-west-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
# Dedicated endpoints only: CloudFormation has no AWS::SageMaker::InferenceComponent in us-gov-west-1 (CDK's
# validation against the region's resource types refuses the template).
GOVCLOUD_PORTFOLIO = f"""
version: 1
name: gov
region: us-gov-west-1
artifact_kms_key_arn: {PORTFOLIO_KEY}
models:
  - name: small
    image: {GOVCLOUD_IMAGE}
    artifact: s3://gov-models/small/model.tar.gz
    hosting: dedicated
    instance_type: ml.g5.2xlarge
  - name: base
    image: {GOVCLOUD_IMAGE}
    hosting: dedicated
    instance_type: ml.g5.2xlarge
  - name: steady
    image: {GOVCLOUD_IMAGE}
    artifact: s3://team-b-models/steady/
    artifact_kms_key_arn: {MODEL_KEY}
    hosting: dedicated
    instance_type: ml.g5.2xlarge
"""


@pytest.fixture(scope="module")
def govcloud_stacks(tmp_path_factory):
    from loadmaster.planner.make import plan_file
    from loadmaster.synthesis import synthesize

    path = tmp_path_factory.mktemp("govcloud") / "portfolio.yaml"
    path.write_text(GOVCLOUD_PORTFOLIO)
    return synthesize(plan_file(path), path.parent / "cdk.out")  # with cdk.json's flags, partition literals among them


def iam_statements(template: dict) -> dict[str, list[dict]]:
    """Each IAM policy's statements (roles' trust policies included), by logical id."""
    statements = {}
    for logical_id, resource in template["Resources"].items():
        properties = resource["Properties"]
        documents = [properties.get("PolicyDocument"), properties.get("AssumeRolePolicyDocument")]
        if resource["Type"].startswith("AWS::IAM::"):
            statements[logical_id] = [statement for document in documents if document for statement in document["Statement"]]
    return statements


def test_a_govcloud_stack_names_no_arn_of_the_commercial_partition(govcloud_stacks):
    (stack,) = govcloud_stacks

    assert '"arn:aws:' not in json.dumps(iam_statements(stack.template))
    assert "arn:aws:" not in json.dumps(stack.template)


def test_each_role_decrypts_with_its_models_artifact_key_only_the_models_own_before_the_portfolios(govcloud_stacks):
    (stack,) = govcloud_stacks
    decrypts = {
        logical_id.split("ExecutionRole")[0]: [statement["Resource"] for statement in statements if "kms:" in json.dumps(statement["Action"])]
        for logical_id, statements in iam_statements(stack.template).items()
        if "DefaultPolicy" in logical_id
    }

    # small's artifact takes the portfolio's key, base has no artifact, steady names its own
    assert decrypts == {"Dedicatedsmall": [PORTFOLIO_KEY], "Dedicatedbase": [], "Dedicatedsteady": [MODEL_KEY]}
