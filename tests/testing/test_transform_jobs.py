"""Transform jobs in loadmaster.testing: CreateTransformJob checked as SageMaker checks it, jobs that read their input
from moto's S3 and write one .out object per input object, InProgress while status transitions last, and
StopTransformJob; AWS::Scheduler::Schedule in CloudFormation."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from ic_givens import ROLE, error_of

import loadmaster.testing

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
INPUT = "s3://team-data/customers/daily/"
OUTPUT = "s3://team-results/churn/run-1/"


@pytest.fixture
def s3_client(mocked_sagemaker, aws_region):
    s3 = boto3.client("s3", region_name=aws_region)
    for bucket in ("team-data", "team-results"):
        s3.create_bucket(Bucket=bucket)
    for day in ("2027-01-04.csv", "2027-01-05.csv"):
        s3.put_object(Bucket="team-data", Key=f"customers/daily/{day}", Body=b"1,2,3\n")
    s3.put_object(Bucket="team-data", Key="elsewhere/other.csv", Body=b"4\n")
    return s3


@pytest.fixture
def model(sagemaker_client) -> str:
    sagemaker_client.create_model(ModelName="churn", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    return "churn"


def create_job(sagemaker, name="churn-1", model="churn", source=INPUT, **overrides):
    request = dict(
        TransformJobName=name,
        ModelName=model,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": source}}, "SplitType": "Line"},
        TransformOutput={"S3OutputPath": OUTPUT},
        TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
    )
    return sagemaker.create_transform_job(**{**request, **overrides})


def test_a_job_writes_one_out_object_per_input_object_under_its_output_path(sagemaker_client, s3_client, model):
    create_job(sagemaker_client)

    job = sagemaker_client.describe_transform_job(TransformJobName="churn-1")
    written = [item["Key"] for item in s3_client.list_objects_v2(Bucket="team-results")["Contents"]]

    assert job["TransformJobStatus"] == "Completed" and "FailureReason" not in job
    assert written == ["churn/run-1/2027-01-04.csv.out", "churn/run-1/2027-01-05.csv.out"]


def test_a_job_of_a_serial_pipeline_model_runs_over_its_input_as_a_one_container_models_does(sagemaker_client, s3_client):
    # Given a model of two containers in serial mode (a pipeline)
    sagemaker_client.create_model(ModelName="scoring", ExecutionRoleArn=ROLE, InferenceExecutionConfig={"Mode": "Serial"},
                                  Containers=[{"ContainerHostname": "features", "Image": IMAGE}, {"ContainerHostname": "score", "Image": IMAGE}])

    create_job(sagemaker_client, name="scoring-1", model="scoring")

    job = sagemaker_client.describe_transform_job(TransformJobName="scoring-1")
    assert (job["ModelName"], job["TransformJobStatus"]) == ("scoring", "Completed")
    assert len(s3_client.list_objects_v2(Bucket="team-results")["Contents"]) == 2


def test_a_job_over_one_object_writes_its_out_object(sagemaker_client, s3_client, model):
    create_job(sagemaker_client, source=INPUT + "2027-01-05.csv")

    written = [item["Key"] for item in s3_client.list_objects_v2(Bucket="team-results")["Contents"]]

    assert written == ["churn/run-1/2027-01-05.csv.out"]


def test_a_job_that_finds_no_input_fails_with_the_reason(sagemaker_client, s3_client, model):
    create_job(sagemaker_client, source="s3://team-data/nothing-here/")

    job = sagemaker_client.describe_transform_job(TransformJobName="churn-1")

    assert (job["TransformJobStatus"], job["FailureReason"]) == ("Failed", "ClientError: No objects found under S3 URI s3://team-data/nothing-here/")


def test_a_job_stays_in_progress_while_transitions_last_and_can_be_stopped_then(sagemaker_client, s3_client, model):
    with loadmaster.testing.status_transitions(describes=2):
        create_job(sagemaker_client, name="churn-1")
        create_job(sagemaker_client, name="churn-2")

    statuses = [sagemaker_client.describe_transform_job(TransformJobName="churn-1")["TransformJobStatus"] for _ in range(3)]
    sagemaker_client.stop_transform_job(TransformJobName="churn-2")

    assert statuses == ["InProgress", "InProgress", "Completed"]
    assert sagemaker_client.describe_transform_job(TransformJobName="churn-2")["TransformJobStatus"] == "Stopped"
    assert error_of(lambda: sagemaker_client.stop_transform_job(TransformJobName="churn-1")) == (
        "ValidationException", "The transform job churn-1 is Completed and cannot be stopped."
    )
    assert error_of(lambda: sagemaker_client.stop_transform_job(TransformJobName="churn-9")) == (
        "ResourceNotFound", "Could not find transform job 'arn:aws:sagemaker:us-east-1:123456789012:transform-job/churn-9'."
    )


def test_a_job_of_a_model_that_does_not_exist_is_refused(sagemaker_client, s3_client):
    assert error_of(lambda: create_job(sagemaker_client, model="nobody")) == (
        "ValidationException", 'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/nobody".'
    )


def test_a_job_name_is_used_once(sagemaker_client, s3_client, model):
    create_job(sagemaker_client)

    code, message = error_of(lambda: create_job(sagemaker_client))

    assert code == "ResourceInUse" and message.endswith("(arn:aws:sagemaker:us-east-1:123456789012:transform-job/churn-1)")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"TransformResources": {"InstanceType": "ml.p5.48xlarge", "InstanceCount": 1}}, "Value 'ml.p5.48xlarge' at 'transformResources.instanceType' failed to satisfy constraint: Member must satisfy enum value set: [ml.m4.xlarge, "),
        ({"BatchStrategy": "Everything"}, "Value 'Everything' at 'batchStrategy' failed to satisfy constraint: Member must satisfy enum value set: [MultiRecord, SingleRecord]"),
        ({"TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "Prefix", "S3Uri": INPUT}}}},
         "1 validation error detected: Value 'Prefix' at 'transformInput.dataSource.s3DataSource.s3DataType' failed to satisfy constraint: "
         "Member must satisfy enum value set: [ManifestFile, S3Prefix, AugmentedManifestFile"),  # and what botocore's model adds
        ({"ModelClientConfig": {"InvocationsMaxRetries": 4}}, "Value '4' at 'modelClientConfig.invocationsMaxRetries' failed to satisfy constraint: Member must have value less than or equal to 3"),
        ({"TransformOutput": {"S3OutputPath": "results/"}}, "Value 'results/' at 'transformOutput.s3OutputPath' failed to satisfy constraint: Member must satisfy regular expression pattern: "),
        ({"MaxPayloadInMB": 101}, "MaxPayloadInMB (101) cannot be greater than 100 MB."),
        ({"MaxPayloadInMB": 20, "MaxConcurrentTransforms": 6}, "The value of (MaxConcurrentTransforms * MaxPayloadInMB) (6 * 20) cannot exceed 100 MB."),
    ],
)
def test_settings_sagemaker_refuses_are_refused_with_its_validation_error(sagemaker_client, s3_client, model, overrides, message):
    code, text = error_of(lambda: create_job(sagemaker_client, **overrides))

    assert code == "ValidationException" and message in text, text


def test_minimums_botocore_checks_for_its_clients_are_checked_for_other_callers_too(sagemaker_client, s3_client, model):
    """A Step Functions task calls SageMaker without botocore's client-side checks."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends["123456789012"]["us-east-1"]
    request = dict(
        transform_job_name="churn-1", model_name="churn", max_concurrent_transforms=-1, model_client_config=None, max_payload_in_mb=None,
        batch_strategy=None, environment=None, transform_input={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": INPUT}}},
        transform_output={"S3OutputPath": OUTPUT}, data_capture_config=None, transform_resources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 0},
        data_processing=None, tags=None, experiment_config=None,
    )

    with pytest.raises(Exception, match="Value '0' at 'transformResources.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1"):
        backend.create_transform_job(**request)
    with pytest.raises(Exception, match="Value '-1' at 'maxConcurrentTransforms' failed to satisfy constraint: Member must have value greater than or equal to 0"):
        backend.create_transform_job(**{**request, "transform_resources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1}})


def test_settings_at_their_limits_are_accepted(sagemaker_client, s3_client, model):
    create_job(sagemaker_client, MaxPayloadInMB=100, MaxConcurrentTransforms=1, ModelClientConfig={"InvocationsMaxRetries": 3, "InvocationsTimeoutInSeconds": 3600})
    create_job(sagemaker_client, name="churn-2", MaxPayloadInMB=25, MaxConcurrentTransforms=4, BatchStrategy="MultiRecord")

    assert [job["TransformJobStatus"] for job in sagemaker_client.list_transform_jobs()["TransformJobSummaries"]] == ["Completed", "Completed"]


def test_a_schedule_in_a_stack_is_created_updated_and_deleted(cloudformation_client, aws_region):
    scheduler = boto3.client("scheduler", region_name=aws_region)
    target = {"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:nightly", "RoleArn": ROLE, "Input": "{}"}

    def template(expression):
        schedule = {"Type": "AWS::Scheduler::Schedule", "Properties": {"ScheduleExpression": expression, "ScheduleExpressionTimezone": "Europe/Paris", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": target}}
        return json.dumps({"Resources": {"Nightly": schedule}, "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Nightly", "Arn"]}}}})

    cloudformation_client.create_stack(StackName="batch", TemplateBody=template("cron(0 2 * * ? *)"))
    (name,) = [schedule["Name"] for schedule in scheduler.list_schedules()["Schedules"]]
    created = scheduler.get_schedule(Name=name)
    cloudformation_client.update_stack(StackName="batch", TemplateBody=template("rate(6 hours)"))
    updated = [scheduler.get_schedule(Name=schedule["Name"])["ScheduleExpression"] for schedule in scheduler.list_schedules()["Schedules"]]
    cloudformation_client.delete_stack(StackName="batch")

    assert (created["ScheduleExpression"], created["ScheduleExpressionTimezone"], created["Target"]["Arn"]) == ("cron(0 2 * * ? *)", "Europe/Paris", target["Arn"])
    assert updated == ["rate(6 hours)"]
    assert scheduler.list_schedules()["Schedules"] == []


def test_a_schedule_expression_scheduler_refuses_fails_the_stack(cloudformation_client):
    schedule = {"Type": "AWS::Scheduler::Schedule", "Properties": {"ScheduleExpression": "cron(0 2 * * *)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": {"Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:n", "RoleArn": ROLE}}}

    with pytest.raises(Exception, match="Invalid Schedule Expression cron\\(0 2 \\* \\* \\*\\)"):
        cloudformation_client.create_stack(StackName="batch", TemplateBody=json.dumps({"Resources": {"Nightly": schedule}}))


def test_a_state_machine_in_a_stack_runs_in_a_mock_that_executes_state_machines_and_is_updated_and_deleted(aws_region):
    # Given a mock that executes state machines: its API answers from the interpreter's backend, where the stack's must be
    def template(result: str) -> str:
        definition = {"StartAt": "Report", "States": {"Report": {"Type": "Pass", "Result": {"run": result}, "End": True}}}
        machine = {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "StateMachineName": "nightly", "DefinitionString": json.dumps(definition), "RoleArn": ROLE, "Tags": [{"Key": "team", "Value": "churn"}]}}
        return json.dumps({"Resources": {"Nightly": machine}})

    with loadmaster.testing.mock_sagemaker(config={"stepfunctions": {"execute_state_machine": True}}):
        cloudformation, sfn = (boto3.client(service, region_name=aws_region) for service in ("cloudformation", "stepfunctions"))
        cloudformation.create_stack(StackName="batch", TemplateBody=template("created"))
        (machine,) = [machine["stateMachineArn"] for machine in sfn.list_state_machines()["stateMachines"]]
        tags = sfn.list_tags_for_resource(resourceArn=machine)["tags"]
        cloudformation.update_stack(StackName="batch", TemplateBody=template("updated"))
        execution = ended(sfn, sfn.start_execution(stateMachineArn=machine)["executionArn"])
        cloudformation.delete_stack(StackName="batch")

        assert (machine.rsplit(":", 1)[-1], tags) == ("nightly", [{"key": "team", "value": "churn"}])
        assert (execution["status"], json.loads(execution["output"])) == ("SUCCEEDED", {"run": "updated"})
        assert sfn.list_state_machines()["stateMachines"] == []


def ended(sfn, execution: str) -> dict:
    """The execution, described once it is no longer running."""
    for _ in range(100):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError("the execution did not end")


def run_state_machine(aws_region, parameters: dict, execution_input: dict) -> dict:
    """A one-task state machine on createTransformJob.sync, executed by moto's interpreter; the ended execution, with
    the events of its history under "events"."""
    definition = {"StartAt": "Transform", "States": {"Transform": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync", "Parameters": parameters, "End": True}}}
    with loadmaster.testing.mock_sagemaker(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name=aws_region)
        machine = sfn.create_state_machine(name="nightly", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        execution = ended(sfn, sfn.start_execution(stateMachineArn=machine, input=json.dumps(execution_input))["executionArn"])
        return {**execution, "events": sfn.get_execution_history(executionArn=execution["executionArn"])["events"]}


TASK_PARAMETERS = {
    "TransformJobName.$": "$.job_name",
    "ModelName": "churn",
    "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.input"}}, "SplitType": "Line"},
    "TransformOutput": {"S3OutputPath": OUTPUT},
    "TransformResources": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
}


def test_a_state_machine_task_runs_the_transform_job_and_waits_for_it(sagemaker_client, s3_client, model, aws_region):
    with loadmaster.testing.status_transitions(describes=3):
        execution = run_state_machine(aws_region, TASK_PARAMETERS, {"job_name": "churn-1", "input": INPUT})

    output = json.loads(execution["output"])
    job = sagemaker_client.describe_transform_job(TransformJobName="churn-1")
    assert (execution["status"], output["TransformJobStatus"], output["TransformJobName"]) == ("SUCCEEDED", "Completed", "churn-1")
    assert (job["TransformResources"], job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]) == ({"InstanceType": "ml.m5.xlarge", "InstanceCount": 2}, INPUT)


def test_a_failed_job_fails_the_task_with_its_description_as_cause(sagemaker_client, s3_client, model, aws_region):
    execution = run_state_machine(aws_region, TASK_PARAMETERS, {"job_name": "churn-1", "input": "s3://team-data/nothing-here/"})

    assert (execution["status"], execution["error"]) == ("FAILED", "States.TaskFailed")
    assert json.loads(execution["cause"])["FailureReason"] == "ClientError: No objects found under S3 URI s3://team-data/nothing-here/"
    assert task_failed(execution) == {"resourceType": "sagemaker", "resource": "createTransformJob.sync", "error": "States.TaskFailed", "cause": execution["cause"]}


def test_a_refused_request_fails_the_task_with_sagemakers_error(sagemaker_client, s3_client, aws_region):
    execution = run_state_machine(aws_region, TASK_PARAMETERS, {"job_name": "churn-1", "input": INPUT})

    assert (execution["status"], execution["error"]) == ("FAILED", "SageMaker.ValidationException")
    assert execution["cause"] == 'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/churn".'
    assert task_failed(execution) == {"resourceType": "sagemaker", "resource": "createTransformJob.sync", "error": "SageMaker.ValidationException",
                                      "cause": execution["cause"]}


def task_failed(execution: dict) -> dict:
    """The details of the execution's TaskFailed event, as the console shows a failed task."""
    (event,) = [event for event in execution["events"] if event["type"] == "TaskFailed"]
    return event["taskFailedEventDetails"]
