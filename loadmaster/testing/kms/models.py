"""`AWS::KMS::Key` with `Tags` for moto's CloudFormation, on moto's own KMS backend.

A template writes tags as `{Key, Value}` (CloudFormation's resource tag shape), the KMS API as `{TagKey, TagValue}`.
moto 5.2.5 passes the template's tags to its KMS backend unchanged, whose tagging service then fails on the missing
`TagKey` (KeyError); moto's CloudFormation drops the key, and every `Fn::GetAtt` on it fails. loadmaster tags every
resource, so every stack that creates a storage key (instance types without local NVMe, such as ml.c5 or ml.inf2)
hit it.
"""

from __future__ import annotations

from typing import Any

from moto.kms import models as moto_kms

from loadmaster.testing.cloudformation import ExtensionModel


class Key(ExtensionModel):
    resource_type = "AWS::KMS::Key"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> moto_kms.Key:
        properties = cloudformation_json["Properties"]
        tags = [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in properties.get("Tags", [])]
        with_api_tags = {**cloudformation_json, "Properties": {**properties, "Tags": tags}}
        return moto_kms.Key.create_from_cloudformation_json(resource_name, with_api_tags, account_id, region_name, **kwargs)

    # Everything else is moto's own: only the tags' shape at creation differs.
    update_from_cloudformation_json = moto_kms.Key.update_from_cloudformation_json
    has_cfn_attr = moto_kms.Key.has_cfn_attr
