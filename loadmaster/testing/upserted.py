"""CloudFormation updates for resources whose API call creates or replaces by identity (a name, a target's key)."""

from __future__ import annotations

from typing import Any


class UpsertedResource:
    """Mixed into a `CloudFormationModel`: an update calls the API again, under the resource's name.

    The properties that make such a resource's identity (AlarmName; a target's or policy's namespace, resource id and
    dimension) are create-only in their provider schemas, so a change of them replaces the resource before its model
    is asked to update (`loadmaster.testing.cloudformation_update`): an update keeps the identity. A subclass has
    `name` and `delete()`.
    """

    name: str

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> Any:
        # moto passes a freshly generated name for resources without a name property: keep the original one.
        return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)  # type: ignore[attr-defined]


class ReappliedResource(UpsertedResource):
    """An `UpsertedResource` that is a setting of others (a bucket's or a topic's policy): an update first takes the
    old setting off what it was on, then applies the new one."""

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> Any:
        original_resource.delete(account_id, region_name)
        return super().update_from_cloudformation_json(original_resource, new_resource_name, cloudformation_json, account_id, region_name)
