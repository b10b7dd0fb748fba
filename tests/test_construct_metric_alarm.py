"""metric_alarm: an L1 alarm written as CDK's `cloudwatch.Alarm` writes it, so templates and logical ids match."""

from aws_cdk.assertions import Template


def test_an_alarm_has_the_template_and_logical_id_of_cdks_own_alarm_on_the_same_metric(stack):
    import aws_cdk as cdk
    from aws_cdk import aws_cloudwatch as cloudwatch
    from constructs.metric_alarm import GREATER_THAN_OR_EQUAL_TO_THRESHOLD, metric_alarm

    # Given one metric, alarmed on by CDK's Alarm in one stack and by metric_alarm in another
    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="ModelLatency", dimensions_map={"EndpointName": "chat", "VariantName": "AllTraffic"})
    reference = cdk.Stack(cdk.App(), "Reference")
    cloudwatch.Alarm(reference, "SlowReplies", metric=metric.with_(statistic="p90", period=cdk.Duration.minutes(1)), threshold=2_000_000,
                     evaluation_periods=3, datapoints_to_alarm=2, comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                     alarm_description="chat answers slowly", treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)

    # When metric_alarm writes the same alarm
    metric_alarm(stack, "SlowReplies", metric=metric, statistic="p90", period_s=60, threshold=2_000_000, evaluation_periods=3,
                 datapoints_to_alarm=2, comparison_operator=GREATER_THAN_OR_EQUAL_TO_THRESHOLD, alarm_description="chat answers slowly")

    # Then both templates hold the same alarm under the same logical id
    assert Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm") == Template.from_stack(reference).find_resources("AWS::CloudWatch::Alarm")


def test_a_standard_statistic_is_a_statistic_and_a_percentile_an_extended_one(stack):
    from aws_cdk import aws_cloudwatch as cloudwatch
    from constructs.metric_alarm import GREATER_THAN_THRESHOLD, metric_alarm

    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors", dimensions_map={"EndpointName": "chat"})
    metric_alarm(stack, "Errors", metric=metric, statistic="Sum", period_s=60, threshold=5, evaluation_periods=1,
                 comparison_operator=GREATER_THAN_THRESHOLD, alarm_description="errors")
    metric_alarm(stack, "Slow", metric=metric, statistic="p99", period_s=60, threshold=5, evaluation_periods=1,
                 comparison_operator=GREATER_THAN_THRESHOLD, alarm_description="slow")

    alarms = {alarm["Properties"]["AlarmDescription"]: alarm["Properties"] for alarm in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()}
    assert (alarms["errors"].get("Statistic"), alarms["errors"].get("ExtendedStatistic")) == ("Sum", None)
    assert (alarms["slow"].get("Statistic"), alarms["slow"].get("ExtendedStatistic")) == (None, "p99")
    assert alarms["errors"]["ComparisonOperator"] == "GreaterThanThreshold" and alarms["errors"]["TreatMissingData"] == "notBreaching"
