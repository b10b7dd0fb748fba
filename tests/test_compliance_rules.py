"""loadmaster's compliance rules, each on small stacks: a resource that complies, one that does not, one it ignores."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import region_info
from aws_cdk.assertions import Template
from cdk_nag import NagRuleCompliance

from policies.rules.component_has_scaling_policy import COMPONENT_HAS_SCALING_POLICY
from policies.rules.dedicated_endpoint_has_scaling_policy import DEDICATED_ENDPOINT_HAS_SCALING_POLICY
from policies.rules.deployment_guardrails_present import DEPLOYMENT_GUARDRAILS_PRESENT
from policies.rules.iam_arns_in_stack_partition import IAM_ARNS_IN_STACK_PARTITION
from policies.rules.kms_key_where_supported import KMS_KEY_WHERE_SUPPORTED
from policies.rules.list_bucket_has_prefix_condition import LIST_BUCKET_HAS_PREFIX_CONDITION
from policies.rules.no_kms_key_on_nvme_instances import NO_KMS_KEY_ON_NVME_INSTANCES
from policies.rules.scalable_target_has_no_role import SCALABLE_TARGET_HAS_NO_ROLE
from policies.rules.scale_to_zero_has_wake_alarm import SCALE_TO_ZERO_HAS_WAKE_ALARM
from policies.rules.template import StackTemplate
from policies.scalable_capacity import ScalableCapacity
from policies.scale_from_zero import ScaleFromZero

COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE = NagRuleCompliance.COMPLIANT, NagRuleCompliance.NON_COMPLIANT, NagRuleCompliance.NOT_APPLICABLE
NVME_INSTANCE = "ml.g5.12xlarge"  # 3800 GB of local NVMe in the catalog
EBS_ONLY_INSTANCE = "ml.inf2.xlarge"
ROLLING_UPDATE = {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25}, "WaitIntervalInSeconds": 60}
ROLLBACK_ALARMS = {"Alarms": [{"AlarmName": "errors"}]}


def verdict(rule, node):
    """What `rule` says of `node`, in its stack's template as synthesized now."""
    stack = cdk.Stack.of(node)
    partition = None if cdk.Token.is_unresolved(stack.region) else region_info.RegionInfo.get(stack.region).partition
    template = StackTemplate(Template.from_stack(stack).to_json(), partition)
    return rule.judge(template.resource(stack.get_logical_id(node)), template)


def inference_component(stack, name="apexguru", deployment_config=None):
    properties = {"EndpointName": "shared", "InferenceComponentName": name, "DeploymentConfig": deployment_config}
    return cdk.CfnResource(stack, f"Component-{name}", type="AWS::SageMaker::InferenceComponent", properties=properties)


def copies_of(stack, component, min_copies=1, name="apexguru"):
    return ScalableCapacity.of_copies(stack, f"Copies-{name}", component_name=name, component=component, min_copies=min_copies, max_copies=4)


def track_concurrency(capacity):
    capacity.track_metric(
        "TargetTracking", predefined_metric_type="SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution", target_value=4, scale_in_cooldown_s=300, scale_out_cooldown_s=60
    )


def endpoint_config(stack, instance_type=NVME_INSTANCE, kms_key_id=None, model_name=None):
    variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(variant_name="AllTraffic", instance_type=instance_type, initial_instance_count=1, model_name=model_name)
    return sagemaker.CfnEndpointConfig(stack, "Config", production_variants=[variant], kms_key_id=kms_key_id)


def endpoint(stack, *, dedicated, deployment_config=None):
    config = endpoint_config(stack, model_name="inline-model" if dedicated else None)
    return sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_name="inline", endpoint_config_name=config.attr_endpoint_config_name, deployment_config=deployment_config)


def no_capacity_failures_of(component_name):
    return cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures", dimensions_map={"InferenceComponentName": component_name})


# ComponentHasScalingPolicy


def test_a_component_with_target_tracking_on_its_copy_count_has_a_scaling_policy(stack):
    component = inference_component(stack)

    track_concurrency(copies_of(stack, component))

    assert verdict(COMPONENT_HAS_SCALING_POLICY, component) == COMPLIANT


def test_a_component_whose_scalable_target_has_no_policy_lacks_a_scaling_policy_even_beside_a_scaled_one(stack):
    component, neighbour = inference_component(stack, "apexguru"), inference_component(stack, "textevel")

    copies_of(stack, component)
    track_concurrency(copies_of(stack, neighbour, name="textevel"))

    assert verdict(COMPONENT_HAS_SCALING_POLICY, component) == NON_COMPLIANT


def test_a_policy_on_another_components_copies_is_not_this_components_scaling_policy(stack):
    scaled, unscaled = inference_component(stack, "apexguru"), inference_component(stack, "textevel")

    track_concurrency(copies_of(stack, scaled))

    assert verdict(COMPONENT_HAS_SCALING_POLICY, unscaled) == NON_COMPLIANT


def test_a_scaling_policy_is_asked_of_inference_components_only(stack):
    assert verdict(COMPONENT_HAS_SCALING_POLICY, endpoint_config(stack)) == NOT_APPLICABLE


# DedicatedEndpointHasScalingPolicy


def test_a_dedicated_endpoint_with_target_tracking_on_its_instance_count_has_a_scaling_policy(stack):
    dedicated = endpoint(stack, dedicated=True)

    capacity = ScalableCapacity.of_instances(stack, "Instances", endpoint_name="inline", variant_name="AllTraffic", endpoint=dedicated, min_instances=1, max_instances=4)
    capacity.track_metric("TargetTracking", predefined_metric_type="SageMakerVariantConcurrentRequestsPerModelHighResolution", target_value=10, scale_in_cooldown_s=300, scale_out_cooldown_s=60)

    assert verdict(DEDICATED_ENDPOINT_HAS_SCALING_POLICY, dedicated) == COMPLIANT


def test_a_dedicated_endpoint_without_a_scalable_target_lacks_a_scaling_policy(stack):
    assert verdict(DEDICATED_ENDPOINT_HAS_SCALING_POLICY, endpoint(stack, dedicated=True)) == NON_COMPLIANT


def test_an_inference_component_endpoint_is_left_to_managed_instance_scaling(stack):
    assert verdict(DEDICATED_ENDPOINT_HAS_SCALING_POLICY, endpoint(stack, dedicated=False)) == NOT_APPLICABLE


def test_a_serverless_endpoint_has_no_instance_count_to_scale(stack):
    serverless = sagemaker.CfnEndpointConfig.ServerlessConfigProperty(memory_size_in_mb=2048, max_concurrency=10)
    variant = sagemaker.CfnEndpointConfig.ProductionVariantProperty(variant_name="AllTraffic", model_name="tagger-model", serverless_config=serverless)
    config = sagemaker.CfnEndpointConfig(stack, "Config", production_variants=[variant])

    served = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_name="tagger", endpoint_config_name=config.attr_endpoint_config_name)

    assert verdict(DEDICATED_ENDPOINT_HAS_SCALING_POLICY, served) == NOT_APPLICABLE


# ScaleToZeroHasWakeAlarm


@pytest.mark.parametrize(("failures_of", "expected"), [("apexguru", COMPLIANT), ("textevel", NON_COMPLIANT)], ids=["its-own", "another-components"])
def test_a_component_that_may_reach_zero_copies_wakes_on_an_alarm_on_its_own_no_capacity_failures(stack, failures_of, expected):
    capacity = copies_of(stack, inference_component(stack, "apexguru"), min_copies=0)

    ScaleFromZero(stack, "Wake", capacity=capacity, no_capacity_metric=no_capacity_failures_of(failures_of))

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == expected


def test_a_component_that_may_reach_zero_copies_without_a_wake_alarm_cannot_wake(stack):
    capacity = copies_of(stack, inference_component(stack), min_copies=0)

    track_concurrency(capacity)

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == NON_COMPLIANT


def test_a_component_that_keeps_at_least_one_copy_needs_no_wake_alarm(stack):
    capacity = copies_of(stack, inference_component(stack), min_copies=1)

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == NOT_APPLICABLE


def async_endpoint(stack, name="transcribe"):
    """An endpoint whose config has AsyncInferenceConfig, and its instances from 0."""
    config = sagemaker.CfnEndpointConfig(
        stack, f"Config-{name}",
        production_variants=[sagemaker.CfnEndpointConfig.ProductionVariantProperty(variant_name="AllTraffic", instance_type=NVME_INSTANCE, initial_instance_count=1, model_name="m")],
        async_inference_config=sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
            output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(s3_output_path="s3://results/out/")),
    )
    endpoint = sagemaker.CfnEndpoint(stack, f"Endpoint-{name}", endpoint_name=name, endpoint_config_name=config.attr_endpoint_config_name)
    return ScalableCapacity.of_instances(stack, f"Instances-{name}", endpoint_name=name, variant_name="AllTraffic", endpoint=endpoint, min_instances=0, max_instances=3)


def backlog_without_capacity_of(endpoint_name):
    return cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="HasBacklogWithoutCapacity", dimensions_map={"EndpointName": endpoint_name})


@pytest.mark.parametrize(("backlog_of", "expected"), [("transcribe", COMPLIANT), ("ocr", NON_COMPLIANT)], ids=["its-own", "another-endpoints"])
def test_an_async_endpoint_that_may_reach_zero_instances_wakes_on_its_own_backlog_without_capacity(stack, backlog_of, expected):
    from loadmaster.async_inference import WAKE_FROM_ZERO

    capacity = async_endpoint(stack)

    ScaleFromZero(stack, "Wake", capacity=capacity, no_capacity_metric=backlog_without_capacity_of(backlog_of), wake=WAKE_FROM_ZERO)

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == expected


def test_an_async_endpoint_that_may_reach_zero_instances_without_a_wake_alarm_waits_for_its_queue_to_pass_the_target(stack):
    capacity = async_endpoint(stack)

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == NON_COMPLIANT


def test_a_real_time_endpoints_instances_are_not_asked_for_a_wake_alarm(stack):
    real_time = endpoint(stack, dedicated=True)
    capacity = ScalableCapacity.of_instances(stack, "Instances", endpoint_name="inline", variant_name="AllTraffic", endpoint=real_time, min_instances=0, max_instances=2)

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == NOT_APPLICABLE


# NoKmsKeyOnNvmeInstances


def test_an_endpoint_config_on_nvme_instances_without_a_key_deploys(stack):
    assert verdict(NO_KMS_KEY_ON_NVME_INSTANCES, endpoint_config(stack, NVME_INSTANCE)) == COMPLIANT


def test_an_endpoint_config_on_nvme_instances_with_a_key_would_be_refused(stack):
    key = kms.Key(stack, "Key")

    assert verdict(NO_KMS_KEY_ON_NVME_INSTANCES, endpoint_config(stack, NVME_INSTANCE, kms_key_id=key.key_arn)) == NON_COMPLIANT


def test_an_endpoint_config_on_ebs_only_instances_may_have_a_key(stack):
    assert verdict(NO_KMS_KEY_ON_NVME_INSTANCES, endpoint_config(stack, EBS_ONLY_INSTANCE)) == NOT_APPLICABLE


# KmsKeyWhereSupported


def test_an_endpoint_config_on_ebs_only_instances_with_a_key_of_the_stack_is_encrypted_with_our_key(stack):
    key = kms.Key(stack, "Key")

    assert verdict(KMS_KEY_WHERE_SUPPORTED, endpoint_config(stack, EBS_ONLY_INSTANCE, kms_key_id=key.key_arn)) == COMPLIANT


def test_an_endpoint_config_on_ebs_only_instances_without_a_key_is_not_encrypted_with_our_key(stack):
    assert verdict(KMS_KEY_WHERE_SUPPORTED, endpoint_config(stack, EBS_ONLY_INSTANCE)) == NON_COMPLIANT


def test_an_aws_managed_key_is_not_a_customer_managed_key(stack):
    assert verdict(KMS_KEY_WHERE_SUPPORTED, endpoint_config(stack, EBS_ONLY_INSTANCE, kms_key_id="alias/aws/sagemaker")) == NON_COMPLIANT


def test_a_key_set_by_a_property_override_is_judged_as_cloudformation_receives_it(stack):
    config = endpoint_config(stack, EBS_ONLY_INSTANCE)

    config.add_property_override("KmsKeyId", kms.Key(stack, "Key").key_arn)

    assert verdict(KMS_KEY_WHERE_SUPPORTED, config) == COMPLIANT


def test_an_endpoint_config_on_nvme_instances_is_not_asked_for_a_key(stack):
    assert verdict(KMS_KEY_WHERE_SUPPORTED, endpoint_config(stack, NVME_INSTANCE)) == NOT_APPLICABLE


# ScalableTargetHasNoRole


def test_a_scalable_target_of_ours_uses_the_service_linked_role(stack):
    capacity = copies_of(stack, inference_component(stack))

    assert verdict(SCALABLE_TARGET_HAS_NO_ROLE, capacity.target) == COMPLIANT


def test_a_scalable_target_naming_the_service_linked_role_uses_no_role_of_ours(stack):
    target = appscaling.CfnScalableTarget(
        stack, "Target", service_namespace="sagemaker", resource_id="inference-component/apexguru", scalable_dimension="sagemaker:inference-component:DesiredCopyCount",
        min_capacity=0, max_capacity=4,
        role_arn=f"arn:{cdk.Aws.PARTITION}:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    )

    assert verdict(SCALABLE_TARGET_HAS_NO_ROLE, target) == COMPLIANT


def test_cdks_scalable_target_creates_a_role_of_its_own(stack):
    target = appscaling.ScalableTarget(
        stack, "Target", service_namespace=appscaling.ServiceNamespace.SAGEMAKER, resource_id="inference-component/apexguru",
        scalable_dimension="sagemaker:inference-component:DesiredCopyCount", min_capacity=0, max_capacity=4,
    )

    assert verdict(SCALABLE_TARGET_HAS_NO_ROLE, target.node.default_child) == NON_COMPLIANT


def test_a_role_is_asked_about_of_scalable_targets_only(stack):
    assert verdict(SCALABLE_TARGET_HAS_NO_ROLE, inference_component(stack)) == NOT_APPLICABLE


# DeploymentGuardrailsPresent


def test_a_component_that_rolls_through_its_copies_and_rolls_back_on_alarms_has_guardrails(stack):
    component = inference_component(stack, deployment_config={"RollingUpdatePolicy": ROLLING_UPDATE, "AutoRollbackConfiguration": ROLLBACK_ALARMS})

    assert verdict(DEPLOYMENT_GUARDRAILS_PRESENT, component) == COMPLIANT


def test_a_component_without_a_deployment_config_has_no_guardrails(stack):
    assert verdict(DEPLOYMENT_GUARDRAILS_PRESENT, inference_component(stack)) == NON_COMPLIANT


def test_a_rolling_update_without_rollback_alarms_is_not_a_guardrail(stack):
    component = inference_component(stack, deployment_config={"RollingUpdatePolicy": ROLLING_UPDATE, "AutoRollbackConfiguration": {"Alarms": []}})

    assert verdict(DEPLOYMENT_GUARDRAILS_PRESENT, component) == NON_COMPLIANT


def test_a_dedicated_endpoint_with_a_blue_green_update_and_rollback_alarms_has_guardrails(stack):
    deployment = sagemaker.CfnEndpoint.DeploymentConfigProperty(
        blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(type="ALL_AT_ONCE", wait_interval_in_seconds=60)
        ),
        auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name="errors")]),
    )

    assert verdict(DEPLOYMENT_GUARDRAILS_PRESENT, endpoint(stack, dedicated=True, deployment_config=deployment)) == COMPLIANT


def test_a_dedicated_endpoint_without_a_deployment_config_has_no_guardrails(stack):
    assert verdict(DEPLOYMENT_GUARDRAILS_PRESENT, endpoint(stack, dedicated=True)) == NON_COMPLIANT


def test_an_inference_component_endpoint_leaves_guardrails_to_its_components(stack):
    assert verdict(DEPLOYMENT_GUARDRAILS_PRESENT, endpoint(stack, dedicated=False)) == NOT_APPLICABLE


# IamArnsInStackPartition and ListBucketHasPrefixCondition


def iam_policy(stack, *statements):
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement} for statement in statements]}
    return iam.CfnPolicy(stack, "Policy", policy_name="models", roles=["models"], policy_document=document)


def stack_in(region):
    return cdk.Stack(cdk.App(), "Stack", env=cdk.Environment(account="123456789012", region=region) if region else None)


MODEL_OBJECTS = "arn:aws:s3:::codegen-models/blockgen/*"


def test_an_arn_written_in_the_stacks_own_partition_or_as_a_reference_names_its_resource(stack):
    policy = iam_policy(stack, {"Action": "s3:GetObject", "Resource": [MODEL_OBJECTS, f"arn:{cdk.Aws.PARTITION}:s3:::codegen-models/flowgpt/*"]})

    assert verdict(IAM_ARNS_IN_STACK_PARTITION, policy) == COMPLIANT


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1"])
def test_an_arn_of_the_commercial_partition_in_a_govcloud_or_china_stack_grants_nothing(region):
    policy = iam_policy(stack_in(region), {"Action": "s3:GetObject", "Resource": MODEL_OBJECTS})

    assert verdict(IAM_ARNS_IN_STACK_PARTITION, policy) == NON_COMPLIANT


def test_a_managed_policy_named_in_the_commercial_partition_is_not_found_in_govcloud():
    stack = stack_in("us-gov-west-1")
    role = iam.CfnRole(
        stack, "Role", assume_role_policy_document={"Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        managed_policy_arns=["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"],
    )

    assert verdict(IAM_ARNS_IN_STACK_PARTITION, role) == NON_COMPLIANT


def test_a_stack_without_a_region_has_no_partition_to_judge_arns_by():
    policy = iam_policy(stack_in(None), {"Action": "s3:GetObject", "Resource": MODEL_OBJECTS})

    assert verdict(IAM_ARNS_IN_STACK_PARTITION, policy) == NOT_APPLICABLE


def test_listing_a_bucket_under_the_artifacts_prefixes_is_limited(stack):
    policy = iam_policy(stack, {"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::codegen-models", "Condition": {"StringLike": {"s3:prefix": ["blockgen/*"]}}})

    assert verdict(LIST_BUCKET_HAS_PREFIX_CONDITION, policy) == COMPLIANT


@pytest.mark.parametrize("action", ["s3:ListBucket", "s3:List*", "S3:*", "*"])
def test_listing_a_bucket_without_a_prefix_condition_lists_every_key(stack, action):
    policy = iam_policy(stack, {"Action": ["s3:GetObject", action], "Resource": "arn:aws:s3:::codegen-models"})

    assert verdict(LIST_BUCKET_HAS_PREFIX_CONDITION, policy) == NON_COMPLIANT


def test_a_roles_inline_policy_listing_a_whole_bucket_is_found_too(stack):
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"), inline_policies={
        "models": iam.PolicyDocument(statements=[iam.PolicyStatement(actions=["s3:ListBucket"], resources=["arn:aws:s3:::codegen-models"])]),
    })

    assert verdict(LIST_BUCKET_HAS_PREFIX_CONDITION, role.node.default_child) == NON_COMPLIANT


def test_denying_the_listing_of_a_whole_bucket_grants_nothing(stack):
    policy = iam.CfnPolicy(stack, "Policy", policy_name="models", roles=["models"], policy_document={
        "Statement": [{"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::codegen-models"}],
    })

    assert verdict(LIST_BUCKET_HAS_PREFIX_CONDITION, policy) == COMPLIANT


# Judged on what a template may hold besides what our constructs write


def test_an_endpoint_whose_config_names_no_variants_is_not_judged_as_dedicated(stack):
    # Given an endpoint config without ProductionVariants (CloudFormation would refuse it; the rules do not crash on it)
    config = cdk.CfnResource(stack, "Config", type="AWS::SageMaker::EndpointConfig", properties={"KmsKeyId": "alias/models"})
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_config_name=config.ref)

    assert [verdict(rule, endpoint) for rule in (DEPLOYMENT_GUARDRAILS_PRESENT, DEDICATED_ENDPOINT_HAS_SCALING_POLICY)] == [NOT_APPLICABLE, NOT_APPLICABLE]


def test_a_dedicated_endpoint_naming_its_config_by_ref_is_judged_as_dedicated(stack):
    config = endpoint_config(stack, model_name="inline-model")
    endpoint = sagemaker.CfnEndpoint(stack, "Endpoint", endpoint_name="inline", endpoint_config_name=config.ref)

    assert verdict(DEDICATED_ENDPOINT_HAS_SCALING_POLICY, endpoint) == NON_COMPLIANT


def test_a_dedicated_endpoint_that_rolls_its_instances_and_rolls_back_on_alarms_has_guardrails(stack):
    deployment = sagemaker.CfnEndpoint.DeploymentConfigProperty(
        rolling_update_policy=sagemaker.CfnEndpoint.RollingUpdatePolicyProperty(
            maximum_batch_size=sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=25), wait_interval_in_seconds=60
        ),
        auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name="errors")]),
    )

    assert verdict(DEPLOYMENT_GUARDRAILS_PRESENT, endpoint(stack, dedicated=True, deployment_config=deployment)) == COMPLIANT


def test_a_rolling_update_without_any_rollback_configuration_is_not_a_guardrail(stack):
    component = inference_component(stack, deployment_config={"RollingUpdatePolicy": ROLLING_UPDATE})

    assert verdict(DEPLOYMENT_GUARDRAILS_PRESENT, component) == NON_COMPLIANT


def test_a_customer_managed_key_named_by_its_arn_encrypts_with_our_key(stack):
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    assert verdict(KMS_KEY_WHERE_SUPPORTED, endpoint_config(stack, EBS_ONLY_INSTANCE, kms_key_id=key_arn)) == COMPLIANT


def wake_policy(stack, capacity, adjustment):
    return appscaling.CfnScalingPolicy(
        stack, f"Step{adjustment}", policy_name=f"step{adjustment}", policy_type="StepScaling", scaling_target_id=capacity.target.ref,
        step_scaling_policy_configuration=appscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty(
            adjustment_type="ChangeInCapacity",
            step_adjustments=None if adjustment is None else [appscaling.CfnScalingPolicy.StepAdjustmentProperty(metric_interval_lower_bound=0, scaling_adjustment=adjustment)],
        ),
    )


def alarm_on(stack, metric, actions):
    alarm = cloudwatch.Alarm(stack, "Alarm", metric=metric, threshold=1, evaluation_periods=1)
    for policy in actions:
        alarm.add_alarm_action(_PolicyAction(policy.ref))
    return alarm


@pytest.mark.parametrize("adjustment", [None, 0, -1], ids=["no-steps", "adds-nothing", "removes-a-copy"])
def test_an_alarm_whose_step_policy_adds_no_copy_cannot_wake_a_component(stack, adjustment):
    capacity = copies_of(stack, inference_component(stack), min_copies=0)

    alarm_on(stack, no_capacity_failures_of("apexguru"), [wake_policy(stack, capacity, adjustment)])

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == NON_COMPLIANT


def test_an_alarm_that_wakes_nothing_cannot_wake_a_component(stack):
    capacity = copies_of(stack, inference_component(stack), min_copies=0)
    wake_policy(stack, capacity, 1)

    alarm_on(stack, no_capacity_failures_of("apexguru"), [])

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == NON_COMPLIANT


def test_an_alarm_on_every_components_no_capacity_failures_together_does_not_wake_one(stack):
    capacity = copies_of(stack, inference_component(stack), min_copies=0)
    every_component = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures")

    alarm_on(stack, every_component, [wake_policy(stack, capacity, 1)])

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == NON_COMPLIANT


def test_an_alarm_with_its_own_step_policy_adding_a_copy_wakes_a_component(stack):
    capacity = copies_of(stack, inference_component(stack), min_copies=0)

    alarm_on(stack, no_capacity_failures_of("apexguru"), [wake_policy(stack, capacity, 1)])

    assert verdict(SCALE_TO_ZERO_HAS_WAKE_ALARM, capacity.target) == COMPLIANT


def test_listing_in_any_of_a_roles_inline_policies_is_found(stack):
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"), inline_policies={
        "listing": iam.PolicyDocument(statements=[iam.PolicyStatement(actions=["s3:ListBucket"], resources=["arn:aws:s3:::codegen-models"])]),
        "reading": iam.PolicyDocument(statements=[iam.PolicyStatement(actions=["s3:GetObject"], resources=[MODEL_OBJECTS])]),
    })

    assert verdict(LIST_BUCKET_HAS_PREFIX_CONDITION, role.node.default_child) == NON_COMPLIANT


def test_a_policy_whose_one_statement_is_not_in_a_list_is_judged_too(stack):
    policy = iam.CfnPolicy(stack, "Policy", policy_name="models", roles=["models"], policy_document={
        "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::codegen-models"},
    })

    assert verdict(LIST_BUCKET_HAS_PREFIX_CONDITION, policy) == NON_COMPLIANT


def test_reading_objects_without_a_prefix_condition_is_not_listing(stack):
    policy = iam_policy(stack, {"Action": ["s3:GetObject", "kms:Decrypt"], "Resource": MODEL_OBJECTS})

    assert verdict(LIST_BUCKET_HAS_PREFIX_CONDITION, policy) == COMPLIANT


@jsii.implements(cloudwatch.IAlarmAction)
class _PolicyAction:
    def __init__(self, arn: str) -> None:
        self._arn = arn

    def bind(self, _scope, _alarm) -> cloudwatch.AlarmActionConfig:
        return cloudwatch.AlarmActionConfig(alarm_action_arn=self._arn)
