"""`AWS::StepFunctions::StateMachine` for moto's CloudFormation, in the Step Functions backend moto's API answers from.

moto's own model creates a stack's state machine in its plain backend, while a mock configured to execute state
machines (``{"stepfunctions": {"execute_state_machine": True}}``) answers the API from its interpreter's backend: the
state machine a stack created was not found there, and could not be run. Here a stack's state machine is created,
updated in place and deleted in whichever backend moto's API uses.
"""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.responses import get_backend
from moto.stepfunctions.utils import cfn_to_api_tags

from loadmaster.testing.cloudformation import ExtensionModel


class CloudFormationStateMachine(ExtensionModel):
    resource_type = "AWS::StepFunctions::StateMachine"
    name_property = "StateMachineName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> StateMachine:
        properties = cloudformation_json["Properties"]
        tags = cfn_to_api_tags(properties.get("Tags", []))
        return get_backend(account_id, region_name).create_state_machine(
            properties.get("StateMachineName", resource_name), properties["DefinitionString"], properties["RoleArn"], tags=tags
        )

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: StateMachine, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> StateMachine:
        properties = cloudformation_json["Properties"]
        # StateMachineName is create-only: a new name is a replacement, which the update order creates anew.
        return get_backend(account_id, region_name).update_state_machine(original_resource.arn, definition=properties["DefinitionString"], role_arn=properties["RoleArn"])

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        get_backend(account_id, region_name).delete_state_machine(resource_name)
