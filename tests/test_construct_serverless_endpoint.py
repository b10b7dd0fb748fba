"""ServerlessEndpoint: one model on a serverless variant, its provisioned concurrency scaled by Application Auto Scaling."""

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from constructs.rollback_alarms import DeploymentGuardrails
from constructs.serverless_endpoint import ServerlessEndpoint
from loadmaster.plan import ContainerDefinition
from loadmaster.scaling import ScalableDimension, Scaling, ScalingMetric, TargetTracking
from stacks import add_compliance_checks

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ARTIFACT = "s3://models/tagger/model.tar.gz"
PROVISIONED = ScalableDimension.PROVISIONED_CONCURRENCY


def make_endpoint(stack, **overrides):
    environment = overrides.pop("environment", {})
    props = dict(endpoint_name="tagger", container=ContainerDefinition(IMAGE, ARTIFACT, environment), memory_size_mb=2048, max_concurrency=20)
    return ServerlessEndpoint(stack, "Tagger", **{**props, **overrides})


def utilization_tracking(min_concurrency=1, max_concurrency=10, metric=ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION, dimension=PROVISIONED):
    policy = TargetTracking(metric=metric, target=0.7, scale_in_cooldown_s=300, scale_out_cooldown_s=60)
    return Scaling(dimension=dimension, min=min_concurrency, max=max_concurrency, target_tracking=(policy,))


def test_the_variant_is_serverless_with_its_memory_and_concurrency_and_no_instances(stack):
    make_endpoint(stack, environment={"SAGEMAKER_PROGRAM": "inference.py"})

    template = Template.from_stack(stack)

    template.has_resource_properties(
        "AWS::SageMaker::Model", {"PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": ARTIFACT, "Environment": {"SAGEMAKER_PROGRAM": "inference.py"}}}
    )
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("TaggerModel"), "ModelName"]},
                    "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 20, "ProvisionedConcurrency": Match.absent()},
                    "InstanceType": Match.absent(),
                    "InitialInstanceCount": Match.absent(),
                }
            ]
        },
    )
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": "tagger"})


def test_provisioned_concurrency_is_declared_where_asked(stack):
    make_endpoint(stack, provisioned_concurrency=4)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like({"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 20, "ProvisionedConcurrency": 4}})]}
    )


def test_updates_are_blue_green_all_at_once_and_roll_back_on_alarms(stack):
    make_endpoint(stack)

    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": Match.object_like({"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 60}}),
                "AutoRollbackConfiguration": {"Alarms": [Match.any_value(), Match.any_value()]},
                "RollingUpdatePolicy": Match.absent(),
            }
        },
    )


def test_every_invalid_prop_is_reported_at_once(stack):
    with pytest.raises(ValueError) as raised:
        make_endpoint(stack, endpoint_name="tag ger", memory_size_mb=1500, max_concurrency=201, provisioned_concurrency=0)

    message = str(raised.value)
    for problem in ("endpoint_name 'tag ger'", "memory_size_mb: memory must be one of 1024, 2048, 3072, 4096, 5120, 6144 MB", "max_concurrency must be 1 to 200, got 201", "provisioned_concurrency must be 1 to 200, got 0"):
        assert problem in message


@pytest.mark.parametrize("memory_size_mb", [512, 1025, 7168])
def test_memory_comes_in_1_gb_steps_from_1024_to_6144_mb(stack, memory_size_mb):
    with pytest.raises(ValueError, match=f"got {memory_size_mb}"):
        make_endpoint(stack, memory_size_mb=memory_size_mb)


def test_provisioned_concurrency_cannot_exceed_max_concurrency(stack):
    with pytest.raises(ValueError, match=r"provisioned_concurrency \(21\) must not exceed max_concurrency \(20\)"):
        make_endpoint(stack, provisioned_concurrency=21)


def test_rolling_updates_are_refused_because_serverless_endpoints_take_none(stack):
    with pytest.raises(ValueError, match="guardrails must be blue_green"):
        make_endpoint(stack, guardrails=DeploymentGuardrails())


def test_provisioned_concurrency_scales_on_its_utilization_through_the_service_linked_role(stack):
    endpoint = make_endpoint(stack, provisioned_concurrency=2)

    endpoint.scale_provisioned_concurrency(utilization_tracking(min_concurrency=1, max_concurrency=10))

    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "ServiceNamespace": "sagemaker",
            "ResourceId": "endpoint/tagger/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency",
            "MinCapacity": 1,
            "MaxCapacity": 10,
            "RoleARN": Match.absent(),
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"},
                "TargetValue": 0.7,
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
            },
        },
    )
    target = template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")
    endpoint_id = stack.get_logical_id(endpoint.endpoint)
    assert [resource["DependsOn"] for resource in target.values()] == [[endpoint_id]]


def test_an_endpoint_without_provisioned_concurrency_has_none_to_scale(stack):
    endpoint = make_endpoint(stack)

    with pytest.raises(ValueError, match="no provisioned_concurrency to scale"):
        endpoint.scale_provisioned_concurrency(utilization_tracking())


def test_scaling_beyond_max_concurrency_or_on_another_metric_is_refused_with_every_reason(stack):
    endpoint = make_endpoint(stack, provisioned_concurrency=2)

    with pytest.raises(ValueError) as raised:
        endpoint.scale_provisioned_concurrency(utilization_tracking(max_concurrency=21, metric=ScalingMetric.INVOCATIONS_PER_INSTANCE, dimension=ScalableDimension.INSTANCES))

    message = str(raised.value)
    assert "need 1 <= min <= max <= max_concurrency (20), got 1..21" in message
    assert "scaling must be on sagemaker:variant:DesiredProvisionedConcurrency" in message
    assert "scales on provisioned-concurrency-utilization only, got invocations-per-instance" in message


def test_provisioned_concurrency_takes_a_single_target_tracking_policy(stack):
    endpoint = make_endpoint(stack, provisioned_concurrency=2)
    tracking = utilization_tracking()

    with pytest.raises(ValueError, match="at most one target-tracking policy"):
        endpoint.scale_provisioned_concurrency(Scaling(PROVISIONED, 1, 10, target_tracking=tracking.target_tracking * 2))


def test_two_policies_on_other_metrics_are_each_named_in_one_refusal(stack):
    import dataclasses

    endpoint = make_endpoint(stack, provisioned_concurrency=2)
    (tracking,) = utilization_tracking().target_tracking
    others = tuple(dataclasses.replace(tracking, metric=metric) for metric in (ScalingMetric.INVOCATIONS_PER_INSTANCE, ScalingMetric.CONCURRENT_REQUESTS_PER_MODEL))

    with pytest.raises(ValueError) as raised:
        endpoint.scale_provisioned_concurrency(Scaling(PROVISIONED, 1, 10, target_tracking=others))

    assert str(raised.value) == (
        f"ServerlessEndpoint {endpoint.endpoint_name}: provisioned concurrency scales on provisioned-concurrency-utilization only, "
        "got invocations-per-instance, concurrent-requests-per-model; "
        "provisioned concurrency takes at most one target-tracking policy, and never scales to zero to wake from"
    )


def test_serverless_metrics_name_the_endpoint_and_variant_with_the_statistic_an_alarm_on_them_needs(stack):
    # Given a serverless endpoint
    endpoint = make_endpoint(stack)

    # When its metric helpers are read
    metrics = [
        endpoint.metric_model_setup_time(), endpoint.metric_overhead_latency(), endpoint.metric_concurrent_executions_utilization(),
        endpoint.metric_provisioned_concurrency_utilization(), endpoint.metric_provisioned_concurrency_spillover_invocations(),
    ]

    # Then each is the endpoint's variant's metric, at the statistic its docstring promises (cold starts at p90,
    # throttling near at the maximum, spilled requests counted)
    assert [(metric.namespace, metric.metric_name, metric.statistic, metric.dimensions) for metric in metrics] == [
        ("AWS/SageMaker", name, statistic, {"EndpointName": "tagger", "VariantName": "AllTraffic"})
        for name, statistic in (
            ("ModelSetupTime", "p90"), ("OverheadLatency", "p90"), ("ServerlessConcurrentExecutionsUtilization", "Maximum"),
            ("ServerlessProvisionedConcurrencyUtilization", "Average"), ("ServerlessProvisionedConcurrencySpilloverInvocations", "Sum"),
        )
    ]


def test_grant_invoke_lets_a_caller_invoke_this_endpoint_only(stack):
    endpoint = make_endpoint(stack)
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())

    endpoint.grant_invoke(caller)

    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
                        "Effect": "Allow",
                        "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:us-east-1:123456789012:endpoint/tagger"]]},
                    }
                ]
            }
        },
    )


def test_an_imported_endpoint_offers_the_same_grants_and_metrics(stack):
    imported = ServerlessEndpoint.from_endpoint_name(stack, "Imported", "someone-elses")

    assert imported.metric_invocations().dimensions == {"EndpointName": "someone-elses", "VariantName": "AllTraffic"}


# Synthesized once with both compliance packs: cfn-lint and cdk-nag see what a user deploys.


@pytest.fixture(scope="module")
def compliant_assembly(tmp_path_factory):
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("serverless")))
    stack = cdk.Stack(app, "Serverless", env=cdk.Environment(account="123456789012", region="us-east-1"))
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    ServerlessEndpoint(stack, "OnDemand", endpoint_name="tagger", container=ContainerDefinition(IMAGE, ARTIFACT, {}), memory_size_mb=1024, max_concurrency=5, kms_key=key)
    warm = ServerlessEndpoint(stack, "Warm", endpoint_name="ranker", container=ContainerDefinition(IMAGE, None, {}), memory_size_mb=6144, max_concurrency=50,
                              provisioned_concurrency=5, kms_key=key)
    warm.scale_provisioned_concurrency(utilization_tracking(min_concurrency=2, max_concurrency=50))
    add_compliance_checks(app)
    return app.synth()


def test_both_compliance_packs_pass_without_an_acknowledgement_of_their_own(compliant_assembly):
    report = json.loads(Path(compliant_assembly.directory, "validation-report.json").read_text())

    violations = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]}
    suppressed = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin.get("suppressedViolations", [])}
    assert violations == set()
    # Only the execution role's wildcards, acknowledged in ModelExecutionRole with their reasons.
    assert {finding.partition("[")[0] for finding in suppressed} == {"AwsSolutions-IAM5"}


def test_cfn_lint_reports_nothing(compliant_assembly):
    template = Path(compliant_assembly.directory, "Serverless.template.json")
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run([str(cfn_lint), "--", str(template)], capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr


def test_provisioned_concurrency_takes_scheduled_actions_and_step_policies_beside_its_tracking(stack):
    from dataclasses import replace

    from loadmaster.scaling import MetricAlarm, ScheduledAction, Step, StepScaling
    endpoint = make_endpoint(stack, provisioned_concurrency=2)
    spillover = StepScaling(MetricAlarm("AWS/SageMaker", "ServerlessProvisionedConcurrencySpilloverInvocations", "Sum", 60, threshold=10), (Step(2),), cooldown_s=120)
    scaling = replace(utilization_tracking(), scheduled=(ScheduledAction("mornings", "cron(0 7 ? * * *)", min=4, max=None),), step=(spillover,))

    endpoint.scale_provisioned_concurrency(scaling)

    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {
        "ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency",
        "ScheduledActions": [Match.object_like({"ScheduledActionName": "mornings", "ScalableTargetAction": {"MinCapacity": 4}})],
    })
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {"PolicyType": "StepScaling"})
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "ServerlessProvisionedConcurrencySpilloverInvocations",
        "Dimensions": [{"Name": "EndpointName", "Value": "tagger"}, {"Name": "VariantName", "Value": "AllTraffic"}],
    })
