"""Stack updates in the order CloudFormation runs them, in place of moto's.

moto updates a stack by deleting removed resources first, then creating added ones, then letting each changed
resource's model update itself; it compares templates as text, so a resource whose properties change only through a
reference (an endpoint whose config was replaced) is never updated. A rehearsal on that order passes changes that
fail for real. CloudFormation instead ("Update behaviors of stack resources", AWS CloudFormation User Guide):

1. creates and updates resources in dependency order, against the *resolved* properties;
2. replaces a resource when a create-only property changes (the resource type's provider schema,
   `createOnlyProperties`; cfn-lint ships those schemas): the new physical resource is created first. This holds for
   the hosting types (`REPLACED_BY_SCHEMA`); other types update as their moto models do;
3. refuses to replace a resource whose name the template sets, since the new one would take the old one's name
   ("CloudFormation cannot update a stack when a custom-named resource requires replacing");
4. deletes removed resources and the replaced physical resources last, in the cleanup phase, dependents first.

A failure during steps 1-3 rolls the update back: what the update created is deleted and the stack keeps its previous
template and resources. (Properties already updated in place are not reverted: the rehearsal stops at the failure.)
"""

from __future__ import annotations

import copy
from functools import cache
from graphlib import TopologicalSorter
from typing import Any

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError

from loadmaster.testing.cloudformation import deletion_order

# The provider schemas are the same in every commercial region for the types we deploy; one region keeps lookups cached.
_SCHEMA_REGION = "us-east-1"
# The types whose replacements follow their provider schemas here: those loadmaster deploys and models. Every other
# type keeps the update semantics of its moto model, as shipped (moto's own tests rely on them).
REPLACED_BY_SCHEMA = ("AWS::SageMaker::", "AWS::ApplicationAutoScaling::", "AWS::CloudWatch::")


def update_as_cloudformation_does(resource_map: parsing.ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """`ResourceMap.update`, in CloudFormation's order (module docstring)."""
    old_template, old_resources = resource_map._template, resource_map._resource_json_map
    old_parameters, old_parsed = resource_map.input_parameters, dict(resource_map._parsed_resources)
    old_properties = {logical_id: _resolved(resource_map, resource) for logical_id, resource in old_resources.items()}
    removed = [logical_id for logical_id in old_resources if logical_id not in template["Resources"]]

    _switch_template(resource_map, template, parameters)
    created: list[str] = []
    replaced: dict[str, Any] = {}  # logical id -> the physical resource the cleanup deletes
    try:
        for logical_id in creation_order(template["Resources"]):
            resource = template["Resources"][logical_id]
            if logical_id not in old_resources:
                _create(resource_map, logical_id, created)
                continue
            new_properties = _resolved(resource_map, resource)
            if new_properties == old_properties[logical_id] and resource == old_resources[logical_id]:
                continue
            changed = _create_only_changes(resource["Type"], old_properties[logical_id], new_properties) if resource["Type"].startswith(REPLACED_BY_SCHEMA) else []
            if not changed:
                updated = parsing.parse_and_update_resource(logical_id, resource, resource_map, resource_map._account_id, resource_map._region_name)
                if updated is not None:
                    resource_map._parsed_resources[logical_id] = updated
                continue
            name_property = _name_property(resource["Type"])
            if name_property and name_property in resource.get("Properties", {}) and new_properties.get(name_property) == old_properties[logical_id].get(name_property):
                raise ValidationError(
                    message=f"CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename "
                    f"{new_properties[name_property]} and update the stack again. ({logical_id}: {', '.join(changed)} changed)"
                )
            replaced[logical_id] = resource_map._parsed_resources.pop(logical_id, None)
            _create(resource_map, logical_id, created)
    except Exception:
        _roll_back(resource_map, created, old_template, old_resources, old_parameters, old_parsed)
        raise

    # Cleanup: removed resources and the old physical resources of replaced ones, each after its dependents.
    for logical_id in deletion_order(old_resources):
        if logical_id in removed and logical_id in resource_map._parsed_resources:
            _delete(resource_map, resource_map._parsed_resources.pop(logical_id), old_resources[logical_id])
        elif replaced.get(logical_id) is not None:
            _delete(resource_map, replaced[logical_id], old_resources[logical_id])


def creation_order(resources: dict[str, dict[str, Any]]) -> list[str]:
    """Every logical id, each after the resources it depends on (DependsOn, Ref, Fn::GetAtt, Fn::Sub)."""
    return deletion_order(resources)[::-1]


def _switch_template(resource_map: parsing.ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None) -> None:
    resource_map._template = template
    if parameters:
        resource_map.input_parameters = parameters
    resource_map.load_mapping()
    resource_map.load_parameters()
    resource_map.load_conditions()
    resource_map._resource_json_map = template["Resources"]


def _create(resource_map: parsing.ResourceMap, logical_id: str, created: list[str]) -> None:
    _ = resource_map[logical_id]  # moto's map creates a resource on first access
    created.append(logical_id)


def _delete(resource_map: parsing.ResourceMap, resource: Any, resource_json: dict[str, Any]) -> None:
    if resource_json.get("DeletionPolicy") == "Retain" or resource is None or isinstance(resource, str):
        return
    resource_map._delete_resource(resource, resource_json)


def _roll_back(resource_map: parsing.ResourceMap, created: list[str], template: dict[str, Any], resources: dict[str, Any],
               parameters: dict[str, Any], parsed: dict[str, Any]) -> None:
    new_resources = resource_map._resource_json_map
    for logical_id in reversed(created):
        resource = resource_map._parsed_resources.get(logical_id)
        if resource is not None and resource is not parsed.get(logical_id):
            try:
                _delete(resource_map, resource, new_resources[logical_id])
            except Exception:  # noqa: BLE001 - a rollback deletes what it can, as CloudFormation's does
                pass
    resource_map._template, resource_map._resource_json_map, resource_map.input_parameters = template, resources, parameters
    resource_map._parsed_resources.clear()
    resource_map._parsed_resources.update(parsed)


def _resolved(resource_map: parsing.ResourceMap, resource: dict[str, Any]) -> Any:
    """The resource's properties with references resolved against the stack's resources, as CloudFormation compares
    them; the text itself where moto cannot resolve them (a type moto has no model for)."""
    properties = resource.get("Properties", {})
    try:
        return parsing.clean_json(copy.deepcopy(properties), resource_map)
    except Exception:  # noqa: BLE001 - moto raises many kinds for what it cannot resolve
        return properties


def _create_only_changes(resource_type: str, old: Any, new: Any) -> list[str]:
    """The create-only properties (JSON pointers such as `/properties/ProductionVariants`) whose values differ."""
    return [pointer.removeprefix("/properties/") for pointer in _create_only_properties(resource_type)
            if _at(old, pointer) != _at(new, pointer)]


@cache
def _create_only_properties(resource_type: str) -> tuple[str, ...]:
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(_SCHEMA_REGION, resource_type)
    except Exception:  # noqa: BLE001 - custom and unknown types: CloudFormation has no schema to replace them by
        return ()
    return tuple(schema.schema.get("createOnlyProperties", ()))


def _name_property(resource_type: str) -> str | None:
    """The property that names the resource: moto's model says, or CloudFormation's convention (`<Type>Name`, as
    `EndpointConfigName` or `RoleName`) where it is a create-only property of the type."""
    conventional = f"{resource_type.split('::')[-1]}Name"
    return parsing.resource_name_property_from_type(resource_type) or (
        conventional if f"/properties/{conventional}" in _create_only_properties(resource_type) else None
    )


def _at(properties: Any, pointer: str) -> Any:
    node = properties
    for part in pointer.removeprefix("/properties/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node

