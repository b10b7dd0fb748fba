"""A model run as a batch transform over an S3 prefix: a Step Functions state machine starts each run's SageMaker
transform job and waits for it (``createTransformJob.sync``), on a schedule (EventBridge Scheduler) or on each new
object under the prefix (S3's EventBridge notifications and an EventBridge rule). A failed job fails its execution;
an alarm watches for failed executions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from constructs.model_execution_role import ModelExecutionRole
from constructs.multi_container_model import InferenceExecution, MultiContainerModel, multi_container_problems
from constructs.results_bucket import create_results_bucket
from loadmaster.batch_transform import Schedule, transform_problems
from loadmaster.limits import TRANSFORM_JOB_NAME_MAX, TRANSFORM_JOB_SUFFIX_CHARS
from loadmaster.naming import is_sagemaker_name
from loadmaster.plan import ContainerDefinition
from policies.acknowledgements import acknowledge, wildcard_resource_finding

# What writing an object encrypted with SSE-KMS asks of the writer, a multipart upload included (Amazon S3 user
# guide, "Using server-side encryption with AWS KMS keys", permissions).
KMS_WRITE_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]
S3_WRITE_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"]
# What Step Functions' createTransformJob.sync calls: the job (created, described while it runs, stopped when the
# execution is stopped or times out, tagged MANAGED_BY_AWS: aws/aws-cdk issue 26012) and the managed EventBridge rule
# through which it hears of the job's end (Step Functions developer guide, "IAM policies for Amazon SageMaker AI").
TRANSFORM_JOB_ACTIONS = ["sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob", "sagemaker:AddTags", "sagemaker:ListTags"]
SYNC_RULE_ACTIONS = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
SYNC_RULE_NAME = "StepFunctionsGetEventsForSageMakerTransformJobsRule"
_KEY_PREFIX = re.compile(r"^(?:[^/*]+/)*$")


@dataclass(frozen=True)
class TransformSchedule:
    """Run on a schedule: `expression` is an EventBridge Scheduler ``cron(...)`` or ``rate(...)`` expression, evaluated
    in `time_zone` (IANA). Each run transforms the whole input prefix."""

    expression: str
    time_zone: str = "UTC"


@dataclass(frozen=True)
class NewObjects:
    """Run on each object created under the input prefix, transforming that object.

    The input bucket must send its events to EventBridge: a bucket this stack creates is set to (its
    ``NotificationConfiguration.EventBridgeConfiguration``); on a bucket of yours, turn on "Send notifications to
    Amazon EventBridge" once (S3 console, bucket properties): CloudFormation can set it only on a bucket its stack
    owns, and CDK's way for other buckets, a Lambda-backed custom resource that rewrites the bucket's whole
    notification configuration, puts a function of ours in charge of what is yours."""


Trigger = TransformSchedule | NewObjects | None


class BatchTransformBase(Construct):
    """What a batch transform offers, created here or imported: a grant to start runs, and its executions' metrics."""

    state_machine: sfn.IStateMachine

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` start runs (``states:StartExecution`` on this state machine only). A run's input is
        ``{}`` (the whole input prefix) or ``{"input": "s3://bucket/prefix/..."}`` under the input prefix."""
        return self.state_machine.grant_start_execution(grantee)

    def metric_executions_failed(self) -> cloudwatch.Metric:
        """Runs that ended failed (a failed or stopped transform job, a refused input), per 5 minutes."""
        return self.state_machine.metric_failed(statistic="Sum")

    def metric_executions_succeeded(self) -> cloudwatch.Metric:
        """Runs whose transform job completed, per 5 minutes."""
        return self.state_machine.metric_succeeded(statistic="Sum")

    def metric_executions_timed_out(self) -> cloudwatch.Metric:
        """Runs stopped by their timeout (their job stopped with them), per 5 minutes."""
        return self.state_machine.metric_timed_out(statistic="Sum")


class BatchTransform(BatchTransformBase):
    """A SageMaker model, the state machine that runs it as a transform job over `input_bucket`/`input_prefix`, and
    what starts it.

    :param transform_name: prefixes each run's job name (``<transform_name>-<12 hex digits>``, SageMaker's name rule,
        50 characters at most) and names the state machine's log group.
    :param container: the model's image, artifact and environment (as for an endpoint).
    :param pipeline: instead of `container`, a serial inference pipeline's containers by hostname, in the order a
        record goes through them, 2 to 15 (`constructs.multi_container_model`, mode Serial: batch transform takes no
        direct invocation).
    :param instance_type: a batch transform instance type (botocore's TransformInstanceType).
    :param instance_count: instances a run uses, at least 1. Default: 1.
    :param input_bucket: where the inputs are; `input_prefix` their key prefix, ending in ``/`` (``""``: the whole
        bucket).
    :param output_bucket: where results go, under `output_prefix` (default ``<transform_name>/``), each run's under
        ``<output_prefix><job name>/``. Default: a bucket this construct creates (KMS with the output key, SSL only,
        public access blocked, access-logged to a second bucket; both retained on deletion).
    :param output_key: the KMS key SageMaker encrypts results with (``TransformOutput.KmsKeyId``). Default: a key this
        construct creates, rotated yearly.
    :param input_key_arn: the KMS key the inputs are encrypted with, if a key of yours: the model's role may decrypt
        with it. Default: none.
    :param trigger: `TransformSchedule`, `NewObjects`, or None (runs are started by hand or by a grantee of
        `grant_start_execution`). Default: None.
    :param max_concurrent_transforms: requests in parallel per instance, 0 or more (0: SageMaker asks the container).
        Default: unset (SageMaker's default, 1).
    :param max_payload_mb: one request's payload, 0 to 100 MB (0: chunked). Default: unset (SageMaker's, 6).
    :param batch_strategy: ``MultiRecord`` or ``SingleRecord``, with a `split_type` other than ``None``. Default: unset.
    :param split_type: how input objects are cut into records: ``None``, ``Line``, ``RecordIO``, ``TFRecord``.
        Default: ``None`` (one request per object).
    :param content_type: the inputs' MIME type. Default: unset.
    :param accept: the results' MIME type. Default: unset.
    :param assemble_with: ``Line`` joins a split object's results line by line. Default: unset (``None``).
    :param timeout: how long a run may take; past it the execution stops, and Step Functions stops the job. Default:
        24 hours.
    :param alarm_topic: where the failed-executions alarm notifies. Default: none (the alarm is in CloudWatch only).

    The state machine may create, describe, stop and tag only the jobs named with `transform_name`, and passes no
    role: a transform job runs with its model's (CreateTransformJob takes none). The model's role reads the input
    prefix only and writes the output prefix only.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        transform_name: str,
        instance_type: str,
        input_bucket: s3.IBucket,
        input_prefix: str,
        container: ContainerDefinition | None = None,
        pipeline: Mapping[str, ContainerDefinition] | None = None,
        instance_count: int = 1,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str | None = None,
        output_key: kms.IKey | None = None,
        input_key_arn: str | None = None,
        trigger: Trigger = None,
        max_concurrent_transforms: int | None = None,
        max_payload_mb: int | None = None,
        batch_strategy: str | None = None,
        split_type: str = "None",
        content_type: str | None = None,
        accept: str | None = None,
        assemble_with: str | None = None,
        timeout: cdk.Duration | None = None,
        alarm_topic: sns.ITopic | None = None,
    ) -> None:
        super().__init__(scope, id)
        problems = _problems(transform_name, input_prefix, output_prefix, trigger) + transform_problems(
            instance_type=instance_type, instance_count=instance_count, max_concurrent_transforms=max_concurrent_transforms,
            max_payload_mb=max_payload_mb, batch_strategy=batch_strategy, split_type=split_type,
        )
        if (container is None) == (pipeline is None):
            problems.append("give container, or pipeline (a serial pipeline's containers), and only one")
        elif pipeline is not None:
            problems += multi_container_problems(pipeline, InferenceExecution.SERIAL)
        if assemble_with not in (None, "None", "Line"):
            problems.append(f"assemble_with must be None or Line, got {assemble_with!r}")
        if problems:
            raise ValueError("BatchTransform: " + "; ".join(problems))
        self.transform_name = transform_name
        self.instance_type = instance_type
        self.instance_count = instance_count
        self.input_bucket = input_bucket
        self.input_prefix = input_prefix
        self.output_prefix = output_prefix if output_prefix is not None else f"{transform_name}/"
        self.output_key = output_key or kms.Key(self, "OutputKey", description=f"loadmaster: results of batch transform {transform_name}", enable_key_rotation=True)
        self.output_bucket = output_bucket or create_results_bucket(self, self.output_key, f"{transform_name}/")

        self.execution_role = ModelExecutionRole(self, "ExecutionRole")
        self._grant_reading_inputs(input_key_arn)
        self._grant_writing_results()
        if pipeline is not None:
            self.model = MultiContainerModel(self, "Pipeline", containers=pipeline, mode=InferenceExecution.SERIAL, execution_role=self.execution_role).model
        else:
            self.execution_role.grant_container(container.image, container.artifact, artifact_kms_key_arn=container.artifact_kms_key_arn)
            self.model = sagemaker.CfnModel(
                self,
                "Model",
                execution_role_arn=self.execution_role.role_arn,
                primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(image=container.image, model_data_url=container.artifact, environment=container.environment or None),
            )
            self.model.node.add_dependency(self.execution_role.grants)

        job = {
            "TransformJobName.$": "$.job_name",
            "ModelName": self.model.attr_model_name,
            "TransformInput": _compact({
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.input"}},
                "SplitType": split_type,
                "ContentType": content_type,
            }),
            "TransformOutput": _compact({
                "S3OutputPath.$": f"States.Format('{self.output_path}{{}}/', $.job_name)",
                "KmsKeyId": self.output_key.key_arn,
                "Accept": accept,
                "AssembleWith": assemble_with,
            }),
            "TransformResources": {"InstanceType": instance_type, "InstanceCount": instance_count},
            **_compact({"MaxConcurrentTransforms": max_concurrent_transforms, "MaxPayloadInMB": max_payload_mb, "BatchStrategy": batch_strategy}),
        }
        self.state_machine = self._create_state_machine(job, timeout or cdk.Duration.hours(24))
        self.failure_alarm = self._alarm_on_failures(alarm_topic)
        self.schedule = self._schedule(trigger) if isinstance(trigger, TransformSchedule) else None
        self.rule = self._rule_on_new_objects() if isinstance(trigger, NewObjects) else None

    @classmethod
    def from_state_machine_arn(cls, scope: Construct, id: str, state_machine_arn: str) -> BatchTransformBase:
        """An existing batch transform's state machine, to grant on or read metrics of."""
        imported = _ImportedBatchTransform(scope, id)
        imported.state_machine = sfn.StateMachine.from_state_machine_arn(imported, "StateMachine", state_machine_arn)
        return imported

    @property
    def input_path(self) -> str:
        """The inputs' location, ``s3://bucket/prefix/``."""
        return f"s3://{self.input_bucket.bucket_name}/{self.input_prefix}"

    @property
    def output_path(self) -> str:
        """Where runs write, each under ``<output_path><job name>/``."""
        return f"s3://{self.output_bucket.bucket_name}/{self.output_prefix}"

    @property
    def transform_job_arns(self) -> str:
        """This transform's jobs as IAM names them: every job of it is named ``<transform_name>-...``."""
        return cdk.Stack.of(self).format_arn(service="sagemaker", resource="transform-job", resource_name=f"{self.transform_name.lower()}-*")

    def _create_state_machine(self, job: dict, timeout: cdk.Duration) -> sfn.StateMachine:
        """Choose the input (the whole prefix when none is given, an object or folder under it, else refuse), name
        the run's job, run it and wait; a failed job fails the execution with its reason."""
        name_the_job = f"States.Format('{self.transform_name}-{{}}', States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 4))"
        transform = sfn.CustomState(
            self,
            "Transform",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{cdk.Aws.PARTITION}:states:::sagemaker:createTransformJob.sync",
                "Parameters": job,
            },
        )
        transform.add_catch(
            sfn.Fail(self, "TransformFailed", error="TransformJobFailed", cause_path="$.failure.Cause"),
            errors=["States.ALL"],
            result_path="$.failure",
        )
        whole_prefix = sfn.Pass(self, "WholePrefix", parameters={"input": self.input_path, "job_name": sfn.JsonPath.string_at(name_the_job)})
        under_prefix = sfn.Pass(self, "UnderPrefix", parameters={"input": sfn.JsonPath.string_at("$.input"), "job_name": sfn.JsonPath.string_at(name_the_job)})
        refused = sfn.Fail(self, "InputOutsidePrefix", error="InputOutsidePrefix", cause=f"A run's input must be under {self.input_path}")
        choose = (
            sfn.Choice(self, "ChooseInput")
            .when(sfn.Condition.not_(sfn.Condition.is_present("$.input")), whole_prefix.next(transform))
            .when(sfn.Condition.string_matches("$.input", f"{self.input_path}*"), under_prefix.next(transform))
            .otherwise(refused)
        )
        log_group = logs.LogGroup(self, "Executions", log_group_name=f"/aws/vendedlogs/states/{self.transform_name}", retention=logs.RetentionDays.ONE_YEAR, removal_policy=cdk.RemovalPolicy.DESTROY)
        state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(choose),
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        role = state_machine.role
        # CDK makes the state machine depend on its role, which its RoleArn's GetAtt already says (cfn-lint W3005):
        # the policy is the one dependency to state.
        policy = role.node.find_child("DefaultPolicy").node.default_child
        state_machine.node.default_child.add_override("DependsOn", [cdk.Stack.of(self).get_logical_id(policy)])
        role.add_to_principal_policy(iam.PolicyStatement(actions=TRANSFORM_JOB_ACTIONS, resources=[self.transform_job_arns]))
        role.add_to_principal_policy(iam.PolicyStatement(actions=SYNC_RULE_ACTIONS, resources=[cdk.Stack.of(self).format_arn(service="events", resource="rule", resource_name=SYNC_RULE_NAME)]))
        acknowledge(
            role,
            wildcard_resource_finding(self, self.transform_job_arns),
            f"Each run names its job {self.transform_name}-<12 hex digits> (unique per run): the state machine may create, "
            "describe, stop and tag those jobs only.",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "Step Functions' log delivery (logs:CreateLogDelivery and the rest) and X-Ray's PutTraceSegments, "
            "PutTelemetryRecords and GetSampling* have no resource-level permissions: IAM accepts only '*' for them "
            "(Step Functions developer guide, 'Logging using CloudWatch Logs'; Service Authorization Reference).",
        )
        return state_machine

    def _alarm_on_failures(self, topic: sns.ITopic | None) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            "FailedRuns",
            metric=self.metric_executions_failed(),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"A run of batch transform {self.transform_name} failed: its execution says why (the job's FailureReason)",
        )
        if topic is not None:
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
        return alarm

    def _schedule(self, trigger: TransformSchedule) -> scheduler.CfnSchedule:
        """EventBridge Scheduler starts a run with input ``{}`` (the whole prefix) at each time of the expression, with a
        role that may start this state machine only, and only for schedules of this account."""
        role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}}),
            description=f"Lets EventBridge Scheduler start runs of batch transform {self.transform_name}",
        )
        grant = self.state_machine.grant_start_execution(role)
        schedule = scheduler.CfnSchedule(
            self,
            "Schedule",
            description=f"Runs batch transform {self.transform_name} over {self.input_prefix or 'the whole bucket'}",
            schedule_expression=trigger.expression,
            schedule_expression_timezone=trigger.time_zone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(arn=self.state_machine.state_machine_arn, role_arn=role.role_arn, input=json.dumps({})),
        )
        schedule.node.add_dependency(grant)
        return schedule

    def _rule_on_new_objects(self) -> events.Rule:
        """An EventBridge rule on S3's Object Created events under the input prefix, starting a run on that object."""
        if isinstance(self.input_bucket, s3.Bucket):
            bucket = self.input_bucket.node.default_child
            bucket.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        key = {"prefix": self.input_prefix} if self.input_prefix else {"exists": True}
        rule = events.Rule(
            self,
            "OnNewObjects",
            description=f"Runs batch transform {self.transform_name} on each new object under {self.input_path}",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [self.input_bucket.bucket_name]}, "object": {"key": [key]}},
            ),
        )
        object_uri = f"s3://{self.input_bucket.bucket_name}/{events.EventField.from_path('$.detail.object.key')}"
        rule.add_target(targets.SfnStateMachine(self.state_machine, input=events.RuleTargetInput.from_object({"input": object_uri})))
        return rule

    def _grant_reading_inputs(self, input_key_arn: str | None) -> None:
        """Read the objects under the input prefix and list that prefix: a transform over a prefix lists it."""
        role = self.execution_role.role
        objects = self._s3_arn(f"{self.input_bucket.bucket_name}/{self.input_prefix}*")
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[objects]))
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self._s3_arn(self.input_bucket.bucket_name)], conditions={"StringLike": {"s3:prefix": [f"{self.input_prefix}*"]}})
        )
        acknowledge(role, wildcard_resource_finding(self, objects), f"A run reads every object under {self.input_path}, named as its producers choose: reads are limited to that prefix.")
        if input_key_arn is not None:
            self.execution_role.grant_decrypt(input_key_arn)

    def _grant_writing_results(self) -> None:
        role = self.execution_role.role
        objects = self._s3_arn(f"{self.output_bucket.bucket_name}/{self.output_prefix}*")
        role.add_to_principal_policy(iam.PolicyStatement(actions=S3_WRITE_ACTIONS, resources=[objects]))
        role.add_to_principal_policy(iam.PolicyStatement(actions=KMS_WRITE_ACTIONS, resources=[self.output_key.key_arn]))
        bucket = "the results bucket" if cdk.Token.is_unresolved(self.output_bucket.bucket_name) else self.output_bucket.bucket_name
        acknowledge(role, wildcard_resource_finding(self, objects), f"SageMaker names each result after its input, under {self.output_prefix} of {bucket}: the role may write there and nowhere else in the bucket.")

    def _s3_arn(self, resource: str) -> str:
        """In the stack's partition; S3 ARNs name no region nor account."""
        return cdk.Arn.format(cdk.ArnComponents(partition=cdk.Aws.PARTITION, service="s3", region="", account="", resource=resource), cdk.Stack.of(self))


class _ImportedBatchTransform(BatchTransformBase):
    pass


def _compact(fields: dict) -> dict:
    """The fields that are set: an unset one is left to SageMaker's default."""
    return {name: value for name, value in fields.items() if value is not None}


def _problems(transform_name: str, input_prefix: str, output_prefix: str | None, trigger: Trigger) -> list[str]:
    problems = []
    longest = TRANSFORM_JOB_NAME_MAX - TRANSFORM_JOB_SUFFIX_CHARS
    if not is_sagemaker_name(transform_name) or len(transform_name) > longest:
        problems.append(f"transform_name {transform_name!r} must follow SageMaker's name rule in {longest} characters at most (each run's job is <transform_name>-<12 hex digits>)")
    for name, prefix in (("input_prefix", input_prefix), ("output_prefix", output_prefix)):
        if prefix is not None and not _KEY_PREFIX.match(prefix):
            problems.append(f"{name} must be a key prefix ending in / (or empty), without * and not starting with /, got {prefix!r}")
    if isinstance(trigger, TransformSchedule):
        problems += Schedule(trigger.expression, trigger.time_zone).problems()
    return problems
