"""A read-only view of one synthesized stack template: what the rules judge.

Properties are read as CloudFormation receives them (`{"Ref": ...}` and `{"Fn::GetAtt": ...}` for references, property
overrides applied), so a rule is written against the CloudFormation resource reference, whichever construct made the
resource. The view is plain JSON in Python: judging a stack of hundreds of resources costs no round trip to CDK's
JavaScript.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from loadmaster.catalog import load_catalog

SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
SCALING_POLICY = "AWS::ApplicationAutoScaling::ScalingPolicy"
# The resources that hold IAM permission policies: a role's inline ones, and policies attached to roles.
IAM_POLICY_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"})


class Resource:
    """One resource of a `StackTemplate`: its logical id, type and properties."""

    def __init__(self, logical_id: str, declaration: dict[str, Any]) -> None:
        self.logical_id = logical_id
        self.type: str = declaration["Type"]
        self.properties: dict[str, Any] = declaration.get("Properties") or {}

    @property
    def ref(self) -> dict[str, str]:
        """What a `Ref` to this resource looks like in a property."""
        return {"Ref": self.logical_id}


class StackTemplate:
    """The resources of a synthesized template (the JSON of `<stack>.template.json`).

    :param partition: `aws`, `aws-cn`, `aws-us-gov`...: the partition of the stack's region; None when the stack has
        no region.
    """

    def __init__(self, template: dict[str, Any], partition: str | None) -> None:
        self._by_id = {logical_id: Resource(logical_id, declaration) for logical_id, declaration in template.get("Resources", {}).items()}
        self.partition = partition

    def __iter__(self) -> Iterator[Resource]:
        return iter(self._by_id.values())

    def resource(self, logical_id: str) -> Resource:
        return self._by_id[logical_id]

    def of_type(self, resource_type: str) -> list[Resource]:
        return self._by_type.get(resource_type, [])

    def referenced(self, value: Any) -> Resource | None:
        """The resource a `Ref` or `Fn::GetAtt` names; None for anything else, or another stack's."""
        if isinstance(value, dict) and "Ref" in value:
            return self._by_id.get(value["Ref"])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return self._by_id.get(value["Fn::GetAtt"][0])
        return None

    def policies_on(self, target: Resource) -> list[Resource]:
        """Every scaling policy attached to the scalable target `target`."""
        return self._policies_by_target.get(target.logical_id, [])

    def has_scaling_policy(self, resource_id: str, dimension: str) -> bool:
        """Whether a scalable target for `resource_id` and `dimension` is registered with a policy on it."""
        return any(self.policies_on(target) for target in self._targets_by_scaled.get((resource_id, dimension), []))

    def model_variants(self, endpoint: Resource) -> list[dict[str, Any]]:
        """The production variants that name a model, in the endpoint config of an `AWS::SageMaker::Endpoint`.

        Dedicated endpoints have them; inference-component endpoints have model-less variants, so none.
        """
        config = self.referenced(endpoint.properties.get("EndpointConfigName"))
        if config is None:
            return []
        return [variant for variant in config.properties.get("ProductionVariants", []) if "ModelName" in variant]

    # Indexes, so that judging every resource of a stack takes time in proportion to its resources.

    @cached_property
    def _by_type(self) -> dict[str, list[Resource]]:
        by_type = defaultdict(list)
        for resource in self:
            by_type[resource.type].append(resource)
        return by_type

    @cached_property
    def _policies_by_target(self) -> dict[str, list[Resource]]:
        policies = defaultdict(list)
        for policy in self.of_type(SCALING_POLICY):
            target = policy.properties.get("ScalingTargetId")
            if isinstance(target, dict) and list(target) == ["Ref"]:  # a target of this stack, as `Resource.ref` names it
                policies[target["Ref"]].append(policy)
        return policies

    @cached_property
    def _targets_by_scaled(self) -> dict[tuple[Any, Any], list[Resource]]:
        targets = defaultdict(list)
        for target in self.of_type(SCALABLE_TARGET):
            key = (target.properties.get("ResourceId"), target.properties.get("ScalableDimension"))
            if all(isinstance(part, str) for part in key):  # a reference names nothing a rule can compare with
                targets[key].append(target)
        return targets


def runs_on_local_nvme(endpoint_config: dict[str, Any]) -> bool:
    """Whether a variant of these endpoint config properties runs on an instance type with local NVMe storage.

    The instance catalog says which types have it; a type the catalog does not know counts as without.
    """
    catalog = load_catalog()
    instance_types = [variant.get("InstanceType") for variant in endpoint_config.get("ProductionVariants", [])]
    return any(isinstance(name, str) and name in catalog and catalog[name].has_local_nvme for name in instance_types)


def permission_statements(resource: Resource) -> list[dict[str, Any]]:
    """The statements of the permission policies an `IAM_POLICY_TYPES` resource holds (a role's trust policy is none)."""
    properties = resource.properties
    documents = [properties.get("PolicyDocument")] + [policy.get("PolicyDocument") for policy in properties.get("Policies", [])]
    statements = []
    for document in documents:
        statement = (document or {}).get("Statement", [])
        statements += statement if isinstance(statement, list) else [statement]
    return statements
