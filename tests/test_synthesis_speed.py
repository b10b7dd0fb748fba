"""What keeps `loadmaster synth` near the speed of hand-written L1 (README, "Benchmark: synthesis speed"): the work
it skips stays skipped. Import checks run loadmaster in a fresh interpreter, where imports start from nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "codegen-platform.yaml"


def _in_a_fresh_interpreter(code: str) -> dict:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def test_planning_a_portfolio_with_a_region_does_not_import_cfn_lint():
    # Given the example, which names its region (inference components are checked against that region's schemas)
    # When it is planned in a fresh interpreter
    seen = _in_a_fresh_interpreter(
        "import json, sys\n"
        "from loadmaster.catalog import catalog_from\n"
        "from loadmaster.planner.make import plan_file\n"
        f"plan = plan_file({str(EXAMPLE)!r}, catalog_from(None), replan=False)\n"
        "print(json.dumps({'units': len(plan.units), 'cfnlint': 'cfnlint' in sys.modules}))"
    )

    # Then it is planned, and cfn-lint's provider schemas were read without its second of imports
    assert seen["units"] > 0
    assert seen["cfnlint"] is False


# Metrics: created in CDK's JavaScript only when something there needs them


@pytest.fixture
def created_in_javascript(monkeypatch):
    """The fully-qualified names of the jsii objects created from now on."""
    import jsii

    created = []
    provider = jsii.kernel.provider
    create = provider.create
    monkeypatch.setattr(provider, "create", lambda request: created.append(request.fqn) or create(request))
    return created


def test_the_metrics_only_an_alarm_of_ours_reads_never_cost_a_javascript_object(stack, created_in_javascript):
    # Given a dedicated endpoint, whose rollback alarms read its error and latency metrics
    from constructs.dedicated_endpoint import DedicatedEndpoint
    from loadmaster.plan import ContainerDefinition

    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"

    # When it is built
    DedicatedEndpoint(stack, "Inline", endpoint_name="inline", container=ContainerDefinition(image, None, {}), instance_type="ml.g5.2xlarge")

    # Then its alarms exist, and no metric object was created for them in JavaScript
    assert created_in_javascript.count("aws-cdk-lib.aws_cloudwatch.CfnAlarm") == 2
    assert "aws-cdk-lib.aws_cloudwatch.Metric" not in created_in_javascript


def test_a_metric_handed_to_cdk_is_the_metric_it_was_asked_for(stack):
    # Given an endpoint's latency metric, not yet needed in JavaScript
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk.assertions import Template

    from constructs.dedicated_endpoint import DedicatedEndpoint

    endpoint = DedicatedEndpoint.from_endpoint_name(stack, "Imported", "inline")
    latency = endpoint.metric_model_latency()

    # When CDK reads it (its members, an alarm on it)
    cloudwatch.Alarm(stack, "Slow", metric=latency, threshold=1000, evaluation_periods=1)

    # Then it is SageMaker's p90 ModelLatency of that variant, per minute
    assert (latency.metric_name, latency.statistic, latency.period.to_seconds()) == ("ModelLatency", "p90", 60)
    Template.from_stack(stack).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"Namespace": "AWS/SageMaker", "MetricName": "ModelLatency", "ExtendedStatistic": "p90", "Period": 60,
         "Dimensions": [{"Name": "EndpointName", "Value": "inline"}, {"Name": "VariantName", "Value": "AllTraffic"}]},
    )
