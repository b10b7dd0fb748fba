"""Where loadmaster.testing touches moto's CloudFormation, once `install_cloudformation()` has run.

1. Our resource types. moto finds CloudFormation models as the direct subclasses of `CloudFormationModel`. Ours
   derive from `ExtensionModel` instead, so that importing them changes nothing; installing adds them to moto's
   model lookups, after moto's own, so that ours win where both know a type.
2. Deletion order. moto's `ResourceMap.delete` tries resources in any order and
   retries failures until nothing moves, so a stack deletes even when its template never said that a component must
   go before its endpoint. CloudFormation deletes each resource only after everything that depends on it (DependsOn,
   Ref, Fn::GetAtt, Fn::Sub) and stops at the first failure; a rehearsal must fail where a real deletion would.
   Deleted resources stay in the stack's map, so that describing the deleted stack does not create them again.
3. Update order: creations and replacements first, deletions last, custom-named replacements refused, as
   CloudFormation does (`loadmaster.testing.cloudformation_update`).
"""

from __future__ import annotations

import re
from graphlib import TopologicalSorter
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

_SUB_REFERENCE = re.compile(r"\$\{([^}!][^}]*)\}")


def references(node: Any) -> set[str]:
    """Logical ids (and parameters) a template fragment refers to."""
    if isinstance(node, list):
        return set().union(*map(references, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            found.add(value)
        elif key == "Fn::GetAtt":
            found.add(value[0] if isinstance(value, list) else value.split(".")[0])
        elif key == "Fn::Sub":
            template = value if isinstance(value, str) else value[0]
            found |= {name.split(".")[0] for name in _SUB_REFERENCE.findall(template)}
        found |= references(value)
    return found


def deletion_order(resources: dict[str, dict[str, Any]]) -> list[str]:
    """Every logical id, each after all the resources that depend on it."""
    graph = {}
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        graph[logical_id] = (set(depends_on) | references(resource.get("Properties", {}))) & resources.keys()
    return list(TopologicalSorter(graph).static_order())[::-1]


class _Deleted:
    """A resource deleted with its stack, left in the stack's map: moto resolves a stack's exports again on every
    DescribeStacks and would create a resource missing from the map anew. It still answers Ref and GetAtt."""

    def __init__(self, resource: CloudFormationModel):
        self._resource = resource

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resource, name)


def _delete_in_dependency_order(resource_map: parsing.ResourceMap) -> None:
    template = resource_map._resource_json_map
    for logical_id in deletion_order(template):
        resource = resource_map._parsed_resources.get(logical_id)
        if template[logical_id].get("DeletionPolicy") == "Retain" or not isinstance(resource, CloudFormationModel):
            continue  # kept, already deleted, or never created (a false condition, a type moto does not know)
        resource_map._delete_resource(resource, template[logical_id])
        resource_map._parsed_resources[logical_id] = _Deleted(resource)


class ExtensionModel(CloudFormationModel):
    """Base of loadmaster.testing's CloudFormation models: each names its type and the property that names a resource.

    moto sees this abstract class itself as a type named None, which no template uses.
    """

    resource_type: str | None = None
    name_property = ""

    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        return cls.resource_type  # type: ignore[return-value]

    @classmethod
    def cloudformation_name_type(cls) -> str:  # type: ignore[override]
        return cls.name_property


def _models() -> list[type[CloudFormationModel]]:
    # Ours last: where a type is both moto's and ours, the later one wins the lookup by type.
    return [*CloudFormationModel.__subclasses__(), *ExtensionModel.__subclasses__()]


def install_cloudformation() -> None:
    """Let moto's CloudFormation see our resource types, and update and delete stacks in CloudFormation's order.
    Idempotent."""
    from loadmaster.testing.cloudformation_update import update_as_cloudformation_does  # it builds on this module

    parsing.get_model_list = _models
    parsing.get_model_map = lambda: {model.cloudformation_type(): model for model in _models()}
    parsing.get_name_type_map = lambda: {model.cloudformation_type(): model.cloudformation_name_type() for model in _models()}
    parsing.ResourceMap.delete = _delete_in_dependency_order
    parsing.ResourceMap.update = update_as_cloudformation_does
