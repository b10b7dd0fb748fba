"""`AWS::SNS::TopicPolicy` for moto's CloudFormation, on moto's own SNS backend.

moto 5.2.5 has no CloudFormation model for it, so a stack's topic policy (CDK writes one for `enforce_ssl`) was
never applied. The resource sets the policy of each of its topics, and on deletion gives them back SNS's default
policy (CloudFormation resource reference, AWS::SNS::TopicPolicy).
"""

from __future__ import annotations

import json
from typing import Any

from moto.sns.models import sns_backends

from loadmaster.testing.cloudformation import ExtensionModel
from loadmaster.testing.upserted import ReappliedResource


class TopicPolicy(ReappliedResource, ExtensionModel):
    resource_type = "AWS::SNS::TopicPolicy"

    def __init__(self, name: str, topic_arns: list[str]):
        self.name = name
        self.topic_arns = topic_arns

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "TopicPolicy":
        properties = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        for arn in properties["Topics"]:
            backend.set_topic_attribute(arn, "policy", json.dumps(properties["PolicyDocument"]))
        return cls(resource_name, properties["Topics"])

    def delete(self, account_id: str, region_name: str) -> None:
        """What moto's CloudFormation calls to delete a resource it created."""
        backend = sns_backends[account_id][region_name]
        for arn in self.topic_arns:
            topic = backend.topics.get(arn)
            if topic is not None:  # a topic deleted with the stack takes its policy along
                topic.policy = json.dumps(topic._create_default_topic_policy(region_name, account_id, topic.name))
