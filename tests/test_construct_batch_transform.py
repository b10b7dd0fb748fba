"""BatchTransform: a model run as a SageMaker transform job by a Step Functions state machine that waits for it, on an
EventBridge Scheduler schedule or on each new object under the input prefix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
NAME = "churn-scoring"
INPUTS = "customers/daily/"


def make_transform(stack, id="Churn", **overrides):
    from aws_cdk import aws_s3 as s3
    from constructs.batch_transform import BatchTransform, TransformSchedule

    from loadmaster.plan import ContainerDefinition

    props = dict(
        transform_name=NAME,
        container=ContainerDefinition(IMAGE, "s3://models/churn/model.tar.gz", {}),
        instance_type="ml.m5.xlarge",
        instance_count=2,
        input_bucket=s3.Bucket.from_bucket_name(stack, f"{id}Inputs", "team-data"),
        input_prefix=INPUTS,
        trigger=TransformSchedule("cron(0 2 ? * MON-FRI *)", "Europe/Paris"),
        max_concurrent_transforms=4,
        max_payload_mb=6,
        batch_strategy="MultiRecord",
        split_type="Line",
        content_type="text/csv",
        assemble_with="Line",
    )
    return BatchTransform(stack, id, **{**props, **overrides})


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """A scheduled transform with a caller allowed to start runs, synthesized once as `cdk synth` would, both compliance
    packs included: (template, validation report, template file)."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam

    from stacks import CDK_JSON, add_compliance_checks

    outdir = tmp_path_factory.mktemp("batch") / "cdk.out"
    app = cdk.App(outdir=str(outdir), context=json.loads(CDK_JSON.read_text())["context"])
    stack = cdk.Stack(app, "BatchStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
    transform = make_transform(stack)
    transform.grant_start_execution(iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal()))
    add_compliance_checks(app)
    app.synth()
    template_file = outdir / "BatchStack.template.json"
    return Template.from_json(json.loads(template_file.read_text())), json.loads((outdir / "validation-report.json").read_text()), template_file


def logical_id(template: Template, resource_type: str, prefix: str) -> str:
    (found,) = [name for name in template.find_resources(resource_type) if name.startswith(prefix)]
    return found


def definition_of(template: Template) -> dict:
    """The state machine's definition, its references written ${LogicalId} and ${LogicalId.Attribute}."""
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()

    def text(part):
        if isinstance(part, str):
            return part
        if "Ref" in part:
            return "${" + part["Ref"] + "}"
        return "${" + ".".join(part["Fn::GetAtt"]) + "}"

    delimiter, parts = machine["Properties"]["DefinitionString"]["Fn::Join"]
    return json.loads(delimiter.join(map(text, parts)))


def results_bucket(template: Template) -> str:
    """The bucket the construct creates for results (its access-log bucket logs nothing itself)."""
    (bucket,) = [name for name, bucket in template.find_resources("AWS::S3::Bucket").items() if "LoggingConfiguration" in bucket["Properties"]]
    return bucket


def statements_of_role(template: Template, role_prefix: str) -> list[dict]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if any(role["Ref"].startswith(role_prefix) for role in policy["Properties"]["Roles"])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def resources(statement: dict) -> list:
    return statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]


def actions(statement: dict) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_the_state_machine_runs_the_model_with_create_transform_job_sync(synthesized):
    template, _, _ = synthesized
    model = logical_id(template, "AWS::SageMaker::Model", "ChurnModel")
    key = logical_id(template, "AWS::KMS::Key", "ChurnOutputKey")
    output = results_bucket(template)

    transform = definition_of(template)["States"]["Transform"]

    assert transform["Resource"] == "arn:${AWS::Partition}:states:::sagemaker:createTransformJob.sync"
    assert transform["Parameters"] == {
        "TransformJobName.$": "$.job_name",
        "ModelName": "${" + model + ".ModelName}",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.input"}}, "SplitType": "Line", "ContentType": "text/csv"},
        "TransformOutput": {"S3OutputPath.$": "States.Format('s3://${" + output + "}/" + NAME + "/{}/', $.job_name)", "KmsKeyId": "${" + key + ".Arn}", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
        "MaxConcurrentTransforms": 4,
        "MaxPayloadInMB": 6,
        "BatchStrategy": "MultiRecord",
    }


def test_each_run_names_its_job_after_the_transform_and_a_random_suffix(synthesized):
    template, _, _ = synthesized
    states = definition_of(template)["States"]

    name = f"States.Format('{NAME}-{{}}', States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 4))"

    assert states["WholePrefix"]["Parameters"] == {"input": f"s3://team-data/{INPUTS}", "job_name.$": name}
    assert states["UnderPrefix"]["Parameters"] == {"input.$": "$.input", "job_name.$": name}


def test_a_run_without_input_transforms_the_whole_prefix_and_one_outside_it_is_refused(synthesized):
    template, _, _ = synthesized
    states = definition_of(template)

    choice = states["States"][states["StartAt"]]

    assert choice["Type"] == "Choice"
    assert choice["Choices"] == [
        {"Not": {"Variable": "$.input", "IsPresent": True}, "Next": "WholePrefix"},
        {"Variable": "$.input", "StringMatches": f"s3://team-data/{INPUTS}*", "Next": "UnderPrefix"},
    ]
    assert states["States"][choice["Default"]] == {"Type": "Fail", "Error": "InputOutsidePrefix", "Cause": f"A run's input must be under s3://team-data/{INPUTS}"}


def test_a_failed_job_fails_the_execution_with_its_reason(synthesized):
    template, _, _ = synthesized
    states = definition_of(template)["States"]

    assert states["Transform"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "TransformFailed"}]
    assert states["TransformFailed"] == {"Type": "Fail", "Error": "TransformJobFailed", "CausePath": "$.failure.Cause"}


def test_failed_executions_raise_an_alarm_that_keeps_its_logical_id(synthesized):
    template, _, _ = synthesized
    machine = logical_id(template, "AWS::StepFunctions::StateMachine", "ChurnStateMachine")

    # Found under the logical id it has always had: a new one would replace the alarm, its name and its history.
    alarms = template.find_resources(
        "AWS::CloudWatch::Alarm",
        {"Properties": {
            "Namespace": "AWS/States",
            "MetricName": "ExecutionsFailed",
            "Dimensions": [{"Name": "StateMachineArn", "Value": {"Ref": machine}}],
            "Statistic": "Sum",
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "EvaluationPeriods": 1,
            "TreatMissingData": "notBreaching",
        }},
    )
    assert list(alarms) == [logical_id(template, "AWS::CloudWatch::Alarm", "ChurnFailedRuns")]


def test_the_schedule_starts_the_state_machine_on_its_cron_in_its_time_zone(synthesized):
    template, _, _ = synthesized
    machine = logical_id(template, "AWS::StepFunctions::StateMachine", "ChurnStateMachine")
    role = logical_id(template, "AWS::IAM::Role", "ChurnScheduleRole")

    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "cron(0 2 ? * MON-FRI *)",
            "ScheduleExpressionTimezone": "Europe/Paris",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": {"Ref": machine}, "RoleArn": {"Fn::GetAtt": [role, "Arn"]}, "Input": "{}"},
        },
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {"AssumeRolePolicyDocument": {"Statement": [Match.object_like({"Principal": {"Service": "scheduler.amazonaws.com"}, "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}})]}},
    )
    assert [(actions(statement), statement["Resource"]) for statement in statements_of_role(template, "ChurnScheduleRole")] == [(["states:StartExecution"], {"Ref": machine})]


def test_the_state_machine_may_run_only_its_own_jobs_and_passes_no_role(synthesized):
    template, _, _ = synthesized
    statements = statements_of_role(template, "ChurnStateMachineRole")

    sagemaker = [statement for statement in statements if any(action.startswith("sagemaker:") for action in actions(statement))]
    every_action = [action for statement in statements for action in actions(statement)]

    assert [statement["Resource"] for statement in sagemaker] == [f"arn:aws:sagemaker:us-east-1:123456789012:transform-job/{NAME}-*"]
    assert set(actions(sagemaker[0])) == {"sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob", "sagemaker:AddTags", "sagemaker:ListTags"}
    assert "iam:PassRole" not in every_action
    assert any(statement["Resource"] == "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForSageMakerTransformJobsRule" for statement in statements)


def test_the_models_role_reads_only_the_input_prefix_and_writes_only_the_output_prefix(synthesized):
    template, _, _ = synthesized
    output = results_bucket(template)
    statements = statements_of_role(template, "ChurnExecutionRole")

    reads = [resource for statement in statements if "s3:GetObject" in actions(statement) for resource in resources(statement)]
    listings = [statement for statement in statements if "s3:ListBucket" in actions(statement) and "team-data" in json.dumps(statement["Resource"])]
    writes = [statement for statement in statements if "s3:PutObject" in actions(statement)]

    assert {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::team-data/{INPUTS}*"]]} in reads
    assert [statement["Condition"] for statement in listings] == [{"StringLike": {"s3:prefix": [f"{INPUTS}*"]}}]
    assert [(sorted(actions(statement)), statement["Resource"]) for statement in writes] == [
        (["s3:AbortMultipartUpload", "s3:PutObject"], {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": output}, f"/{NAME}/*"]]})
    ]


def test_the_model_runs_its_artifact_as_the_execution_role_which_may_decrypt_the_artifact_with_its_key(stack):
    from loadmaster.plan import ContainerDefinition

    artifact_key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    make_transform(stack, container=ContainerDefinition(IMAGE, "s3://models/churn/model.tar.gz", {}, artifact_kms_key_arn=artifact_key))
    template = Template.from_stack(stack)
    role = logical_id(template, "AWS::IAM::Role", "ChurnExecutionRole")

    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {"ExecutionRoleArn": {"Fn::GetAtt": [role, "Arn"]}, "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://models/churn/model.tar.gz"}},
    )
    decrypts = [statement["Resource"] for statement in statements_of_role(template, "ChurnExecutionRole") if "kms:Decrypt" in actions(statement)]
    assert artifact_key in decrypts


def test_the_results_key_and_the_schedules_role_say_which_transform_they_serve(synthesized):
    template, _, _ = synthesized

    template.has_resource_properties("AWS::KMS::Key", {"Description": f"loadmaster: results of batch transform {NAME}", "EnableKeyRotation": True})
    template.has_resource_properties("AWS::IAM::Role", {"Description": f"Lets EventBridge Scheduler start runs of batch transform {NAME}"})
    template.has_resource_properties("AWS::Scheduler::Schedule", {"Description": f"Runs batch transform {NAME} over {INPUTS}"})


def test_the_results_bucket_is_access_logged_to_a_second_bucket_under_the_transforms_name(synthesized):
    template, _, _ = synthesized
    output = results_bucket(template)
    access_logs = logical_id(template, "AWS::S3::Bucket", "ChurnOutputAccessLogs")

    assert template.find_resources("AWS::S3::Bucket")[output]["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": access_logs},
        "LogFilePrefix": f"{NAME}/",
    }


def test_executions_are_logged_and_traced(synthesized):
    template, _, _ = synthesized

    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {"TracingConfiguration": {"Enabled": True}, "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True})},
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": f"/aws/vendedlogs/states/{NAME}", "RetentionInDays": 365})


def test_a_caller_may_start_runs_of_this_state_machine_only(synthesized):
    template, _, _ = synthesized
    machine = logical_id(template, "AWS::StepFunctions::StateMachine", "ChurnStateMachine")

    assert [(actions(statement), statement["Resource"]) for statement in statements_of_role(template, "Caller")] == [(["states:StartExecution"], {"Ref": machine})]


def test_the_transform_passes_both_compliance_packs_with_no_unacknowledged_finding(synthesized):
    _, report, _ = synthesized

    assert [violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]] == []


def test_cfn_lint_reports_nothing_on_the_template(synthesized):
    _, _, template_file = synthesized
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run([str(cfn_lint), "--", str(template_file)], capture_output=True, text=True, timeout=300)

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_new_objects_under_the_prefix_start_a_run_on_that_object(stack):
    from constructs.batch_transform import NewObjects

    transform = make_transform(stack, trigger=NewObjects())
    template = Template.from_stack(stack)
    machine = logical_id(template, "AWS::StepFunctions::StateMachine", "ChurnStateMachine")

    template.resource_count_is("AWS::Scheduler::Schedule", 0)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": ["team-data"]}, "object": {"key": [{"prefix": INPUTS}]}}},
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Ref": machine},
                        "InputTransformer": {"InputPathsMap": {"detail-object-key": "$.detail.object.key"}, "InputTemplate": '{"input":"s3://team-data/<detail-object-key>"}'},
                    }
                )
            ],
        },
    )
    # The rule keeps the logical id it has always had: a new one would replace it.
    assert list(template.find_resources("AWS::Events::Rule")) == [logical_id(template, "AWS::Events::Rule", "ChurnOnNewObjects")]
    assert transform.rule is not None and transform.schedule is None


def test_a_bucket_of_the_stack_is_set_to_send_its_events_to_eventbridge(stack):
    from aws_cdk import aws_s3 as s3
    from constructs.batch_transform import NewObjects

    make_transform(stack, trigger=NewObjects(), input_bucket=s3.Bucket(stack, "Landing", enforce_ssl=True))

    Template.from_stack(stack).has_resource_properties("AWS::S3::Bucket", {"NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}})


def test_a_bucket_of_yours_is_not_changed_nor_given_a_custom_resource(stack):
    from constructs.batch_transform import NewObjects

    make_transform(stack, trigger=NewObjects())
    template = Template.from_stack(stack)

    assert [resource["Type"] for resource in template.to_json()["Resources"].values() if resource["Type"].startswith(("Custom::", "AWS::Lambda::"))] == []
    assert all("NotificationConfiguration" not in bucket["Properties"] for bucket in template.find_resources("AWS::S3::Bucket").values())


def test_a_transform_without_trigger_has_neither_schedule_nor_rule(stack):
    make_transform(stack, trigger=None)
    template = Template.from_stack(stack)

    template.resource_count_is("AWS::Scheduler::Schedule", 0)
    template.resource_count_is("AWS::Events::Rule", 0)
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)


def test_a_bucket_and_key_of_yours_receive_the_results(stack):
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3

    key = kms.Key.from_key_arn(stack, "Key", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    transform = make_transform(stack, output_bucket=s3.Bucket.from_bucket_name(stack, "Results", "team-results"), output_prefix="churn/", output_key=key)
    template = Template.from_stack(stack)

    template.resource_count_is("AWS::S3::Bucket", 0)
    template.resource_count_is("AWS::KMS::Key", 0)
    assert transform.output_path == "s3://team-results/churn/"
    assert definition_of(template)["States"]["Transform"]["Parameters"]["TransformOutput"]["KmsKeyId"] == key.key_arn


def test_invalid_props_are_reported_together(stack):
    from constructs.batch_transform import TransformSchedule

    with pytest.raises(ValueError) as raised:
        make_transform(
            stack, transform_name="churn scoring", input_prefix="/customers", instance_count=0, max_payload_mb=101,
            batch_strategy="MultiRecord", split_type="None", trigger=TransformSchedule("cron(0 2 * * *)"),
        )

    message = str(raised.value)
    assert message.startswith("BatchTransform: transform_name 'churn scoring' must follow SageMaker's name rule in 50 characters at most")
    for problem in ("input_prefix must be a key prefix ending in /", "six fields", "instance_count must be at least 1, got 0", "max_payload_mb must be 0 to 100, got 101", "batch_strategy MultiRecord takes effect only with split_type"):
        assert problem in message


def test_a_transform_name_too_long_for_its_jobs_is_refused(stack):
    with pytest.raises(ValueError, match="in 50 characters at most"):
        make_transform(stack, transform_name="a" * 51)


def test_the_metrics_are_the_state_machines_executions(stack):
    transform = make_transform(stack)

    metrics = [transform.metric_executions_failed(), transform.metric_executions_succeeded(), transform.metric_executions_timed_out()]

    assert [(metric.namespace, metric.metric_name, metric.statistic) for metric in metrics] == [
        ("AWS/States", "ExecutionsFailed", "Sum"),
        ("AWS/States", "ExecutionsSucceeded", "Sum"),
        ("AWS/States", "ExecutionsTimedOut", "Sum"),
    ]


def test_an_imported_transform_grants_starting_its_runs(stack):
    from aws_cdk import aws_iam as iam
    from constructs.batch_transform import BatchTransform

    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:nightly"
    imported = BatchTransform.from_state_machine_arn(stack, "Nightly", arn)
    imported.grant_start_execution(iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal()))

    assert [(actions(statement), statement["Resource"]) for statement in statements_of_role(Template.from_stack(stack), "Caller")] == [(["states:StartExecution"], arn)]
    assert imported.metric_executions_failed().dimensions == {"StateMachineArn": arn}



def test_a_serial_pipeline_runs_as_one_model_of_its_containers_in_order(stack):
    from loadmaster.plan import ContainerDefinition

    features = ContainerDefinition("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", "s3://models/churn/features.tar.gz", {})
    score = ContainerDefinition(IMAGE, "s3://models/churn/model.tar.gz", {"SAGEMAKER_PROGRAM": "score.py"})

    make_transform(stack, container=None, pipeline={"features": features, "score": score})
    template = Template.from_stack(stack)

    template.resource_count_is("AWS::SageMaker::Model", 1)
    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "Containers": [
                Match.object_like({"ContainerHostname": "features", "Image": features.image, "ModelDataUrl": features.artifact}),
                Match.object_like({"ContainerHostname": "score", "Image": IMAGE, "Environment": {"SAGEMAKER_PROGRAM": "score.py"}}),
            ],
            "InferenceExecutionConfig": {"Mode": "Serial"},
            "PrimaryContainer": Match.absent(),
        },
    )
    (model,) = template.find_resources("AWS::SageMaker::Model")
    assert definition_of(template)["States"]["Transform"]["Parameters"]["ModelName"] == "${" + model + ".ModelName}"


def test_a_transform_needs_one_container_or_a_pipeline_of_two_or_more(stack):
    from loadmaster.plan import ContainerDefinition

    one = ContainerDefinition(IMAGE, None, {})

    with pytest.raises(ValueError) as both:
        make_transform(stack, id="Both", pipeline={"a": one, "b": one})
    with pytest.raises(ValueError, match="Serial mode runs 2 to 15 containers in one model, got 1"):
        make_transform(stack, id="Short", container=None, pipeline={"a": one})

    assert str(both.value) == "BatchTransform: give container, or pipeline (a serial pipeline's containers), and only one"


def test_a_short_pipeline_is_reported_with_the_transforms_other_problems(stack):
    from loadmaster.plan import ContainerDefinition

    one = ContainerDefinition(IMAGE, None, {})

    with pytest.raises(ValueError) as raised:
        make_transform(stack, transform_name="churn scoring", container=None, pipeline={"a": one})

    message = str(raised.value)
    assert "transform_name 'churn scoring' must follow SageMaker's name rule" in message
    assert "Serial mode runs 2 to 15 containers in one model, got 1" in message


def test_new_objects_anywhere_in_a_whole_bucket_start_a_run(stack):
    from constructs.batch_transform import NewObjects

    make_transform(stack, trigger=NewObjects(), input_prefix="")

    Template.from_stack(stack).has_resource_properties(
        "AWS::Events::Rule", {"EventPattern": Match.object_like({"detail": {"bucket": {"name": ["team-data"]}, "object": {"key": [{"exists": True}]}}})}
    )
