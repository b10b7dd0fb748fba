"""A read-only view of one stack's resources as CloudFormation will receive them: what the rules judge.

Properties are read as they will be written (`{"Ref": ...}` and `{"Fn::GetAtt": ...}` for references), so a rule is
written against the CloudFormation resource reference, whichever construct made the resource. Each resource's
properties are resolved once, when a rule first needs them: a stack holds hundreds of resources, and resolving is
a round trip to CDK's JavaScript.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import aws_cdk as cdk
from aws_cdk import region_info
from loadmaster.catalog import load_catalog

SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
SCALING_POLICY = "AWS::ApplicationAutoScaling::ScalingPolicy"
# The resources that hold IAM permission policies: a role's inline ones, and policies attached to roles.
IAM_POLICY_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"})


class Resource:
    """One resource of a `StackTemplate`."""

    def __init__(self, node: cdk.CfnResource, logical_id: str) -> None:
        self._node = node
        self.logical_id = logical_id
        self.type = node.cfn_resource_type

    @cached_property
    def properties(self) -> dict[str, Any]:
        """Every token resolved; property overrides (`add_property_override`) are not seen."""
        stack = cdk.Stack.of(self._node)
        # Resolved before they are rendered: rendering checks types, and a lazy list (CDK's L2 constructs) is no list yet.
        return stack.resolve(self._node._render_properties(stack.resolve(self._node._cfn_properties))) or {}

    @property
    def ref(self) -> dict[str, str]:
        """What a `Ref` to this resource looks like in a resolved property."""
        return {"Ref": self.logical_id}


class StackTemplate:
    """The resources of `stack` as they are when the view is made."""

    def __init__(self, stack: cdk.Stack) -> None:
        nodes = [node for node in stack.node.find_all() if isinstance(node, cdk.CfnResource)]
        self._by_id = {resource.logical_id: resource for resource in (Resource(node, stack.get_logical_id(node)) for node in nodes)}
        #: `aws`, `aws-cn`, `aws-us-gov`...: the partition of the stack's region; None when the stack has no region.
        self.partition: str | None = None if cdk.Token.is_unresolved(stack.region) else region_info.RegionInfo.get(stack.region).partition

    def resource(self, node: cdk.CfnResource) -> Resource:
        return self._by_id[cdk.Stack.of(node).get_logical_id(node)]

    def of_type(self, resource_type: str) -> list[Resource]:
        return [resource for resource in self._by_id.values() if resource.type == resource_type]

    def referenced(self, value: Any) -> Resource | None:
        """The resource a resolved `Ref` or `Fn::GetAtt` names; None for anything else, or another stack's."""
        if isinstance(value, dict) and "Ref" in value:
            return self._by_id.get(value["Ref"])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return self._by_id.get(value["Fn::GetAtt"][0])
        return None

    def policies_on(self, target: Resource) -> list[Resource]:
        """Every scaling policy attached to the scalable target `target`."""
        return [policy for policy in self.of_type(SCALING_POLICY) if policy.properties.get("ScalingTargetId") == target.ref]

    def has_scaling_policy(self, resource_id: str, dimension: str) -> bool:
        """Whether a scalable target for `resource_id` and `dimension` is registered with a policy on it."""
        return any(
            self.policies_on(target)
            for target in self.of_type(SCALABLE_TARGET)
            if target.properties.get("ResourceId") == resource_id and target.properties.get("ScalableDimension") == dimension
        )

    def model_variants(self, endpoint: Resource) -> list[dict[str, Any]]:
        """The production variants that name a model, in the endpoint config of an `AWS::SageMaker::Endpoint`.

        Dedicated endpoints have them; inference-component endpoints have model-less variants, so none.
        """
        config = self.referenced(endpoint.properties.get("EndpointConfigName"))
        if config is None:
            return []
        return [variant for variant in config.properties.get("ProductionVariants", []) if "ModelName" in variant]


def runs_on_local_nvme(endpoint_config: dict[str, Any]) -> bool:
    """Whether a variant of these endpoint config properties runs on an instance type with local NVMe storage.

    The instance catalog says which types have it; a type the catalog does not know counts as without.
    """
    catalog = load_catalog()
    instance_types = [variant.get("InstanceType") for variant in endpoint_config.get("ProductionVariants", [])]
    return any(name in catalog and catalog[name].has_local_nvme for name in instance_types)


def permission_statements(resource: Resource) -> list[dict[str, Any]]:
    """The statements of the permission policies an `IAM_POLICY_TYPES` resource holds (a role's trust policy is none)."""
    properties = resource.properties
    documents = [properties.get("PolicyDocument")] + [policy.get("PolicyDocument") for policy in properties.get("Policies", [])]
    statements = []
    for document in documents:
        statement = (document or {}).get("Statement", [])
        statements += statement if isinstance(statement, list) else [statement]
    return statements
