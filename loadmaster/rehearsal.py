"""Rehearse a deployment offline: create, optionally update, then delete a portfolio's stacks in `loadmaster.testing`.

Every step goes through moto's CloudFormation, as `cdk deploy` goes through the real one, and is followed by checks
against the services' APIs: each endpoint, inference component, scalable target, scaling policy and alarm of the
templates exists as declared, each component has all its copies placed, and after deletion nothing is left.
The first check that does not hold stops the rehearsal with `RehearsalFailed`.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.cloudformation import parsing

from loadmaster.plan import plan_file
from loadmaster.synthesis import owner_of, synthesize
from loadmaster.testing import mock_sagemaker, placements

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
}


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


def rehearse_portfolio(portfolio: Path, update_to: Path | None = None) -> list[str]:
    """Plan and synthesize the portfolio (and the update), then rehearse them. Returns the report."""
    plans = [plan_file(portfolio)]
    if update_to is not None:  # deployed after the first, so named after what the first deployed (loadmaster.identity)
        plans.append(plan_file(update_to, previous=plans[0].identities))
    with tempfile.TemporaryDirectory(prefix="loadmaster-rehearsal-") as workdir:
        stacks = [
            [Stack(s.name, s.template) for s in synthesize(plan, Path(workdir) / f"assembly-{index}")]
            for index, plan in enumerate(plans)
        ]
    region = plans[0].region or DEFAULT_REGION
    return rehearse(stacks[0], stacks[1] if update_to else None, region)


def rehearse(stacks: list[Stack], update: list[Stack] | None, region: str = DEFAULT_REGION) -> list[str]:
    with mock_sagemaker(), _quiet_about_unsupported_types():
        rehearsal = _Rehearsal(region)
        rehearsal.bootstrap(stacks + (update or []))
        rehearsal.create(stacks)
        if update is not None:
            rehearsal.update(stacks, update)
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
    def __init__(self, region: str):
        self.region = region
        self.report: list[str] = []
        self.checks = 0
        self._policies_by_arn: dict[str, dict[str, Any]] = {}
        session = boto3.Session(region_name=region)
        self.cloudformation, self.sagemaker, self.autoscaling, self.cloudwatch, self.ssm, self.iam = (
            session.client(service, config=_NO_RETRIES) for service in ("cloudformation", "sagemaker", "application-autoscaling", "cloudwatch", "ssm", "iam")
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
                self.say(f"updated stack {stack.name}: {_changes(before[stack.name].template, stack.template)}")
            else:
                self.say(f"stack {stack.name}: no changes")
        self._verify(update)

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
            verifiers = {
                "AWS::SageMaker::Endpoint": self._endpoint_exists,
                "AWS::SageMaker::InferenceComponent": self._component_placed,
                "AWS::ApplicationAutoScaling::ScalableTarget": self._target_registered,
                "AWS::ApplicationAutoScaling::ScalingPolicy": self._policy_attached,
                "AWS::CloudWatch::Alarm": self._alarm_acts,
            }
            for logical_id, resource in stack.template["Resources"].items():
                if resource["Type"] in verifiers:
                    self.check(logical_id in physical, f"{stack.name}: {logical_id} ({resource['Type']}) was created")
                    verifiers[resource["Type"]](logical_id, resource.get("Properties", {}), physical)
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

    def _report_placement(self) -> None:
        self.say("placement:")
        for instance in placements(self.region):
            copies = ", ".join(f"{name} x{count}" for name, count in sorted(instance.copies.items())) or "empty"
            self.say(
                f"  {instance.endpoint}/{instance.variant} {instance.instance_id} ({instance.instance_type}): {copies}; "
                f"{instance.free_accelerators:g} accelerators free"
            )


def _every(client: Any, operation: str, key: str, **arguments: Any) -> list[dict[str, Any]]:
    """Every item of a paginated listing."""
    return [item for page in client.get_paginator(operation).paginate(**arguments) for item in page[key]]


def _changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    """What an update adds, modifies and removes, by pool and model: `modified pool a10g-pool (endpoint config)`."""
    old_resources, new_resources = old["Resources"], new["Resources"]
    changes = {
        "added": [(new_resources[name]) for name in new_resources if name not in old_resources],
        "modified": [new_resources[name] for name in new_resources if name in old_resources and new_resources[name] != old_resources[name]],
        "removed": [old_resources[name] for name in old_resources if name not in new_resources],
    }
    return "; ".join(f"{action} {_by_owner(resources)}" for action, resources in changes.items() if resources) or "no resource changes"


def _by_owner(resources: list[dict[str, Any]]) -> str:
    kinds: dict[str, list[str]] = {}
    for resource in resources:
        kind = _KIND.sub(r"\1 \2", resource["Type"].split("::")[-1]).lower()
        owned = kinds.setdefault(owner_of(resource.get("Metadata", {}).get("aws:cdk:path", "")), [])
        if kind not in owned:
            owned.append(kind)
    return ", ".join(f"{owner} ({', '.join(owned)})" for owner, owned in kinds.items())


_KIND = re.compile(r"([a-z])([A-Z])")
