"""AsyncEndpoint: one model behind SageMaker's queue, results in S3, scaled on the backlog down to zero."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
ENDPOINT = "transcribe"
INPUTS = "s3://requests/transcribe/"


def make_endpoint(stack, id="Transcribe", **overrides):
    from constructs.async_endpoint import AsyncEndpoint, AsyncNotifications

    from loadmaster.plan import ContainerDefinition

    props = dict(
        endpoint_name=ENDPOINT, container=ContainerDefinition(IMAGE, "s3://models/transcribe/model.tar.gz", {}), instance_type="ml.g5.2xlarge",
        notifications=AsyncNotifications(success=True, error=True), max_concurrent_invocations_per_instance=4,
    )
    return AsyncEndpoint(stack, id, **{**props, **overrides})


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """An endpoint that scales to zero, with both topics and a caller, synthesized once as `cdk synth` would, both
    compliance packs included: (template, validation report, template file)."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam

    from loadmaster.async_inference import backlog_scaling
    from policies.acknowledgements import acknowledge, wildcard_resource_finding
    from stacks import CDK_JSON, add_compliance_checks

    outdir = tmp_path_factory.mktemp("async") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context=json.loads(CDK_JSON.read_text())["context"])
    stack = cdk.Stack(app, "AsyncStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
    endpoint = make_endpoint(stack)
    endpoint.autoscale(backlog_scaling(0, 3))
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    endpoint.grant_invoke(caller, input_location=INPUTS)
    for objects in endpoint.result_objects_arns:
        acknowledge(caller, wildcard_resource_finding(stack, objects), "The caller reads the results SageMaker names after each inference id.")
    add_compliance_checks(app)
    app.synth()
    template_file = outdir / "AsyncStack.template.json"
    template = json.loads(template_file.read_text())
    return Template.from_json(template), json.loads((outdir / "validation-report.json").read_text()), template_file


def resources_of(template: Template, resource_type: str) -> dict:
    return template.find_resources(resource_type)


def statements_of_role(template: Template, role_prefix: str) -> list[dict]:
    policies = template.find_resources("AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if any(role["Ref"].startswith(role_prefix) for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def allowing(statements: list[dict], action_prefix: str) -> list[dict]:
    def actions(statement):
        return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]

    return [statement for statement in statements if any(action.startswith(action_prefix) or action in ("*", "s3:*") for action in actions(statement))]


def as_set(value) -> set[str]:
    """Actions or resources of a statement, in any order (CDK sorts and merges them)."""
    return {json.dumps(item, sort_keys=True) for item in (value if isinstance(value, list) else [value])}


def logical_id(template: Template, resource_type: str, prefix: str) -> str:
    (found,) = [name for name in template.find_resources(resource_type) if name.startswith(prefix)]
    return found


def objects_under(bucket_ref: dict, prefix: str) -> dict:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", bucket_ref, f"/{prefix}*"]]}


def test_the_endpoint_config_carries_async_inference_config_with_its_output_and_notifications(synthesized):
    template, _, _ = synthesized
    bucket = {"Ref": _output_bucket(template)}

    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "AsyncInferenceConfig": {
                "OutputConfig": {
                    "S3OutputPath": {"Fn::Join": ["", ["s3://", bucket, f"/{ENDPOINT}/results/"]]},
                    "S3FailurePath": {"Fn::Join": ["", ["s3://", bucket, f"/{ENDPOINT}/failures/"]]},
                    "KmsKeyId": {"Fn::GetAtt": [logical_id(template, "AWS::KMS::Key", "TranscribeOutputKey"), "Arn"]},
                    "NotificationConfig": {
                        "SuccessTopic": {"Ref": logical_id(template, "AWS::SNS::Topic", "TranscribeSuccessTopic")},
                        "ErrorTopic": {"Ref": logical_id(template, "AWS::SNS::Topic", "TranscribeErrorTopic")},
                    },
                },
                "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
            },
            "ProductionVariants": [Match.object_like({"InstanceType": "ml.g5.2xlarge", "ModelName": Match.any_value()})],
        },
    )


def _output_bucket(template: Template) -> str:
    (bucket,) = [name for name, bucket in template.find_resources("AWS::S3::Bucket").items() if "LoggingConfiguration" in bucket["Properties"]]
    return bucket


def test_the_results_bucket_is_encrypted_with_the_output_key_ssl_only_access_logged_and_kept(synthesized):
    template, _, _ = synthesized
    key = {"Fn::GetAtt": [logical_id(template, "AWS::KMS::Key", "TranscribeOutputKey"), "Arn"]}
    bucket = _output_bucket(template)

    template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"BucketKeyEnabled": True, "ServerSideEncryptionByDefault": {"KMSMasterKeyID": key, "SSEAlgorithm": "aws:kms"}}]},
                    "LoggingConfiguration": {"DestinationBucketName": Match.any_value(), "LogFilePrefix": f"{ENDPOINT}/"},
                    "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket},
            "PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])},
        },
    )
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_the_topics_are_encrypted_with_the_output_key_and_ssl_only(synthesized):
    template, _, _ = synthesized
    key = {"Fn::GetAtt": [logical_id(template, "AWS::KMS::Key", "TranscribeOutputKey"), "Arn"]}

    assert [topic["Properties"] for topic in resources_of(template, "AWS::SNS::Topic").values()] == [{"KmsMasterKeyId": key}] * 2
    assert len(template.find_resources("AWS::SNS::TopicPolicy", {"Properties": {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}}})) == 2


def test_the_execution_role_writes_results_and_failures_under_their_prefixes_and_nowhere_else(synthesized):
    template, _, _ = synthesized
    bucket = {"Ref": _output_bucket(template)}

    writes = allowing(statements_of_role(template, "TranscribeExecutionRole"), "s3:Put")

    assert [(as_set(statement["Action"]), as_set(statement["Resource"])) for statement in writes] == [
        (as_set(["s3:PutObject", "s3:AbortMultipartUpload"]), as_set([objects_under(bucket, f"{ENDPOINT}/results/"), objects_under(bucket, f"{ENDPOINT}/failures/")]))
    ]


def test_the_execution_role_publishes_to_its_two_topics_only_and_encrypts_with_the_output_key_only(synthesized):
    template, _, _ = synthesized
    statements = statements_of_role(template, "TranscribeExecutionRole")
    topics = sorted((logical_id(template, "AWS::SNS::Topic", name) for name in ("TranscribeSuccessTopic", "TranscribeErrorTopic")))

    (publish,) = allowing(statements, "sns:")
    (kms,) = allowing(statements, "kms:")

    assert publish["Action"] == "sns:Publish" and sorted(topic["Ref"] for topic in publish["Resource"]) == topics
    assert (as_set(kms["Action"]), kms["Resource"]) == ({'"kms:Decrypt"', '"kms:GenerateDataKey"'}, {"Fn::GetAtt": [logical_id(template, "AWS::KMS::Key", "TranscribeOutputKey"), "Arn"]})


def test_the_execution_role_reads_the_callers_requests_under_their_prefix(synthesized):
    template, _, _ = synthesized
    reads = allowing(statements_of_role(template, "TranscribeExecutionRole"), "s3:GetObject")

    assert as_set({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::requests/transcribe/*"]]}) <= set.union(*(as_set(statement["Resource"]) for statement in reads))


def test_a_caller_may_invoke_asynchronously_and_read_the_results_and_nothing_more(synthesized):
    template, _, _ = synthesized
    bucket = {"Ref": _output_bucket(template)}
    prefixes = [f"{ENDPOINT}/results/", f"{ENDPOINT}/failures/"]

    statements = statements_of_role(template, "Caller")

    assert [statement["Action"] for statement in statements] == ["s3:GetObject", "s3:ListBucket", "kms:Decrypt", "sagemaker:InvokeEndpointAsync"]
    assert as_set(statements[0]["Resource"]) == as_set([objects_under(bucket, prefix) for prefix in prefixes])
    assert statements[1]["Condition"] == {"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}}
    assert statements[3]["Resource"] == f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}"  # the stack's partition, from its region


def test_the_endpoint_tracks_the_backlog_per_instance(synthesized):
    template, _, _ = synthesized

    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"ResourceId": f"endpoint/{ENDPOINT}/variant/AllTraffic", "MinCapacity": 0, "MaxCapacity": 3})
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "CustomizedMetricSpecification": {
                    "Namespace": "AWS/SageMaker",
                    "MetricName": "ApproximateBacklogSizePerInstance",
                    "Dimensions": [{"Name": "EndpointName", "Value": ENDPOINT}],
                    "Statistic": "Average",
                },
                "TargetValue": 5,
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
            },
        },
    )


def test_the_wake_up_alarm_on_backlog_without_capacity_runs_the_step_policy_that_adds_an_instance(synthesized):
    template, _, _ = synthesized
    step_policy = logical_id(template, "AWS::ApplicationAutoScaling::ScalingPolicy", "TranscribeScaleFromZeroStepPolicy")

    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity",
                "MetricAggregationType": "Average",
                "Cooldown": 300,
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
            },
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "HasBacklogWithoutCapacity",
            "Namespace": "AWS/SageMaker",
            "Dimensions": [{"Name": "EndpointName", "Value": ENDPOINT}],
            "Statistic": "Average",
            "Period": 60,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "missing",
            "AlarmActions": [{"Ref": step_policy}],
            "AlarmDescription": f"Requests wait at {ENDPOINT} and no instance runs: start one",
        },
    )


def test_the_endpoint_passes_both_compliance_packs_with_no_unacknowledged_finding(synthesized):
    _, report, _ = synthesized

    assert [violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]] == []


def test_cfn_lint_reports_nothing_on_the_template(synthesized):
    _, _, template_file = synthesized
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run([str(cfn_lint), "--", str(template_file)], capture_output=True, text=True, timeout=300)

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_a_bucket_and_topic_of_yours_are_used_and_none_created(stack):
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_sns as sns

    from constructs.async_endpoint import AsyncNotifications

    bucket = s3.Bucket.from_bucket_name(stack, "Results", "team-results")
    topic = sns.Topic.from_topic_arn(stack, "Done", "arn:aws:sns:us-east-1:123456789012:done")
    make_endpoint(stack, output_bucket=bucket, output_prefix="speech/", failure_prefix="speech-failed/", notifications=AsyncNotifications(success=topic))

    template = Template.from_stack(stack)

    template.resource_count_is("AWS::S3::Bucket", 0)
    template.resource_count_is("AWS::SNS::Topic", 0)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"AsyncInferenceConfig": {"OutputConfig": Match.object_like({"S3OutputPath": "s3://team-results/speech/", "S3FailurePath": "s3://team-results/speech-failed/", "NotificationConfig": {"SuccessTopic": "arn:aws:sns:us-east-1:123456789012:done"}})}},
    )
    (publish,) = allowing(statements_of_role(template, "TranscribeExecutionRole"), "sns:")
    assert publish["Resource"] == "arn:aws:sns:us-east-1:123456789012:done"


def test_without_topics_there_is_no_notification_config(stack):
    from constructs.async_endpoint import AsyncNotifications

    make_endpoint(stack, notifications=AsyncNotifications())

    template = Template.from_stack(stack)

    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"AsyncInferenceConfig": {"OutputConfig": Match.object_like({"NotificationConfig": Match.absent()}), "ClientConfig": Match.any_value()}})
    assert allowing(statements_of_role(template, "TranscribeExecutionRole"), "sns:") == []


def test_invalid_props_are_reported_together(stack):
    with pytest.raises(ValueError, match=r"AsyncEndpoint: endpoint_name 'trans cribe'.*output_prefix must be a key prefix ending in /.*max_concurrent_invocations_per_instance must be 1 to 1000, got 0"):
        make_endpoint(stack, endpoint_name="trans cribe", output_prefix="results", max_concurrent_invocations_per_instance=0)


def test_an_input_location_that_is_not_a_prefix_is_refused(stack):
    from aws_cdk import aws_iam as iam

    endpoint = make_endpoint(stack)

    with pytest.raises(ValueError, match=r"input_location must be s3://bucket/prefix/"):
        endpoint.grant_invoke(iam.AccountRootPrincipal(), input_location="s3://requests/one-file.json")


def test_requests_encrypted_with_a_key_of_yours_are_decrypted_by_the_execution_role_with_that_key(stack):
    from aws_cdk import aws_iam as iam

    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    endpoint = make_endpoint(stack)

    endpoint.grant_invoke(iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal()), input_location=INPUTS, input_kms_key_arn=key)

    decrypts = [statement for statement in allowing(statements_of_role(Template.from_stack(stack), "TranscribeExecutionRole"), "kms:") if statement["Action"] == "kms:Decrypt"]
    assert [statement["Resource"] for statement in decrypts] == [key]


def test_the_queue_metrics_have_the_endpoint_as_their_only_dimension_and_the_statistic_an_alarm_needs(stack):
    endpoint = make_endpoint(stack)

    metrics = [
        endpoint.metric_approximate_backlog_size(), endpoint.metric_approximate_backlog_size_per_instance(),
        endpoint.metric_has_backlog_without_capacity(), endpoint.metric_approximate_age_of_oldest_request(),
    ]

    assert [(metric.metric_name, metric.statistic, metric.dimensions) for metric in metrics] == [
        ("ApproximateBacklogSize", "Average", {"EndpointName": ENDPOINT}),
        ("ApproximateBacklogSizePerInstance", "Average", {"EndpointName": ENDPOINT}),
        ("HasBacklogWithoutCapacity", "Average", {"EndpointName": ENDPOINT}),
        ("ApproximateAgeOfOldestRequest", "Maximum", {"EndpointName": ENDPOINT}),
    ]
    failures = endpoint.metric_invocation_failures()
    assert (failures.statistic, failures.dimensions) == ("Sum", {"EndpointName": ENDPOINT, "VariantName": "AllTraffic"})


def test_a_failure_prefix_that_is_not_a_prefix_or_equals_the_output_prefix_is_refused_with_every_other_problem(stack):
    with pytest.raises(ValueError) as refused:
        make_endpoint(stack, failure_prefix="failures", max_concurrent_invocations_per_instance=1001)

    assert str(refused.value) == (
        "AsyncEndpoint: failure_prefix must be a key prefix ending in / and not starting with one, got 'failures'; "
        "max_concurrent_invocations_per_instance must be 1 to 1000, got 1001"
    )
    with pytest.raises(ValueError, match="output_prefix and failure_prefix must differ"):
        make_endpoint(stack, "Same", output_prefix="out/", failure_prefix="out/")


def test_every_target_tracking_policy_of_the_scaling_becomes_a_policy_of_its_own(stack):
    import dataclasses

    from loadmaster.async_inference import backlog_scaling

    # Given a backlog scaling with a second, tighter target tracking policy
    scaling = backlog_scaling(1, 3)
    (tracking,) = scaling.target_tracking
    endpoint = make_endpoint(stack)

    # When the endpoint scales on both
    endpoint.autoscale(dataclasses.replace(scaling, target_tracking=(tracking, dataclasses.replace(tracking, target=tracking.target / 2))))

    # Then both are target-tracking policies on its one scalable target, each with its own target
    policies = Template.from_stack(stack).find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    targets = sorted(policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for policy in policies.values())
    assert targets == sorted([tracking.target, tracking.target / 2]) and len(Template.from_stack(stack).find_resources("AWS::ApplicationAutoScaling::ScalableTarget")) == 1


def test_an_imported_endpoint_grants_invoking_and_reading_its_results(stack):
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_s3 as s3

    from constructs.async_endpoint import AsyncEndpoint

    imported = AsyncEndpoint.from_endpoint_attributes(
        stack, "Imported", endpoint_name="elsewhere", output_bucket=s3.Bucket.from_bucket_name(stack, "Theirs", "their-results"), output_prefix="out/", failure_prefix="err/"
    )
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    imported.grant_invoke(caller)

    actions = [statement["Action"] for statement in statements_of_role(Template.from_stack(stack), "Caller")]

    assert actions == ["s3:GetObject", "s3:ListBucket", "sagemaker:InvokeEndpointAsync"]


def test_an_imported_endpoint_with_its_results_key_lets_callers_decrypt_the_results(stack):
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3

    from constructs.async_endpoint import AsyncEndpoint

    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    imported = AsyncEndpoint.from_endpoint_attributes(
        stack, "Imported", endpoint_name="elsewhere", output_bucket=s3.Bucket.from_bucket_name(stack, "Theirs", "their-results"),
        output_prefix="out/", failure_prefix="err/", output_key=kms.Key.from_key_arn(stack, "TheirKey", key_arn),
    )
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    imported.grant_invoke(caller)

    decrypts = [statement["Resource"] for statement in statements_of_role(Template.from_stack(stack), "Caller") if statement["Action"] == "kms:Decrypt"]

    assert decrypts == [key_arn]


def test_an_asynchronous_endpoint_refuses_to_scale_anything_but_its_instances(stack):
    import dataclasses

    from loadmaster.async_inference import backlog_scaling
    from loadmaster.scaling import ScalableDimension

    endpoint = make_endpoint(stack)

    with pytest.raises(ValueError, match="^AsyncEndpoint: an asynchronous endpoint scales its instances, not sagemaker:inference-component:DesiredCopyCount$"):
        endpoint.autoscale(dataclasses.replace(backlog_scaling(0, 3), dimension=ScalableDimension.COPIES))


def test_the_endpoint_rehearses_create_update_and_delete_in_loadmaster_testing(synthesized):
    from loadmaster.rehearsal import Stack, rehearse

    _, _, template_file = synthesized
    deployed = json.loads(template_file.read_text())
    more_concurrent = json.loads(json.dumps(deployed).replace('"MaxConcurrentInvocationsPerInstance": 4', '"MaxConcurrentInvocationsPerInstance": 8'))

    report = rehearse([Stack("AsyncStack", deployed)], [Stack("AsyncStack", more_concurrent)])

    assert "at minimum: transcribe: 0 of 0..3 ml.g5.2xlarge instances" in report
    assert "updated stack AsyncStack: modified stack (endpoint config)" in report
    assert report[-2:] == ["deleted: nothing left behind", report[-1]] and report[-1].startswith("rehearsal passed")


def test_on_a_cpu_instance_type_the_storage_key_encrypts_the_volumes_and_the_output_key_the_results(stack):
    from aws_cdk import aws_kms as kms

    from constructs.endpoint_isolation import EndpointIsolation

    storage = kms.Key(stack, "Storage", enable_key_rotation=True)
    make_endpoint(stack, instance_type="ml.c5.xlarge", isolation=EndpointIsolation(kms_key=storage))

    template = Template.from_stack(stack)

    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "KmsKeyId": {"Fn::GetAtt": [logical_id(template, "AWS::KMS::Key", "Storage"), "Arn"]},
            "AsyncInferenceConfig": {"OutputConfig": Match.object_like({"KmsKeyId": {"Fn::GetAtt": [logical_id(template, "AWS::KMS::Key", "TranscribeOutputKey"), "Arn"]}}), "ClientConfig": Match.any_value()},
            "ProductionVariants": [Match.object_like({"InstanceType": "ml.c5.xlarge"})],
        },
    )


def test_an_async_endpoint_takes_scheduled_actions_and_step_policies_beside_its_backlog_tracking(stack):
    from dataclasses import replace

    from loadmaster.async_inference import backlog_scaling
    from loadmaster.scaling import MetricAlarm, ScheduledAction, Step, StepScaling
    endpoint = make_endpoint(stack)
    oldest = StepScaling(MetricAlarm("AWS/SageMaker", "ApproximateAgeOfOldestRequest", "Maximum", 60, threshold=300), (Step(1),), cooldown_s=300)
    scaling = replace(backlog_scaling(0, 3), scheduled=(ScheduledAction("batch-window", "cron(0 1 * * ? *)", min=1, max=3),), step=(oldest,))

    endpoint.autoscale(scaling)

    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {
        "ResourceId": "endpoint/transcribe/variant/AllTraffic",
        "ScheduledActions": [{"ScheduledActionName": "batch-window", "Schedule": "cron(0 1 * * ? *)", "Timezone": "UTC",
                              "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 3}}],
    })
    # the queue's metric is published per endpoint only
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "ApproximateAgeOfOldestRequest", "Dimensions": [{"Name": "EndpointName", "Value": "transcribe"}]})
