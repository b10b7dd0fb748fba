"""`AWS::Scheduler::Schedule` for moto's CloudFormation, on moto's own EventBridge Scheduler backend.

moto 5.2.5 has the Scheduler API but no CloudFormation model for a schedule, so a stack's schedule was never
created. The resource creates, updates and deletes its schedule through that backend; its `Ref` is the schedule's
name, `Fn::GetAtt Arn` its ARN, and a schedule without `Name` is named by CloudFormation (CloudFormation resource
reference, AWS::Scheduler::Schedule). The expression is checked as EventBridge Scheduler checks it
(`loadmaster.batch_transform.Schedule`), which moto does not.
"""

from __future__ import annotations

from typing import Any

from moto.scheduler.exceptions import ValidationException
from moto.scheduler.models import Schedule, scheduler_backends

from loadmaster.batch_transform import Schedule as ScheduleExpression
from loadmaster.testing.cloudformation import ExtensionModel


class CloudFormationSchedule(ExtensionModel):
    resource_type = "AWS::Scheduler::Schedule"
    name_property = "Name"

    def __init__(self, schedule: Schedule):
        self.schedule = schedule

    @property
    def physical_resource_id(self) -> str:
        return self.schedule.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.schedule.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "CloudFormationSchedule":
        properties = cloudformation_json["Properties"]
        expression = ScheduleExpression(properties["ScheduleExpression"], properties.get("ScheduleExpressionTimezone", "UTC"))
        if expression.expression.startswith(("cron(", "rate(")) and (problems := expression.problems()):
            # Real text unknown: Scheduler answers a ValidationException naming the expression.
            raise ValidationException(f"Invalid Schedule Expression {expression.expression}: {'; '.join(problems)}")
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            description=properties.get("Description"),
            end_date=properties.get("EndDate"),
            flexible_time_window=properties["FlexibleTimeWindow"],
            group_name=properties.get("GroupName"),
            kms_key_arn=properties.get("KmsKeyArn"),
            name=properties.get("Name", resource_name),
            schedule_expression=expression.expression,
            schedule_expression_timezone=expression.time_zone,
            start_date=properties.get("StartDate"),
            state=properties.get("State", "ENABLED"),
            target=properties["Target"],
            action_after_completion=None,
        )
        return cls(schedule)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "CloudFormationSchedule", new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> "CloudFormationSchedule":
        original_resource.delete(account_id, region_name)
        cloudformation_json["Properties"].setdefault("Name", original_resource.schedule.name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        """What moto's CloudFormation calls to delete a resource it created."""
        scheduler_backends[account_id][region_name].delete_schedule(self.schedule.group_name, self.schedule.name)
