"""CloudFormation updates for resources whose API call creates or replaces by identity (a name, a target's key)."""

from __future__ import annotations

from typing import Any


class UpsertedResource:
    """Mixed into a `CloudFormationModel`: an update calls the API again; a new identity replaces the resource.

    A subclass has `name` (kept on update unless its name property changes), `identity` and `delete()`.
    """

    name: str
    identity: str

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> Any:
        # moto passes a freshly generated name for resources without a name property: keep the original one.
        name = cloudformation_json["Properties"].get(cls.name_property, original_resource.name)  # type: ignore[attr-defined]
        updated = cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)  # type: ignore[attr-defined]
        if updated.identity != original_resource.identity:
            original_resource.delete(account_id, region_name)
        return updated
