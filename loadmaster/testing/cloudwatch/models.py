"""`AWS::CloudWatch::Alarm` for moto's CloudFormation, on moto's own CloudWatch backend.

moto 5.2.5 implements PutMetricAlarm but not the CloudFormation resource type; our step-scaling alarms need it.
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import Alarm, cloudwatch_backends

from loadmaster.testing.cloudformation import ExtensionModel
from loadmaster.testing.upserted import UpsertedResource


class MetricAlarm(UpsertedResource, ExtensionModel):
    """A single-metric alarm (`Metrics` math expressions are not supported). `Ref` gives the alarm's name.

    PutMetricAlarm replaces an alarm of the same name, so only a new AlarmName replaces the resource.
    """

    resource_type = "AWS::CloudWatch::Alarm"
    name_property = "AlarmName"

    def __init__(self, alarm: Alarm):
        self.alarm = alarm

    @property
    def name(self) -> str:
        return self.alarm.name

    @property
    def physical_resource_id(self) -> str:
        return self.alarm.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.alarm.alarm_arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "MetricAlarm":
        properties = cloudformation_json["Properties"]
        if "Metrics" in properties:
            raise NotImplementedError("loadmaster.testing: AWS::CloudWatch::Alarm with Metrics (metric math) is not supported")
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=properties["Namespace"],
            metric_name=properties["MetricName"],
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            period=int(properties["Period"]),
            threshold=float(properties["Threshold"]),
            statistic=properties.get("Statistic"),
            extended_statistic=properties.get("ExtendedStatistic"),
            description=properties.get("AlarmDescription"),
            dimensions=properties.get("Dimensions", []),
            alarm_actions=properties.get("AlarmActions", []),
            ok_actions=properties.get("OKActions", []),
            insufficient_data_actions=properties.get("InsufficientDataActions", []),
            datapoints_to_alarm=properties.get("DatapointsToAlarm"),
            unit=properties.get("Unit"),
            actions_enabled=properties.get("ActionsEnabled", True),
            treat_missing_data=properties.get("TreatMissingData"),
            tags=properties.get("Tags", []),
        )
        return cls(alarm)

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.alarm.name])
