"""moto's Application Auto Scaling with the dimensions and metrics of botocore's service model, SageMaker targets
that must exist, scheduled actions and step policies checked as the service checks them, and CloudFormation support
for scalable targets (with their `ScheduledActions`) and scaling policies.

moto validates against enums of its own that lack `sagemaker:inference-component:DesiredCopyCount` (FACTS.md);
botocore's model lists every current value.
"""

from __future__ import annotations

import re
import time
import zoneinfo
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import botocore.session
from moto.applicationautoscaling import models as moto_models
from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.cloudformation.exceptions import ValidationError as StackValidationError
from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random
from moto.sagemaker.exceptions import ValidationError

from loadmaster.scaling import SCHEDULED_ACTION_NAME_PATTERN, Step, schedule_problems, step_problems
from loadmaster.testing.applicationautoscaling.alarms import target_tracking_alarms
from loadmaster.testing.applicationautoscaling.sagemaker_capacity import SageMakerCapacity

from loadmaster.testing.cloudformation import ExtensionModel
from loadmaster.testing.upserted import UpsertedResource

applicationautoscaling_backends = moto_models.applicationautoscaling_backends


@cache
def allowed_values(shape: str) -> tuple[str, ...]:
    """An enum of the Application Auto Scaling service model: ServiceNamespace, ScalableDimension, MetricType."""
    return tuple(botocore.session.get_session().get_service_model("application-autoscaling").shape_for(shape).enum)


def enum_problem(value: str | None, where: str, shape: str) -> str | None:
    allowed = allowed_values(shape)
    if value is None or value in allowed:
        return None
    return f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"


def raise_problems(problems: list[str | None]) -> None:
    found = [problem for problem in problems if problem]
    if found:
        plural = "s" if len(found) > 1 else ""
        raise AWSValidationException(f"{len(found)} validation error{plural} detected: {'; '.join(found)}")


class ObjectNotFoundException(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("ObjectNotFoundException", message)


def target_params_must_be_valid(namespace: str, resource_id: str, dimension: str | None) -> None:
    """moto's consistency check of namespace, resource id and dimension (`_target_params_are_valid`), on botocore's
    enums instead of moto's, which lack the inference-component dimension."""
    valid = namespace in allowed_values("ServiceNamespace")
    if dimension is not None:
        parts = dimension.split(":")
        if len(parts) != 3:
            valid = False
        else:
            d_namespace, d_resource_type, _ = parts
            # Dimensions whose resource type is not part of the resource id (moto's exceptions: custom resources, MSK).
            exceptions = {member.value for member in moto_models.ResourceTypeExceptionValueSet}
            resource_type = d_resource_type if d_resource_type in exceptions else moto_models._get_resource_type_from_resource_id(resource_id)
            valid = valid and dimension in allowed_values("ScalableDimension") and d_namespace == namespace and resource_type == d_resource_type
    if not valid:
        raise AWSValidationException("Unsupported service namespace, resource type or scalable dimension")  # moto's text


def no_target(namespace: str, resource_id: str, dimension: str) -> ObjectNotFoundException:
    return ObjectNotFoundException(
        f"No scalable target registered for service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}"
    )


def scheduled_action_problems(name: str, schedule: str, timezone: str | None, target_action: dict[str, Any] | None) -> list[str]:
    """What PutScheduledAction refuses: a name off the pattern, a schedule that is not cron/rate/at as the service
    reads it, a time zone it does not know, a min above the max (botocore application-autoscaling service-2.json and
    API reference, PutScheduledAction). The service's own wording for these is not known to us: the problems say
    what is wrong in loadmaster's words."""
    problems = []
    if not re.match(SCHEDULED_ACTION_NAME_PATTERN, name or ""):
        problems.append(f"Value '{name}' at 'scheduledActionName' failed to satisfy constraint: Member must satisfy regular expression pattern")
    problems += [f"Invalid schedule {schedule!r}: {problem}" for problem in schedule_problems(schedule or "")]
    if timezone is not None and timezone not in zoneinfo.available_timezones():
        problems.append(f"Invalid timezone {timezone!r}: not an IANA time zone")
    action = target_action or {}
    low, high = action.get("MinCapacity"), action.get("MaxCapacity")
    if low is not None and high is not None and int(low) > int(high):
        problems.append(f"Minimum capacity {low} cannot be greater than maximum capacity {high}")
    return problems


def step_adjustments_of(policy_body: dict[str, Any] | None) -> tuple[Step, ...]:
    def bound(value: Any) -> float | None:
        return None if value is None else float(value)

    return tuple(
        Step(int(step["ScalingAdjustment"]), bound(step.get("MetricIntervalLowerBound")), bound(step.get("MetricIntervalUpperBound")))
        for step in (policy_body or {}).get("StepAdjustments", [])
    )


def service_linked_role_arn(account_id: str, partition: str) -> str:
    """The role Application Auto Scaling uses for SageMaker targets, given as `RoleARN` when none was (FACTS.md)."""
    return f"arn:{partition}:iam::{account_id}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"


@dataclass
class ScalingActivity:
    """One change of a target's capacity, as DescribeScalingActivities lists it."""

    target: moto_models.FakeScalableTarget
    description: str
    cause: str
    status_code: str  # Successful | Failed
    status_message: str
    activity_id: str = field(default_factory=lambda: str(mock_random.uuid4()))
    start_time: float = field(default_factory=time.time)

    def response(self) -> dict[str, Any]:
        return {
            "ActivityId": self.activity_id,
            "ServiceNamespace": self.target.service_namespace,
            "ResourceId": self.target.resource_id,
            "ScalableDimension": self.target.scalable_dimension,
            "Description": self.description,
            "Cause": self.cause,
            "StartTime": self.start_time,
            "EndTime": self.start_time,
            "StatusCode": self.status_code,
            "StatusMessage": self.status_message,
        }


class ApplicationAutoscalingBackend(moto_models.ApplicationAutoscalingBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.add_extension_state()

    def add_extension_state(self) -> None:
        """What this backend holds beyond moto's; `install` also calls it on a moto backend it turns into this class."""
        self.activities: list[ScalingActivity] = []

    def register_scalable_target(
        self,
        namespace: str,
        r_id: str,
        dimension: str,
        min_capacity: int | None,
        max_capacity: int | None,
        role_arn: str,
        suspended_state: str,
    ) -> moto_models.FakeScalableTarget:
        if namespace != "sagemaker":
            return super().register_scalable_target(namespace, r_id, dimension, min_capacity, max_capacity, role_arn, suspended_state)
        target_params_must_be_valid(namespace, r_id, dimension)
        capacity = SageMakerCapacity.of(self.account_id, self.region_name, r_id, dimension)  # raises if r_id is missing
        if self._scalable_target_exists(r_id, dimension):
            target = self.targets[dimension][r_id]
            target.update(min_capacity, max_capacity, suspended_state)
        else:
            role_arn = role_arn or service_linked_role_arn(self.account_id, self.partition)
            target = moto_models.FakeScalableTarget(self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn, suspended_state)
            self._add_scalable_target(target)
        if capacity is not None:
            self._move_into_range(target, capacity)
        return target

    def _move_into_range(self, target: moto_models.FakeScalableTarget, capacity: SageMakerCapacity) -> None:
        # Registering a range the current capacity is outside of scales the resource into it (Application Auto
        # Scaling API reference, RegisterScalableTarget).
        current = wanted = capacity.get()
        if target.min_capacity is not None:
            wanted = max(wanted, target.min_capacity)
        if target.max_capacity is not None:
            wanted = min(wanted, target.max_capacity)
        if wanted == current:
            return
        bound = "minimum" if wanted > current else "maximum"
        # Real wording for SageMaker not known to us; ECS's activities read "Setting desired count to N."
        description = f"Setting {capacity.noun} to {wanted}."
        cause = f"{bound} capacity was set to {wanted}"
        try:
            capacity.set(wanted)
        except ValidationError as error:
            self.activities.append(ScalingActivity(target, description, cause, "Failed", error.message))
            return
        self.activities.append(ScalingActivity(target, description, cause, "Successful", f"Successfully set {capacity.noun} to {wanted}."))

    def describe_scaling_activities(self, namespace: str, resource_id: str | None, dimension: str | None) -> list[ScalingActivity]:
        """Newest first, as the API lists them."""
        found = [
            activity
            for activity in self.activities
            if activity.target.service_namespace == namespace
            and resource_id in (None, activity.target.resource_id)
            and dimension in (None, activity.target.scalable_dimension)
        ]
        return found[::-1]

    def deregister_scalable_target(self, namespace: str, r_id: str, dimension: str) -> None:
        super().deregister_scalable_target(namespace, r_id, dimension)
        # Deregistering a target deletes its scaling policies and scheduled actions (Application Auto Scaling API
        # reference, DeregisterScalableTarget); moto keeps the actions.
        for key, policy in list(self.policies.items()):
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
                policy.delete_alarms(self.account_id, self.region_name)
                del self.policies[key]
        self.scheduled_actions = [action for action in self.scheduled_actions if not _of_target(action, namespace, r_id, dimension)]

    def put_scheduled_action(
        self,
        service_namespace: str,
        schedule: str,
        timezone: str,
        scheduled_action_name: str,
        resource_id: str,
        scalable_dimension: str,
        start_time: str,
        end_time: str,
        scalable_target_action: Any,
    ) -> None:
        """moto's, refusing what the service refuses for SageMaker targets: an action on a target not registered, a
        schedule or time zone it cannot read (`scheduled_action_problems`)."""
        if service_namespace == "sagemaker":
            raise_problems(scheduled_action_problems(scheduled_action_name, schedule, timezone, scalable_target_action))
            if not self._scalable_target_exists(resource_id, scalable_dimension):
                raise no_target(service_namespace, resource_id, scalable_dimension)
        super().put_scheduled_action(service_namespace, schedule, timezone, scheduled_action_name, resource_id, scalable_dimension,
                                     start_time, end_time, scalable_target_action)

    def replace_scheduled_actions(self, namespace: str, r_id: str, dimension: str, actions: list[dict[str, Any]]) -> None:
        """A scalable target's `ScheduledActions` as CloudFormation sets them: those no longer listed deleted, the
        others put (created or changed)."""
        names = {action["ScheduledActionName"] for action in actions}
        self.scheduled_actions = [
            action for action in self.scheduled_actions
            if not (_of_target(action, namespace, r_id, dimension) and action.scheduled_action_name not in names)
        ]
        for action in actions:
            self.put_scheduled_action(
                namespace, action["Schedule"], action.get("Timezone"), action["ScheduledActionName"], r_id, dimension,
                action.get("StartTime"), action.get("EndTime"), _capacities(action.get("ScalableTargetAction")),
            )

    def put_scaling_policy(
        self,
        policy_name: str,
        service_namespace: str,
        resource_id: str,
        scalable_dimension: str,
        policy_body: dict[str, Any],
        policy_type: str | None,
    ) -> moto_models.FakeApplicationAutoscalingPolicy:
        if service_namespace != "sagemaker":
            return super().put_scaling_policy(policy_name, service_namespace, resource_id, scalable_dimension, policy_body, policy_type)
        if policy_type == "TargetTrackingScaling":
            metric = (policy_body or {}).get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
            where = "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType"
            raise_problems([enum_problem(metric, where, "MetricType")])
        if policy_type == "StepScaling":
            # The rules of the API reference's StepAdjustment; the service's own wording is not known to us.
            raise_problems([f"Invalid step adjustments: {problem}" for problem in step_problems(step_adjustments_of(policy_body))])
        if not self._scalable_target_exists(resource_id, scalable_dimension):
            raise no_target(service_namespace, resource_id, scalable_dimension)
        replaced = self.policies.get(moto_models.FakeApplicationAutoscalingPolicy.formulate_key(service_namespace, resource_id, scalable_dimension, policy_name))
        if replaced is not None:
            replaced.delete_alarms(self.account_id, self.region_name)
        policy = super().put_scaling_policy(policy_name, service_namespace, resource_id, scalable_dimension, policy_body, policy_type)
        if policy.policy_type == "TargetTrackingScaling":
            policy.alarms.extend(target_tracking_alarms(policy))
        return policy


def _of_target(action: moto_models.FakeScheduledAction, namespace: str, r_id: str, dimension: str) -> bool:
    return (action.service_namespace, action.resource_id, action.scalable_dimension) == (namespace, r_id, dimension)


def _capacities(action: dict[str, Any] | None) -> dict[str, int] | None:
    """A template's ScalableTargetAction as the API takes it (CloudFormation may pass the numbers as strings)."""
    if not action:
        return None
    return {key: int(value) for key, value in action.items() if key in ("MinCapacity", "MaxCapacity") and value is not None}


def _as_resource_failure(error: JsonRESTError) -> StackValidationError:
    """An Application Auto Scaling error met while CloudFormation creates a resource, as a CloudFormation error that
    carries the service's message: moto's JSON-only errors would break the XML answer of CloudFormation's API. (moto
    fails the stack operation at once, where CloudFormation would fail the stack and roll back.)"""
    return StackValidationError(message=f"{error.error_type}: {error.message}")


class ScalableTarget(UpsertedResource, ExtensionModel):
    """`AWS::ApplicationAutoScaling::ScalableTarget`. `Ref` gives `resource-id|scalable-dimension|service-namespace`."""

    resource_type = "AWS::ApplicationAutoScaling::ScalableTarget"
    name = ""  # a target has no name: its identity is its key

    def __init__(self, target: moto_models.FakeScalableTarget):
        self.target = target

    @property
    def physical_resource_id(self) -> str:
        return f"{self.target.resource_id}|{self.target.scalable_dimension}|{self.target.service_namespace}"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "ScalableTarget":
        try:
            return cls._create(cloudformation_json["Properties"], account_id, region_name)
        except JsonRESTError as error:
            raise _as_resource_failure(error) from error

    @classmethod
    def _create(cls, properties: dict[str, Any], account_id: str, region_name: str) -> "ScalableTarget":
        target = applicationautoscaling_backends[account_id][region_name].register_scalable_target(
            properties["ServiceNamespace"],
            properties["ResourceId"],
            properties["ScalableDimension"],
            min_capacity=int(properties["MinCapacity"]),
            max_capacity=int(properties["MaxCapacity"]),
            role_arn=properties.get("RoleARN"),
            suspended_state=properties.get("SuspendedState"),
        )
        backend = applicationautoscaling_backends[account_id][region_name]
        backend.replace_scheduled_actions(target.service_namespace, target.resource_id, target.scalable_dimension, properties.get("ScheduledActions") or [])
        return cls(target)

    def delete(self, account_id: str, region_name: str) -> None:
        applicationautoscaling_backends[account_id][region_name].deregister_scalable_target(
            self.target.service_namespace, self.target.resource_id, self.target.scalable_dimension
        )


class ScalingPolicy(UpsertedResource, ExtensionModel):
    """`AWS::ApplicationAutoScaling::ScalingPolicy`, on a `ScalingTargetId` or on its three parts. `Ref` gives the ARN."""

    resource_type = "AWS::ApplicationAutoScaling::ScalingPolicy"
    name_property = "PolicyName"

    def __init__(self, policy: moto_models.FakeApplicationAutoscalingPolicy):
        self.policy = policy

    @property
    def physical_resource_id(self) -> str:
        return self.policy.policy_arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "ScalingPolicy":
        properties = cloudformation_json["Properties"]
        if "ScalingTargetId" in properties:
            resource_id, dimension, namespace = properties["ScalingTargetId"].split("|")
        else:
            resource_id, dimension, namespace = properties["ResourceId"], properties["ScalableDimension"], properties["ServiceNamespace"]
        policy_type = properties["PolicyType"]
        body_key = "StepScalingPolicyConfiguration" if policy_type == "StepScaling" else "TargetTrackingScalingPolicyConfiguration"
        try:
            policy = applicationautoscaling_backends[account_id][region_name].put_scaling_policy(
                policy_name=resource_name,
                service_namespace=namespace,
                resource_id=resource_id,
                scalable_dimension=dimension,
                policy_body=properties.get(body_key),
                policy_type=policy_type,
            )
        except JsonRESTError as error:
            raise _as_resource_failure(error) from error
        return cls(policy)

    @property
    def name(self) -> str:
        return self.policy.policy_name

    @property
    def identity(self) -> str:
        policy = self.policy
        return policy.formulate_key(policy.service_namespace, policy.resource_id, policy.scalable_dimension, policy.policy_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = applicationautoscaling_backends[account_id][region_name]
        if self.identity in backend.policies:  # deregistering its target already deleted it
            policy = self.policy
            backend.delete_scaling_policy(policy.policy_name, policy.service_namespace, policy.resource_id, policy.scalable_dimension)
