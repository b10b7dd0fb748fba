"""loadmaster's rules as a CDK validation plugin on a small app: a finding stops the synthesis under the rule's id, an
acknowledgement in code lets it through with its reason, and a wildcard finding is named as cdk-nag names it."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks

from policies.acknowledgements import acknowledge, wildcard_resource_finding
from policies.loadmaster_pack import PACK_NAME, RULES, LoadmasterChecks, rule_id
from policies.rules.scalable_target_has_no_role import SCALABLE_TARGET_HAS_NO_ROLE
from policies.scalable_capacity import ScalableCapacity
from policies.scale_from_zero import ScaleFromZero

OUR_ROLE = "arn:aws:iam::123456789012:role/scaler"
ENV = cdk.Environment(account="123456789012", region="us-east-1")


def app_checked_by_loadmaster(outdir) -> tuple[cdk.App, cdk.Stack]:
    app = cdk.App(outdir=str(outdir))
    cdk.Validations.of(app).add_plugins(LoadmasterChecks())
    return app, cdk.Stack(app, "Checked", env=ENV)


def scaled_component(stack, name="apexguru"):
    """An inference component with target tracking on its copies and a rolling update: compliant with every rule."""
    component = cdk.CfnResource(stack, f"Component-{name}", type="AWS::SageMaker::InferenceComponent", properties={
        "EndpointName": "shared", "InferenceComponentName": name, "VariantName": "AllTraffic",
        "Specification": {"Container": {"Image": "image"}, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
        "RuntimeConfig": {"CopyCount": 1},
        "DeploymentConfig": {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25}, "WaitIntervalInSeconds": 60},
                             "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]}},
    })
    capacity = ScalableCapacity.of_copies(stack, f"Copies-{name}", component_name=name, component=component, min_copies=0, max_copies=2)
    capacity.track_metric("TargetTracking", predefined_metric_type="SageMakerInferenceComponentInvocationsPerCopy", target_value=10,
                          scale_in_cooldown_s=300, scale_out_cooldown_s=60)
    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures", dimensions_map={"InferenceComponentName": name})
    ScaleFromZero(stack, f"Wake-{name}", capacity=capacity, no_capacity_metric=metric)
    return component


def scalable_target(stack, id="Target", role_arn=OUR_ROLE) -> appscaling.CfnScalableTarget:
    return appscaling.CfnScalableTarget(
        stack, id, service_namespace="sagemaker", resource_id=f"inference-component/{id.lower()}",
        scalable_dimension="sagemaker:inference-component:DesiredCopyCount", min_capacity=1, max_capacity=2, role_arn=role_arn,
    )


def report_of(outdir) -> dict:
    return json.loads((outdir / "validation-report.json").read_text())


def violations(report, key="violations") -> dict[str, list[dict]]:
    return {violation["ruleName"]: violation for plugin in report["pluginReports"] for violation in plugin.get(key, [])}


def test_a_finding_stops_the_synthesis_under_the_rules_loadmaster_id(tmp_path):
    # Given a scalable target with a role of ours, and a compliant one beside it
    app, stack = app_checked_by_loadmaster(tmp_path)
    scalable_target(stack)
    scalable_target(stack, "Compliant", role_arn=None)
    # When
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    # Then only the offending target is reported, under Loadmaster-ScalableTargetHasNoRole, with the rule's words
    found = violations(report_of(tmp_path))
    assert set(found) == {"Loadmaster-ScalableTargetHasNoRole"}
    violation = found["Loadmaster-ScalableTargetHasNoRole"]
    assert [resource["constructPath"] for resource in violation["violatingConstructs"]] == ["Checked/Target"]
    assert violation["description"] == SCALABLE_TARGET_HAS_NO_ROLE.info
    assert violation["severity"] == "error"


def test_the_pack_judges_each_stacks_arns_by_the_partition_of_its_region(tmp_path):
    # Given a role in a China stack granting an ARN written in the commercial partition, which grants nothing there
    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(LoadmasterChecks())
    stack = cdk.Stack(app, "Beijing", env=cdk.Environment(account="123456789012", region="cn-north-1"))
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::models/*"]))
    # When
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    # Then its policy is reported under Loadmaster-IamArnsInStackPartition
    assert set(violations(report_of(tmp_path))) == {"Loadmaster-IamArnsInStackPartition"}


def test_a_stack_without_resources_synthesizes_under_the_pack(tmp_path):
    app, _ = app_checked_by_loadmaster(tmp_path)

    app.synth()

    assert [name for name in violations(report_of(tmp_path)) if name.startswith(f"{PACK_NAME}-")] == []


def test_an_acknowledged_finding_passes_with_its_reason(tmp_path):
    # Given
    app, stack = app_checked_by_loadmaster(tmp_path)
    target = scalable_target(stack)
    # When
    acknowledge(target, rule_id(SCALABLE_TARGET_HAS_NO_ROLE), "The scaler role is audited elsewhere")
    app.synth()
    # Then
    report = report_of(tmp_path)
    assert violations(report) == {}
    assert violations(report, "suppressedViolations")["Loadmaster-ScalableTargetHasNoRole"]["reason"] == "The scaler role is audited elsewhere"


def test_components_that_comply_in_each_of_two_stacks_synthesize(tmp_path):
    # Given scaled, guarded components that may wake from zero, in two stacks judged each on its own resources
    app, stack = app_checked_by_loadmaster(tmp_path)
    scaled_component(stack)
    scaled_component(cdk.Stack(app, "Other", env=ENV), "textevel")
    # When
    app.synth()
    # Then
    assert violations(report_of(tmp_path)) == {}


def test_a_component_whose_scaling_policy_is_in_another_stack_lacks_one_in_its_own(tmp_path):
    app, stack = app_checked_by_loadmaster(tmp_path)
    scaled_component(stack)
    other = cdk.Stack(app, "Other", env=ENV)
    cdk.CfnResource(other, "Component-apexguru", type="AWS::SageMaker::InferenceComponent", properties={"InferenceComponentName": "apexguru"})

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()

    assert "Loadmaster-ComponentHasScalingPolicy" in violations(report_of(tmp_path))


def test_a_wildcard_finding_on_a_resource_named_with_dashes_is_acknowledged_in_its_pack(tmp_path):
    # Given cdk-nag's AwsSolutions pack, and a role writing to log groups whose ARN holds dashes (log-group, us-east-1)
    app = cdk.App(outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "Checked", env=ENV)
    log_groups = f"arn:{cdk.Aws.PARTITION}:logs:us-east-1:123456789012:log-group:/aws/sagemaker/*"
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["logs:PutLogEvents"], resources=[log_groups]))
    # When
    acknowledge(role, wildcard_resource_finding(role, log_groups), "SageMaker names the log groups of each endpoint")
    app.synth()
    # Then
    report = report_of(tmp_path)
    assert violations(report) == {}
    assert "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:us-east-1:123456789012:log-group:/aws/sagemaker/*]" in violations(report, "suppressedViolations")


def test_every_rule_is_reported_as_loadmaster_dash_its_name():
    assert PACK_NAME == "Loadmaster"
    assert [rule_id(rule) for rule in RULES] == [f"Loadmaster-{rule.name}" for rule in RULES]
    assert len({rule.name for rule in RULES}) == len(RULES) == 9


def test_a_wildcard_finding_is_named_with_references_written_as_cdk_nag_writes_them(stack):
    partitioned = cdk.Fn.join("", ["arn:", cdk.Aws.PARTITION, ":s3:::models/blockgen/*"])

    assert wildcard_resource_finding(stack, partitioned) == "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::models/blockgen/*]"
    assert wildcard_resource_finding(stack, "*") == "AwsSolutions-IAM5[Resource::*]"


def test_a_wildcard_finding_of_an_unnameable_resource_is_refused(stack):
    with pytest.raises(ValueError, match="cannot name the AwsSolutions-IAM5 finding"):
        wildcard_resource_finding(stack, cdk.Fn.get_att("Bucket", "Arn").to_string())
