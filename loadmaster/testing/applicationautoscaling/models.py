"""moto's Application Auto Scaling with the dimensions and metrics of botocore's service model, SageMaker targets
that must exist, and CloudFormation support for scalable targets and scaling policies.

moto validates against enums of its own that lack `sagemaker:inference-component:DesiredCopyCount` (FACTS.md);
botocore's model lists every current value.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from moto.applicationautoscaling import models as moto_models
from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.core.exceptions import JsonRESTError
from moto.sagemaker.models import sagemaker_backends

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


class ApplicationAutoscalingBackend(moto_models.ApplicationAutoscalingBackend):
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
        raise_problems([enum_problem(dimension, "scalableDimension", "ScalableDimension"), enum_problem(namespace, "serviceNamespace", "ServiceNamespace")])
        d_namespace, d_resource_type, _ = dimension.split(":")
        if d_namespace != namespace or moto_models._get_resource_type_from_resource_id(r_id) != d_resource_type:
            raise AWSValidationException("Unsupported service namespace, resource type or scalable dimension")  # moto's text
        if namespace == "sagemaker":
            self._sagemaker_resource_must_exist(r_id)
        if self._scalable_target_exists(r_id, dimension):
            target = self.targets[dimension][r_id]
            target.update(min_capacity, max_capacity, suspended_state)
            return target
        target = moto_models.FakeScalableTarget(self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn, suspended_state)
        return self._add_scalable_target(target)

    def _sagemaker_resource_must_exist(self, resource_id: str) -> None:
        # Application Auto Scaling checks the resource with SageMaker; the real message is not known to us.
        sagemaker = sagemaker_backends[self.account_id][self.region_name]
        parts = resource_id.split("/")
        if parts[0] == "inference-component":
            exists = parts[1] in getattr(sagemaker, "inference_components", {})
        else:  # endpoint/<name>/variant/<variant>
            endpoint = sagemaker.endpoints.get(parts[1])
            exists = endpoint is not None and any(v["VariantName"] == parts[3] for v in endpoint.production_variants)
        if not exists:
            raise AWSValidationException(f"SageMaker resource {resource_id} does not exist")

    def deregister_scalable_target(self, namespace: str, r_id: str, dimension: str) -> None:
        super().deregister_scalable_target(namespace, r_id, dimension)
        # Deregistering a target deletes its scaling policies (Application Auto Scaling API reference).
        for key, policy in list(self.policies.items()):
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
                policy.delete_alarms(self.account_id, self.region_name)
                del self.policies[key]

    def put_scaling_policy(
        self,
        policy_name: str,
        service_namespace: str,
        resource_id: str,
        scalable_dimension: str,
        policy_body: dict[str, Any],
        policy_type: str | None,
    ) -> moto_models.FakeApplicationAutoscalingPolicy:
        if policy_type == "TargetTrackingScaling":
            metric = (policy_body or {}).get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
            where = "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType"
            raise_problems([enum_problem(metric, where, "MetricType")])
        if not self._scalable_target_exists(resource_id, scalable_dimension):
            raise ObjectNotFoundException(
                f"No scalable target registered for service namespace: {service_namespace}, "
                f"resource ID: {resource_id}, scalable dimension: {scalable_dimension}"
            )
        return super().put_scaling_policy(policy_name, service_namespace, resource_id, scalable_dimension, policy_body, policy_type)


class ScalableTarget(UpsertedResource, ExtensionModel):
    """`AWS::ApplicationAutoScaling::ScalableTarget`. `Ref` gives `resource-id|scalable-dimension|service-namespace`."""

    resource_type = "AWS::ApplicationAutoScaling::ScalableTarget"
    name = ""  # a target has no name: its identity is its key

    def __init__(self, target: moto_models.FakeScalableTarget):
        self.target = target

    @property
    def physical_resource_id(self) -> str:
        return f"{self.target.resource_id}|{self.target.scalable_dimension}|{self.target.service_namespace}"

    @property
    def identity(self) -> str:
        return self.physical_resource_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "ScalableTarget":
        properties = cloudformation_json["Properties"]
        target = applicationautoscaling_backends[account_id][region_name].register_scalable_target(
            properties["ServiceNamespace"],
            properties["ResourceId"],
            properties["ScalableDimension"],
            min_capacity=int(properties["MinCapacity"]),
            max_capacity=int(properties["MaxCapacity"]),
            role_arn=properties.get("RoleARN"),
            suspended_state=properties.get("SuspendedState"),
        )
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
        policy = applicationautoscaling_backends[account_id][region_name].put_scaling_policy(
            policy_name=resource_name,
            service_namespace=namespace,
            resource_id=resource_id,
            scalable_dimension=dimension,
            policy_body=properties.get(body_key),
            policy_type=policy_type,
        )
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
