"""Rehearse a deployment offline: create, optionally update, then delete a portfolio's stacks in `loadmaster.testing`.

Every step goes through moto's CloudFormation, as `cdk deploy` goes through the real one, and is followed by checks
against the services' APIs: each endpoint, inference component, scalable target, scaling policy and alarm of the
templates exists as declared, each component has all its copies placed, and after deletion nothing is left.
Once deployed, every scalable target is driven to its maximum, as autoscaling would at a peak where every model peaks
at once, and then to its minimum (zero where allowed): every copy must find room within its pool's
`MaxInstanceCount`, and a pool whose components all reach zero copies must reach its `MinInstanceCount`.
The first check that does not hold stops the rehearsal with `RehearsalFailed`.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.cloudformation import parsing

from loadmaster.plan import Plan
from loadmaster.scaling import ScalableDimension
from loadmaster.planner.make import plan_file
from loadmaster.synthesis import owner_of, prepare_cdk_runtime, synthesize
from loadmaster.testing import mock_sagemaker, placements
from loadmaster.testing.placement import NOT_ENOUGH_HARDWARE

DEFAULT_REGION = "us-east-1"
# The version `cdk bootstrap` writes today; the templates' CheckBootstrapVersion rule wants 6 or more.
BOOTSTRAP_VERSION = "30"
# A failed call must fail the rehearsal at once, not be retried.
_NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})

CHECKED_TYPES = {
    "AWS::SageMaker::Endpoint": "endpoints",
    "AWS::SageMaker::InferenceComponent": "inference components",
    "AWS::ApplicationAutoScaling::ScalableTarget": "scalable targets",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "scaling policies",
    "AWS::CloudWatch::Alarm": "alarms",
    "AWS::StepFunctions::StateMachine": "state machines",
    "AWS::Scheduler::Schedule": "schedules",
    "AWS::Events::Rule": "event rules",
}


# The check each resource type gets once created (a `_Rehearsal` method). Every hosting pattern's builder creates
# resources of the types it names (`HostingPattern.rehearsed_types`), and each of those has its check here
# (tests/test_hosting_registry.py).
VERIFIERS = {
    "AWS::SageMaker::Endpoint": "_endpoint_exists",
    "AWS::SageMaker::InferenceComponent": "_component_placed",
    "AWS::SageMaker::Model": "_model_serves",
    "AWS::ApplicationAutoScaling::ScalableTarget": "_target_registered",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "_policy_attached",
    "AWS::CloudWatch::Alarm": "_alarm_acts",
    "AWS::StepFunctions::StateMachine": "_transform_runs",
    "AWS::Scheduler::Schedule": "_schedule_starts",
}
# How long a batch transform's rehearsed run may take in moto (its job is done at once; the interpreter polls it).
RUN_TIMEOUT_S = 30


# A model's container modes (botocore sagemaker ContainerMode), and the artifact the rehearsal puts under a
# multi-model endpoint's prefix to invoke it by.
SINGLE_MODEL, MULTI_MODEL = "SingleModel", "MultiModel"
# How a model runs several containers (botocore sagemaker InferenceExecutionMode); Serial is CreateModel's default.
SERIAL = "Serial"
PROBE_ARTIFACT = "loadmaster-rehearsal-probe.tar.gz"


class RehearsalFailed(Exception):
    def __init__(self, check: str, report: list[str]):
        super().__init__(check)
        self.check = check
        self.report = report


@dataclass(frozen=True)
class Stack:
    """A stack to deploy: its name and template (a `SynthesizedStack` has both)."""

    name: str
    template: dict[str, Any]
    construct_paths: Mapping[str, str] = field(default_factory=dict)  # logical id -> construct path, to name resources


def rehearse_portfolio(portfolio: Path, update_to: Path | None = None, replan: bool = False) -> list[str]:
    """Plan and synthesize the portfolio (and the update, packed afresh with `replan`), then rehearse them. Returns
    the report."""
    plans = [plan_file(portfolio)]
    if update_to is not None:  # deployed after the first, so named and placed after what it deployed (loadmaster.identity)
        prepare_cdk_runtime()
        from stacks import identities_as_deployed

        plans.append(plan_file(update_to, previous=identities_as_deployed(plans[0]), replan=replan))
    return rehearse_plans(plans)


def rehearse_plans(plans: list[Plan]) -> list[str]:
    """Synthesize a plan (and the plan to update to, if there are two), then rehearse them. Returns the report."""
    with tempfile.TemporaryDirectory(prefix="loadmaster-rehearsal-") as workdir:
        stacks = [
            [Stack(s.name, s.template, s.construct_paths) for s in synthesize(plan, Path(workdir) / f"assembly-{index}")]
            for index, plan in enumerate(plans)
        ]
    names = {name: label for plan in plans for name, label in portfolio_names(plan).items()}
    return rehearse(stacks[0], stacks[1] if len(stacks) > 1 else None, plans[0].region or DEFAULT_REGION, names)


def portfolio_names(plan: Plan) -> dict[str, str]:
    """What the portfolio calls each SageMaker name the plan gives: `model <name>` or `pool <name>`."""
    return {name: label for unit in plan.units for name, label in unit.sagemaker_names().items()}


def rehearse(stacks: list[Stack], update: list[Stack] | None, region: str = DEFAULT_REGION, names: Mapping[str, str] | None = None) -> list[str]:
    """Create, scale, optionally update and scale again, then delete the stacks. `names` says what the report calls
    a SageMaker name (`portfolio_names`); without it the report uses SageMaker's names."""
    # moto's interpreter runs a batch transform's state machine (loadmaster.testing runs its SageMaker task).
    with mock_sagemaker(config={"stepfunctions": {"execute_state_machine": True}}), _quiet_about_unsupported_types():
        rehearsal = _Rehearsal(region, names or {})
        rehearsal.bootstrap(stacks + (update or []))
        rehearsal.create(stacks)
        rehearsal.scale_to_peak_and_minimum(back_to_deployed=update is not None)
        if update is not None:
            rehearsal.update(stacks, update)
            rehearsal.scale_to_peak_and_minimum(back_to_deployed=False)
            stacks = update
        rehearsal.delete(stacks)
        rehearsal.say(f"rehearsal passed: {rehearsal.checks} checks held")
        return rehearsal.report


@contextmanager
def _quiet_about_unsupported_types() -> Iterator[None]:
    """moto warns for each resource type it has no model for (CDK's metadata); the report lists them once instead."""
    moto_logger = logging.getLogger("moto")
    level = moto_logger.level
    moto_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tried to parse .* but it's not supported")
            yield
    finally:
        moto_logger.setLevel(level)


class _Rehearsal:
    def __init__(self, region: str, names: Mapping[str, str]):
        self.region = region
        self.names = names
        self.report: list[str] = []
        self.checks = 0
        self._policies_by_arn: dict[str, dict[str, Any]] = {}
        self._runs = 0
        session = boto3.Session(region_name=region)
        self.cloudformation, self.sagemaker, self.autoscaling, self.cloudwatch, self.ssm, self.iam, self.stepfunctions, self.scheduler, self.s3 = (
            session.client(service, config=_NO_RETRIES)
            for service in ("cloudformation", "sagemaker", "application-autoscaling", "cloudwatch", "ssm", "iam", "stepfunctions", "scheduler", "s3")
        )

    def say(self, line: str) -> None:
        self.report.append(line)

    def check(self, holds: bool, what: str) -> None:
        self.checks += 1
        if not holds:
            raise RehearsalFailed(what, self.report)

    def call(self, what: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except ClientError as error:
            raise RehearsalFailed(f"{what}: {error.response['Error']['Code']}: {error.response['Error']['Message']}", self.report) from None

    # Steps

    def bootstrap(self, stacks: list[Stack]) -> None:
        """Put the SSM parameters a CDK template reads (`/cdk-bootstrap/<qualifier>/version`), as `cdk bootstrap` does."""
        names = {
            parameter["Default"]
            for stack in stacks
            for parameter in stack.template.get("Parameters", {}).values()
            if parameter.get("Type", "").startswith("AWS::SSM::Parameter::Value") and "Default" in parameter
        }
        for name in sorted(names):
            self.ssm.put_parameter(Name=name, Value=BOOTSTRAP_VERSION, Type="String")

    def create(self, stacks: list[Stack]) -> None:
        for stack in stacks:
            self._create_stack(stack)
        self._verify(stacks)

    def update(self, current: list[Stack], update: list[Stack]) -> None:
        names = {stack.name for stack in update}
        before = {stack.name: stack for stack in current}
        for stack in current:
            # `cdk deploy --all` deploys the app's stacks and never deletes one: a stack the app no longer has keeps
            # running everything in it.
            self.check(stack.name in names, f"stack {stack.name} is still in the app: without it, cdk deploy would leave it and "
                       f"its endpoints running (lock the portfolio with `loadmaster lock` so that its stacks are kept)")
        for stack in update:
            if stack.name not in before:
                self._create_stack(stack)
            elif stack.template != before[stack.name].template:
                self.call(f"update stack {stack.name}", lambda: self.cloudformation.update_stack(**self._stack_arguments(stack)))
                self.say(f"updated stack {stack.name}: {_changes(before[stack.name], stack)}")
            else:
                self.say(f"stack {stack.name}: no changes")
        self._verify(update)

    def scale_to_peak_and_minimum(self, back_to_deployed: bool) -> None:
        """Every scalable target to its maximum, then to its minimum; with `back_to_deployed`, then to the counts the
        stacks deployed, so that an update is checked against its templates, not against the minimum."""
        scaling = _Scaling(self, _every(self.autoscaling, "describe_scalable_targets", "ScalableTargets", ServiceNamespace="sagemaker"))
        deployed = scaling.deployed_counts()
        scaling.to_peak()
        scaling.to_minimum()
        if back_to_deployed:
            scaling.to(deployed)

    def delete(self, stacks: list[Stack]) -> None:
        self._delete_stacks(stacks)
        left = {
            "endpoints": [e["EndpointName"] for e in self.sagemaker.list_endpoints()["Endpoints"]],
            "endpoint configs": [c["EndpointConfigName"] for c in self.sagemaker.list_endpoint_configs()["EndpointConfigs"]],
            "models": [m["ModelName"] for m in self.sagemaker.list_models()["Models"]],
            "inference components": [c["InferenceComponentName"] for c in self.sagemaker.list_inference_components()["InferenceComponents"]],
            "scalable targets": [t["ResourceId"] for t in self.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]],
            "scaling policies": [p["PolicyName"] for p in self.autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]],
            "alarms": [a["AlarmName"] for a in self.cloudwatch.describe_alarms()["MetricAlarms"]],
            "IAM roles": [r["RoleName"] for r in self.iam.list_roles()["Roles"]],
            "IAM managed policies": [p["PolicyName"] for p in self.iam.list_policies(Scope="Local")["Policies"]],
            "state machines": [m["name"] for m in self.stepfunctions.list_state_machines()["stateMachines"]],
            "schedules": [schedule["Name"] for schedule in self.scheduler.list_schedules()["Schedules"]],
        }
        for kind, names in left.items():
            self.check(not names, f"after deletion, no {kind} are left (found: {', '.join(names)})")
        self.say("deleted: nothing left behind")

    # Stacks

    def _create_stack(self, stack: Stack) -> None:
        self.call(f"create stack {stack.name}", lambda: self.cloudformation.create_stack(**self._stack_arguments(stack)))
        counts = Counter(resource["Type"] for resource in stack.template["Resources"].values())
        created = ", ".join(f"{counts[kind]} {label}" for kind, label in CHECKED_TYPES.items() if counts[kind])
        self.say(f"created stack {stack.name}: {created}")
        unsupported = sorted(kind for kind in counts if kind not in parsing.get_model_map())
        if unsupported:
            self.say(f"  not rehearsed (moto has no model): {', '.join(unsupported)}")

    @staticmethod
    def _stack_arguments(stack: Stack) -> dict[str, Any]:
        return {"StackName": stack.name, "TemplateBody": json.dumps(stack.template), "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]}

    def _delete_stacks(self, stacks: list[Stack]) -> None:
        for stack in reversed(stacks):
            # A deleted stack is found by its id only.
            stack_id = self.cloudformation.describe_stacks(StackName=stack.name)["Stacks"][0]["StackId"]
            self.call(f"delete stack {stack.name}", lambda: self.cloudformation.delete_stack(StackName=stack_id))
            status = self.cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
            self.check(status == "DELETE_COMPLETE", f"stack {stack.name} is deleted (status {status})")
            self.say(f"deleted stack {stack.name}")

    # Checks

    def _verify(self, stacks: list[Stack]) -> None:
        self._policies_by_arn = {p["PolicyARN"]: p for p in _every(self.autoscaling, "describe_scaling_policies", "ScalingPolicies", ServiceNamespace="sagemaker")}
        for stack in stacks:
            physical = {
                resource["LogicalResourceId"]: resource["PhysicalResourceId"]
                for resource in _every(self.cloudformation, "list_stack_resources", "StackResourceSummaries", StackName=stack.name)
            }
            for logical_id, resource in stack.template["Resources"].items():
                if resource["Type"] in VERIFIERS:
                    self.check(logical_id in physical, f"{stack.name}: {logical_id} ({resource['Type']}) was created")
                    getattr(self, VERIFIERS[resource["Type"]])(logical_id, resource.get("Properties", {}), physical)
        self._report_placement()

    def _endpoint_exists(self, logical_id: str, properties: dict[str, Any], physical: dict[str, str]) -> None:
        name = physical[logical_id].split("/")[-1]
        self.check(properties.get("EndpointName", name) == name, f"endpoint {logical_id} is named {properties.get('EndpointName')} (found {name})")
        status = self.call(f"describe endpoint {name}", lambda: self.sagemaker.describe_endpoint(EndpointName=name))["EndpointStatus"]
        self.check(status == "InService", f"endpoint {name} is InService (status {status})")

    def _component_placed(self, logical_id: str, properties: dict[str, Any], physical: dict[str, str]) -> None:
        name = physical[logical_id].split("/")[-1]
        component = self.call(f"describe inference component {name}", lambda: self.sagemaker.describe_inference_component(InferenceComponentName=name))
        declared_copies = properties["RuntimeConfig"]["CopyCount"]
        runtime = component["RuntimeConfig"]
        self.check(
            runtime["DesiredCopyCount"] == runtime["CurrentCopyCount"] == declared_copies,
            f"inference component {name} has all {declared_copies} copies placed (desired {runtime['DesiredCopyCount']}, placed {runtime['CurrentCopyCount']})",
        )
        declared_image = properties["Specification"].get("Container", {}).get("Image")
        image = component["Specification"].get("Container", {}).get("DeployedImage", {}).get("SpecifiedImage")
        self.check(image == declared_image, f"inference component {name} runs {declared_image} (found {image})")

    def _model_serves(self, logical_id: str, properties: dict[str, Any], physical: dict[str, str]) -> None:
        """A model runs its container in the mode declared; a multi-model one (`Mode: MultiModel`) serves, on each
        endpoint that hosts it, an artifact put under its prefix by its path, and refuses one that is not there."""
        name = physical[logical_id].split("/")[-1]
        model = self.call(f"describe model {name}", lambda: self.sagemaker.describe_model(ModelName=name))
        if properties.get("Containers"):
            declared_containers = _containers_in_mode(properties)
            self.check(_containers_in_mode(model) == declared_containers, f"model {logical_id} runs its containers {declared_containers} (found {_containers_in_mode(model)})")
            return
        container = model.get("PrimaryContainer", {})
        declared = properties.get("PrimaryContainer", {}).get("Mode", SINGLE_MODEL)
        self.check(container.get("Mode", SINGLE_MODEL) == declared, f"model {logical_id} runs its container in {declared} mode (found {container.get('Mode', SINGLE_MODEL)})")
        if declared == MULTI_MODEL:
            for endpoint in self._endpoints_hosting(name):
                self._routes_by_target_model(endpoint, container["ModelDataUrl"])

    def _endpoints_hosting(self, model: str) -> list[str]:
        endpoints = []
        for endpoint in _every(self.sagemaker, "list_endpoints", "Endpoints"):
            config = self.sagemaker.describe_endpoint_config(EndpointConfigName=self.sagemaker.describe_endpoint(EndpointName=endpoint["EndpointName"])["EndpointConfigName"])
            if any(variant.get("ModelName") == model for variant in config["ProductionVariants"]):
                endpoints.append(endpoint["EndpointName"])
        return endpoints

    def _routes_by_target_model(self, endpoint: str, prefix: str) -> None:
        """Invoke a probe artifact put under `prefix` (in the mock's S3, then removed) and one that is not there."""
        bucket, _, key_prefix = prefix.removeprefix("s3://").partition("/")
        s3 = boto3.client("s3", region_name=self.region, config=_NO_RETRIES)
        created_bucket = bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        if created_bucket:
            s3.create_bucket(Bucket=bucket, **({} if self.region == DEFAULT_REGION else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}))
        s3.put_object(Bucket=bucket, Key=key_prefix + PROBE_ARTIFACT, Body=b"")
        runtime = boto3.client("sagemaker-runtime", region_name=self.region, config=_NO_RETRIES)
        try:
            self.call(f"invoke {endpoint} with TargetModel {PROBE_ARTIFACT}", lambda: runtime.invoke_endpoint(EndpointName=endpoint, TargetModel=PROBE_ARTIFACT, Body=b"{}"))
            try:
                runtime.invoke_endpoint(EndpointName=endpoint, TargetModel="not-" + PROBE_ARTIFACT, Body=b"{}")
                refused = None
            except ClientError as error:
                refused = error.response["Error"]["Code"]
            self.check(refused == "ValidationError", f"multi-model endpoint {endpoint} refuses a target model not under {prefix} (found {refused or 'an answer'})")
        finally:
            s3.delete_object(Bucket=bucket, Key=key_prefix + PROBE_ARTIFACT)
            if created_bucket:
                s3.delete_bucket(Bucket=bucket)
        self.say(f"multi-model endpoint {self.named(endpoint)}: serves the models under {prefix} by their path (TargetModel)")

    def _target_registered(self, logical_id: str, properties: dict[str, Any], physical: dict[str, str]) -> None:
        resource_id, dimension, namespace = physical[logical_id].split("|")
        targets = self.autoscaling.describe_scalable_targets(ServiceNamespace=namespace, ResourceIds=[resource_id], ScalableDimension=dimension)["ScalableTargets"]
        bounds = [(t["MinCapacity"], t["MaxCapacity"]) for t in targets]
        declared = (properties["MinCapacity"], properties["MaxCapacity"])
        self.check(bounds == [declared], f"scalable target {resource_id} scales between {declared[0]} and {declared[1]} (found {bounds})")

    def _policy_attached(self, logical_id: str, properties: dict[str, Any], physical: dict[str, str]) -> None:
        policy = self._policies_by_arn.get(physical[logical_id])
        found = (policy["PolicyName"], policy["PolicyType"]) if policy else None
        declared = (properties.get("PolicyName"), properties["PolicyType"])
        self.check(found == declared, f"scaling policy {declared[0]} ({declared[1]}) is attached (found {found})")

    def _alarm_acts(self, logical_id: str, properties: dict[str, Any], physical: dict[str, str]) -> None:
        name = physical[logical_id]
        alarms = self.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        declared_actions = sorted(physical.get(action["Ref"], "?") if isinstance(action, dict) else action for action in properties.get("AlarmActions", []))
        actions = [sorted(alarm["AlarmActions"]) for alarm in alarms]
        self.check(actions == [declared_actions], f"alarm {logical_id} exists and triggers {declared_actions} (found {actions})")

    def _transform_runs(self, logical_id: str, properties: dict[str, Any], physical: dict[str, str]) -> None:
        """A batch transform's state machine, run once over its whole input prefix (an object is put there when the
        prefix holds none, as a bucket of yours would): the execution succeeds, its job runs on the declared
        instances, and an input outside the prefix is refused."""
        arn = physical[logical_id]
        definition = json.loads(self.call(f"describe state machine {logical_id}", lambda: self.stepfunctions.describe_state_machine(stateMachineArn=arn))["definition"])
        states = definition["States"]
        task = states.get("Transform", {})
        self.check(task.get("Resource", "").endswith(":states:::sagemaker:createTransformJob.sync"), f"state machine {logical_id} runs createTransformJob.sync (found {task.get('Resource')})")
        whole_prefix = states["WholePrefix"]["Parameters"]["input"]
        self._put_an_input_under(whole_prefix)
        self._bucket_exists(re.match(r"States\.Format\('s3://([^/]+)/", task["Parameters"]["TransformOutput"]["S3OutputPath.$"])[1])
        run = self._run(arn, {})
        self.check(run["status"] == "SUCCEEDED", f"a run of {logical_id} over {whole_prefix} succeeds (status {run['status']}: {run.get('error')} {run.get('cause')})")
        job = json.loads(run["output"])
        declared = task["Parameters"]["TransformResources"]
        self.check(job["TransformResources"] == declared, f"the job of {logical_id} runs on {declared} (found {job['TransformResources']})")
        model = self.call(f"describe model {job['ModelName']}", lambda: self.sagemaker.describe_model(ModelName=job["ModelName"]))
        of_pipeline = f" of {_containers_in_mode(model)}" if model.get("Containers") else ""
        self.say(f"batch transform {logical_id}: run over {whole_prefix} ran job {job['TransformJobName']}{of_pipeline} on {declared['InstanceCount']} x {declared['InstanceType']}, {job['TransformJobStatus']}")
        outside = self._run(arn, {"input": "s3://elsewhere/not-its-input/"})
        self.check((outside["status"], outside.get("error")) == ("FAILED", "InputOutsidePrefix"), f"a run of {logical_id} outside its input prefix is refused (found {outside['status']} {outside.get('error')})")

    def _put_an_input_under(self, prefix_uri: str) -> None:
        bucket, _, prefix = prefix_uri.removeprefix("s3://").partition("/")
        self._bucket_exists(bucket)
        if not self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount"):
            self.s3.put_object(Bucket=bucket, Key=f"{prefix}rehearsal.csv", Body=b"1,2,3\n")

    def _bucket_exists(self, bucket: str) -> None:
        """A bucket the portfolio names and the stack does not create, as it exists in the account."""
        if bucket not in [b["Name"] for b in self.s3.list_buckets()["Buckets"]]:
            self.s3.create_bucket(Bucket=bucket, **({} if self.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}))

    def _run(self, state_machine_arn: str, execution_input: dict[str, Any]) -> dict[str, Any]:
        self._runs += 1  # named, as Step Functions would name it: moto's interpreter names every unnamed run alike
        execution = self.stepfunctions.start_execution(stateMachineArn=state_machine_arn, name=f"rehearsal-{self._runs}", input=json.dumps(execution_input))["executionArn"]
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while (described := self.stepfunctions.describe_execution(executionArn=execution))["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.05)
        return described

    def _schedule_starts(self, logical_id: str, properties: dict[str, Any], physical: dict[str, str]) -> None:
        name = physical[logical_id]
        schedule = self.call(f"get schedule {name}", lambda: self.scheduler.get_schedule(Name=name))
        declared = (properties["ScheduleExpression"], properties.get("ScheduleExpressionTimezone", "UTC"))
        found = (schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone", "UTC"))
        self.check(found == declared, f"schedule {logical_id} runs on {declared[0]} in {declared[1]} (found {found[0]} in {found[1]})")
        target = properties["Target"]["Arn"]
        expected = physical.get(target["Ref"]) if isinstance(target, dict) else target
        self.check(schedule["Target"]["Arn"] == expected, f"schedule {logical_id} starts {expected} (found {schedule['Target']['Arn']})")

    def named(self, sagemaker_name: str) -> str:
        """`model blockgen (codegen-platform-blockgen)` where the portfolio's name is known, else the SageMaker name."""
        label = self.names.get(sagemaker_name)
        return f"{label} ({sagemaker_name})" if label else sagemaker_name

    def short_name(self, sagemaker_name: str) -> str:
        """`blockgen` where the portfolio's name is known, else the SageMaker name."""
        label = self.names.get(sagemaker_name)
        return label.split(" ", 1)[1] if label else sagemaker_name

    def _report_placement(self) -> None:
        self.say("placement:")
        for instance in placements(self.region):
            copies = ", ".join(f"{name} x{count}" for name, count in sorted(instance.copies.items())) or "empty"
            self.say(
                f"  {instance.endpoint}/{instance.variant} {instance.instance_id} ({instance.instance_type}): {copies}; "
                f"{instance.free_accelerators:g} accelerators free"
            )

# Application Auto Scaling resource ids of SageMaker's two scalable dimensions (FACTS.md).
COMPONENT_PREFIX = "inference-component/"
INSTANCES, PROVISIONED_CONCURRENCY = ScalableDimension.INSTANCES.value, ScalableDimension.PROVISIONED_CONCURRENCY.value
ENDPOINT_PREFIX = "endpoint/"
# A failure names the other components on the pool up to this many, and counts them beyond.
MOST_COMPONENTS_NAMED = 5


@dataclass(frozen=True)
class _Pool:
    """An inference-component endpoint's variant and the instances managed instance scaling may give it."""

    endpoint: str
    variant: str
    instance_type: str
    min_instances: int
    max_instances: int


class _Scaling:
    """Drives deployed scalable targets as Application Auto Scaling does: an inference component's copies through
    UpdateInferenceComponentRuntimeConfig, a dedicated endpoint's instances and a serverless endpoint's provisioned
    concurrency through UpdateEndpointWeightsAndCapacities."""

    def __init__(self, rehearsal: _Rehearsal, targets: list[dict[str, Any]]):
        self.rehearsal = rehearsal
        self.sagemaker = rehearsal.sagemaker
        self.copy_targets = {t["ResourceId"].removeprefix(COMPONENT_PREFIX): t for t in targets if t["ResourceId"].startswith(COMPONENT_PREFIX)}
        # endpoint/<endpoint>/variant/<variant>
        variants = {dimension: {tuple(t["ResourceId"].split("/")[1::2]): t for t in targets
                                if t["ResourceId"].startswith(ENDPOINT_PREFIX) and t["ScalableDimension"] == dimension}
                    for dimension in (INSTANCES, PROVISIONED_CONCURRENCY)}
        self.instance_targets, self.concurrency_targets = variants[INSTANCES], variants[PROVISIONED_CONCURRENCY]
        components = _every(self.sagemaker, "list_inference_components", "InferenceComponents")
        self.pool_of = {c["InferenceComponentName"]: (c["EndpointName"], c["VariantName"]) for c in components}
        self.pools = {key: self._pool(*key) for key in sorted(set(self.pool_of.values()))}

    def deployed_counts(self) -> dict[str, int]:
        """Each target's count as deployed, by resource id."""
        counts = {COMPONENT_PREFIX + name: self._component(name)["RuntimeConfig"]["DesiredCopyCount"] for name in self.copy_targets}
        counts.update({f"{ENDPOINT_PREFIX}{endpoint}/variant/{variant}": self._variant(endpoint, variant)["DesiredInstanceCount"] for endpoint, variant in self.instance_targets})
        counts.update({f"{ENDPOINT_PREFIX}{endpoint}/variant/{variant}": self._provisioned(endpoint, variant) for endpoint, variant in self.concurrency_targets})
        return counts

    def to_peak(self) -> None:
        # Largest copies first, as first-fit decreasing packs: the order that leaves the least room unused.
        for name in sorted(self.copy_targets, key=lambda name: (self._per_copy(name), name), reverse=True):
            self._set_copies(name, self.copy_targets[name]["MaxCapacity"], at_peak=True)
        for (endpoint, variant), target in self.instance_targets.items():
            self._set_instances(endpoint, variant, target["MaxCapacity"])
        for (endpoint, variant), target in self.concurrency_targets.items():
            self._set_provisioned(endpoint, variant, target["MaxCapacity"])
        self._check("at peak", "MaxCapacity")

    def to_minimum(self) -> None:
        for name, target in self.copy_targets.items():
            self._set_copies(name, target["MinCapacity"], at_peak=False)
        for (endpoint, variant), target in self.instance_targets.items():
            self._set_instances(endpoint, variant, target["MinCapacity"])
        for (endpoint, variant), target in self.concurrency_targets.items():
            self._set_provisioned(endpoint, variant, target["MinCapacity"])
        self._check("at minimum", "MinCapacity")
        if self.pools:
            # The instance counts above are loadmaster.testing's placement, not a measurement of SageMaker's scale-in.
            self.rehearsal.say("  (loadmaster.testing releases an instance once no copy is left on it; it does not consolidate copies to free one)")

    def to(self, counts: dict[str, int]) -> None:
        for name in self.copy_targets:
            self._set_copies(name, counts[COMPONENT_PREFIX + name], at_peak=False)
        for endpoint, variant in self.instance_targets:
            self._set_instances(endpoint, variant, counts[f"{ENDPOINT_PREFIX}{endpoint}/variant/{variant}"])
        for endpoint, variant in self.concurrency_targets:
            self._set_provisioned(endpoint, variant, counts[f"{ENDPOINT_PREFIX}{endpoint}/variant/{variant}"])

    # Checks and report

    def _check(self, when: str, bound: str) -> None:
        rehearsal = self.rehearsal
        copies = {name: self._component(name)["RuntimeConfig"]["CurrentCopyCount"] for name in self.pool_of}
        for name, target in self.copy_targets.items():
            rehearsal.check(copies[name] == target[bound], f"{when}, {rehearsal.named(name)} has {target[bound]} copies placed (found {copies[name]})")
        for key, pool in self.pools.items():
            instances = self._variant(*key)["CurrentInstanceCount"]
            on_pool = sorted(name for name, where in self.pool_of.items() if where == key)
            placed = ", ".join(f"{rehearsal.short_name(name)} x{copies[name]}" for name in on_pool)
            rehearsal.say(f"{when}: {rehearsal.named(pool.endpoint)}: {instances} of {pool.min_instances}..{pool.max_instances} {pool.instance_type} instances; {placed}")
        for (endpoint, variant), target in self.instance_targets.items():
            instances = self._variant(endpoint, variant)["CurrentInstanceCount"]
            rehearsal.check(instances == target[bound], f"{when}, {rehearsal.named(endpoint)} runs {target[bound]} instances (found {instances})")
            instance_type = self._declared_variant(endpoint, variant)["InstanceType"]
            rehearsal.say(f"{when}: {rehearsal.named(endpoint)}: {instances} of {target['MinCapacity']}..{target['MaxCapacity']} {instance_type} instances")
        for (endpoint, variant), target in self.concurrency_targets.items():
            provisioned = self._provisioned(endpoint, variant)
            rehearsal.check(provisioned == target[bound], f"{when}, {rehearsal.named(endpoint)} keeps {target[bound]} provisioned concurrency (found {provisioned})")
            rehearsal.say(f"{when}: {rehearsal.named(endpoint)}: provisioned concurrency {provisioned} of {target['MinCapacity']}..{target['MaxCapacity']}")

    def _no_room_at_peak(self, name: str, copies: int) -> str:
        rehearsal = self.rehearsal
        fitting = self._most_copies_that_fit(name, copies)
        pool = self.pools[self.pool_of[name]]
        accelerators, memory_mb, cpu_cores = self._per_copy(name)
        others = {
            other: self._component(other)["RuntimeConfig"]["CurrentCopyCount"]
            for other, where in sorted(self.pool_of.items())
            if where == self.pool_of[name] and other != name
        }
        if len(others) <= MOST_COMPONENTS_NAMED:
            beside = ", ".join(f"{rehearsal.short_name(other)} x{count}" for other, count in others.items())
        else:
            beside = f"{len(others)} other components with {sum(others.values())} copies"
        return (
            f"at peak, {rehearsal.named(name)} cannot have its {copies} copies on {rehearsal.named(pool.endpoint)}: "
            f"{fitting} fit on {pool.max_instances} {pool.instance_type} instances (its MaxInstanceCount)"
            + (f" beside {beside}" if others else "")
            + f"; each copy asks {_counted(accelerators, 'accelerator')}, {memory_mb} MB and {_counted(cpu_cores, 'CPU core')}"
        )

    def _most_copies_that_fit(self, name: str, copies: int) -> int:
        """The most copies, fewer than `copies`, that the pool places beside the others: a failed update changes nothing."""
        fits, fails = self._component(name)["RuntimeConfig"]["DesiredCopyCount"], copies
        while fails - fits > 1:
            trial = (fits + fails) // 2
            try:
                self.sagemaker.update_inference_component_runtime_config(InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": trial})
                fits = trial
            except ClientError:
                fails = trial
        return fits

    # Calls

    def _set_copies(self, name: str, copies: int, at_peak: bool) -> None:
        try:
            self.sagemaker.update_inference_component_runtime_config(InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": copies})
        except ClientError as error:
            code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
            if at_peak and message == NOT_ENOUGH_HARDWARE:
                raise RehearsalFailed(self._no_room_at_peak(name, copies), self.rehearsal.report) from None
            raise RehearsalFailed(f"set {self.rehearsal.named(name)} to {copies} copies: {code}: {message}", self.rehearsal.report) from None

    def _set_instances(self, endpoint: str, variant: str, instances: int) -> None:
        weight = self._variant(endpoint, variant).get("CurrentWeight", 1.0)
        self.rehearsal.call(
            f"set {self.rehearsal.named(endpoint)} to {instances} instances",
            lambda: self.sagemaker.update_endpoint_weights_and_capacities(
                EndpointName=endpoint, DesiredWeightsAndCapacities=[{"VariantName": variant, "DesiredWeight": weight, "DesiredInstanceCount": instances}]
            ),
        )

    def _set_provisioned(self, endpoint: str, variant: str, concurrency: int) -> None:
        self.rehearsal.call(
            f"set {self.rehearsal.named(endpoint)} to {concurrency} provisioned concurrency",
            lambda: self.sagemaker.update_endpoint_weights_and_capacities(
                EndpointName=endpoint, DesiredWeightsAndCapacities=[{"VariantName": variant, "ServerlessUpdateConfig": {"ProvisionedConcurrency": concurrency}}]
            ),
        )

    def _provisioned(self, endpoint: str, variant: str) -> int:
        return self._variant(endpoint, variant)["CurrentServerlessConfig"]["ProvisionedConcurrency"]

    def _component(self, name: str) -> dict[str, Any]:
        return self.rehearsal.call(f"describe inference component {name}", lambda: self.sagemaker.describe_inference_component(InferenceComponentName=name))

    def _per_copy(self, name: str) -> tuple[float, int, float]:
        requirements = self._component(name)["Specification"]["ComputeResourceRequirements"]
        return (
            float(requirements.get("NumberOfAcceleratorDevicesRequired", 0)),
            int(requirements["MinMemoryRequiredInMb"]),
            float(requirements.get("NumberOfCpuCoresRequired", 0)),
        )

    def _variant(self, endpoint: str, variant: str) -> dict[str, Any]:
        described = self.rehearsal.call(f"describe endpoint {endpoint}", lambda: self.sagemaker.describe_endpoint(EndpointName=endpoint))
        return next(v for v in described["ProductionVariants"] if v["VariantName"] == variant)

    def _declared_variant(self, endpoint: str, variant: str) -> dict[str, Any]:
        """The variant as its endpoint config declares it."""
        config_name = self.rehearsal.call(f"describe endpoint {endpoint}", lambda: self.sagemaker.describe_endpoint(EndpointName=endpoint))["EndpointConfigName"]
        config = self.rehearsal.call(f"describe endpoint config {config_name}", lambda: self.sagemaker.describe_endpoint_config(EndpointConfigName=config_name))
        return next(v for v in config["ProductionVariants"] if v["VariantName"] == variant)

    def _pool(self, endpoint: str, variant: str) -> _Pool:
        declared = self._declared_variant(endpoint, variant)
        scaling = declared.get("ManagedInstanceScaling", {})
        initial = declared.get("InitialInstanceCount", 1)
        if scaling.get("Status") == "ENABLED":
            return _Pool(endpoint, variant, declared["InstanceType"], scaling.get("MinInstanceCount", initial), scaling.get("MaxInstanceCount", initial))
        return _Pool(endpoint, variant, declared["InstanceType"], initial, initial)


def _counted(count: float, unit: str) -> str:
    return f"{count:g} {unit}{'' if count == 1 else 's'}"


def _containers_in_mode(model: Mapping[str, Any]) -> str:
    """A model of several containers as a template declares it and DescribeModel shows it: its mode
    (InferenceExecutionConfig.Mode, Serial unless stated: CreateModel's default) and its hostnames in order."""
    mode = (model.get("InferenceExecutionConfig") or {}).get("Mode", SERIAL)
    hostnames = [str(container.get("ContainerHostname")) for container in model.get("Containers", [])]
    return f"{mode.lower()} pipeline {' > '.join(hostnames)}" if mode == SERIAL else f"{mode.lower()} containers {', '.join(hostnames)}"


def _every(client: Any, operation: str, key: str, **arguments: Any) -> list[dict[str, Any]]:
    """Every item of a paginated listing."""
    return [item for page in client.get_paginator(operation).paginate(**arguments) for item in page[key]]


def _changes(old: Stack, new: Stack) -> str:
    """What an update adds, modifies and removes, by pool and model: `modified pool a10g-pool (endpoint config)`."""
    old_resources, new_resources = old.template["Resources"], new.template["Resources"]
    paths = {**old.construct_paths, **new.construct_paths}
    changes = {
        "added": [(name, new_resources[name]) for name in new_resources if name not in old_resources],
        "modified": [(name, new_resources[name]) for name in new_resources if name in old_resources and new_resources[name] != old_resources[name]],
        "removed": [(name, old_resources[name]) for name in old_resources if name not in new_resources],
    }
    return "; ".join(f"{action} {_by_owner(resources, paths)}" for action, resources in changes.items() if resources) or "no resource changes"


def _by_owner(resources: list[tuple[str, dict[str, Any]]], paths: Mapping[str, str]) -> str:
    kinds: dict[str, list[str]] = {}
    for logical_id, resource in resources:
        kind = _KIND.sub(r"\1 \2", resource["Type"].split("::")[-1]).lower()
        owned = kinds.setdefault(owner_of(paths.get(logical_id) or resource.get("Metadata", {}).get("aws:cdk:path", "")), [])
        if kind not in owned:
            owned.append(kind)
    return ", ".join(f"{owner} ({', '.join(owned)})" for owner, owned in kinds.items())


_KIND = re.compile(r"([a-z])([A-Z])")
