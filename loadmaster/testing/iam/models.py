"""`AWS::IAM::ManagedPolicy` that CloudFormation can delete and replace.

moto 5.2.5 creates managed policies from templates but has no deletion for them: the policy stays attached to its
roles, and deleting the role then fails ("Cannot delete entity, must detach all policies first"). CloudFormation
detaches the policy from its roles, users and groups and deletes it. CDK writes such policies when a role's
statements outgrow its inline policy.
"""

from __future__ import annotations

from typing import Any

from moto.iam import models as moto_iam
from moto.utilities.utils import get_partition

from loadmaster.testing.cloudformation import ExtensionModel


class ManagedPolicy(ExtensionModel):
    resource_type = "AWS::IAM::ManagedPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> moto_iam.ManagedPolicy:
        return moto_iam.ManagedPolicy.create_from_cloudformation_json(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: moto_iam.ManagedPolicy, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> moto_iam.ManagedPolicy:
        # A changed managed policy is replaced: the new one first, then the old one goes.
        replacement = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        cls.delete_from_cloudformation_json(original_resource.arn, cloudformation_json, account_id, region_name)
        return replacement

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        backend = moto_iam.iam_backends[account_id][get_partition(region_name)]
        arn = resource_name  # the physical id of a managed policy is its ARN
        for holders, detach in ((backend.roles, backend.detach_role_policy), (backend.users, backend.detach_user_policy), (backend.groups, backend.detach_group_policy)):
            for holder in list(holders.values()):
                if arn in holder.managed_policies:
                    detach(arn, holder.name)
        backend.delete_policy(arn)
