"""`AWS::S3::BucketPolicy` for moto's CloudFormation, on moto's own S3 backend.

moto 5.2.5 has no CloudFormation model for it, so a stack's bucket policy (CDK writes one for `enforce_ssl` and for
server access logging) was never applied: the rehearsal could not tell a bucket that refuses plain HTTP from one
that does not. The resource puts the policy on its bucket, replaces it on update and removes it on deletion
(CloudFormation resource reference, AWS::S3::BucketPolicy).
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from loadmaster.testing.cloudformation import ExtensionModel
from loadmaster.testing.upserted import ReappliedResource


class BucketPolicy(ReappliedResource, ExtensionModel):
    resource_type = "AWS::S3::BucketPolicy"

    def __init__(self, bucket_name: str):
        self.bucket_name = bucket_name

    @property
    def physical_resource_id(self) -> str:
        return self.bucket_name

    @property
    def name(self) -> str:  # type: ignore[override]
        """A bucket has one policy: its bucket names it."""
        return self.bucket_name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "BucketPolicy":
        properties = cloudformation_json["Properties"]
        s3_backends[account_id][get_partition(region_name)].put_bucket_policy(properties["Bucket"], json.dumps(properties["PolicyDocument"]).encode())
        return cls(properties["Bucket"])

    def delete(self, account_id: str, region_name: str) -> None:
        """What moto's CloudFormation calls to delete a resource it created."""
        backend = s3_backends[account_id][get_partition(region_name)]
        if self.bucket_name in backend.buckets:  # a bucket deleted with its stack takes its policy along
            backend.delete_bucket_policy(self.bucket_name)
