"""`hosting: async` end to end: a portfolio with an asynchronous endpoint plans, synthesizes cfn-lint clean through
both compliance packs, carries AsyncInferenceConfig with its outputs and notifications and the wake-up alarm wired
to its step policy, and rehearses create -> update -> delete; `hosting: auto` sends a 1 GB, 10-minute model async or
refuses it with the reason."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from loadmaster.errors import PortfolioError

EVERY_PATTERN = Path("examples/every-pattern.yaml")
ENDPOINT = "every-pattern-transcribe"
BIG_AND_SLOW = {"payload_mb": 1000, "processing_s": 600}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """The every-pattern portfolio planned and synthesized once: (plan, template, its file)."""
    from loadmaster.planner.make import plan_file
    from loadmaster.synthesis import synthesize

    plan = plan_file(EVERY_PATTERN)
    (stack,) = synthesize(plan, tmp_path_factory.mktemp("async-hosting") / "cdk.out")
    return plan, stack.template, stack.template_file


def of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {name: resource for name, resource in template["Resources"].items() if resource["Type"] == resource_type}


def written(tmp_path: Path, document: dict, name: str = "portfolio.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def auto_model(**request) -> dict:
    document = yaml.safe_load(EVERY_PATTERN.read_text())
    model = {key: value for key, value in document["models"][2].items() if key not in ("hosting", "instance_type", "instances", "notifications", "max_concurrent_invocations_per_instance")}
    document["models"], document["pools"] = [{**model, "hosting": "auto", "size_gb": 2, "request": request}], []
    return document


def test_the_async_models_endpoint_config_carries_its_output_and_notification_config(synthesized):
    _, template, _ = synthesized
    (config,) = [resource["Properties"] for resource in of_type(template, "AWS::SageMaker::EndpointConfig").values() if "AsyncInferenceConfig" in resource["Properties"]]
    topics = set(of_type(template, "AWS::SNS::Topic"))

    output = config["AsyncInferenceConfig"]["OutputConfig"]
    assert output["S3OutputPath"]["Fn::Join"][1][-1] == f"/{ENDPOINT}/results/" and output["S3FailurePath"]["Fn::Join"][1][-1] == f"/{ENDPOINT}/failures/"
    assert {output["NotificationConfig"]["SuccessTopic"]["Ref"], output["NotificationConfig"]["ErrorTopic"]["Ref"]} == topics
    assert config["AsyncInferenceConfig"]["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 2}
    assert "KmsKeyId" in output


def test_the_async_wake_up_alarm_runs_its_step_policy(synthesized):
    _, template, _ = synthesized
    (alarm,) = [resource["Properties"] for resource in of_type(template, "AWS::CloudWatch::Alarm").values() if resource["Properties"]["MetricName"] == "HasBacklogWithoutCapacity"]
    steps = {name for name, policy in of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy").items() if policy["Properties"]["PolicyType"] == "StepScaling"}

    (action,) = alarm["AlarmActions"]
    assert action["Ref"] in steps
    assert template["Resources"][action["Ref"]]["Properties"]["StepScalingPolicyConfiguration"]["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]
    assert alarm["Dimensions"] == [{"Name": "EndpointName", "Value": ENDPOINT}]


def test_the_portfolio_passes_both_compliance_packs(synthesized):
    _, _, template_file = synthesized
    report = json.loads((template_file.parent / "validation-report.json").read_text())

    assert [violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]] == []


def test_cfn_lint_reports_nothing(synthesized):
    _, _, template_file = synthesized

    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--", str(template_file)], capture_output=True, text=True, timeout=300)

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_the_summary_says_where_results_go_and_how_it_wakes(synthesized):
    from loadmaster.summary import render_summary

    plan, _, _ = synthesized

    assert (f"  async transcribe -> endpoint {ENDPOINT}: ml.g5.2xlarge x 0..3 instances, results in a bucket of the stack under {ENDPOINT}/, "
            "scales on backlog-size-per-instance (target 5), wakes on HasBacklogWithoutCapacity") in render_summary(plan).splitlines()


def test_the_plan_counts_instances_for_the_requests_in_processing(synthesized):
    plan, _, _ = synthesized
    (unit,) = plan.units_of("async")

    # mean 1 and peak 6 requests in processing, 2 per instance: 1 and 3 instances, from 0
    assert (unit.instance_counts.min, unit.instance_counts.expected, unit.instance_counts.peak) == (0, 1, 3)


def test_an_async_endpoint_without_autoscaling_keeps_one_instance_at_every_traffic(tmp_path):
    from loadmaster.planner.make import plan_file

    # Given the async model with `scaling: none` and no instances written (nothing would wake it from zero)
    document = yaml.safe_load(EVERY_PATTERN.read_text())
    transcribe = {key: value for key, value in document["models"][2].items() if key != "instances"} | {"scaling": "none"}
    document["models"], document["pools"] = [transcribe], []

    (unit,) = plan_file(written(tmp_path, document)).units_of("async")

    # Then it runs one instance at the floor, at mean and at peak, within 1 to the 3 its peak of 6 requests at 2 each needs
    assert (unit.instance_counts.min, unit.instance_counts.expected, unit.instance_counts.peak) == (1, 1, 1)
    assert (unit.instances.min, unit.instances.max, unit.scaling) == (1, 3, None)


def test_an_async_endpoints_instances_count_towards_the_accounts_instance_quotas(synthesized):
    # Given the dedicated chat and the async transcribe, each up to 3 ml.g5.2xlarge instances
    plan, _, _ = synthesized

    # Then the quota warning counts both endpoints' instances: an async endpoint's are endpoint instances too
    warnings = {warning.location: warning.message for warning in plan.warnings}
    assert warnings["quotas.ml.g5.2xlarge"].startswith("up to 6 ml.g5.2xlarge instances at instances.max (chat 3, transcribe 3)")


def test_the_portfolio_rehearses_create_update_and_delete(tmp_path):
    from loadmaster.rehearsal import rehearse_portfolio

    update = yaml.safe_load(EVERY_PATTERN.read_text())
    update["models"][2]["max_concurrent_invocations_per_instance"] = 4

    report = rehearse_portfolio(EVERY_PATTERN, written(tmp_path, update, "update.yaml"))

    assert report.count(f"at minimum: model transcribe ({ENDPOINT}): 0 of 0..3 ml.g5.2xlarge instances") == 2  # created, then updated
    assert "updated stack every-pattern-hosting: modified model transcribe (endpoint config)" in report, report
    assert report[-2] == "deleted: nothing left behind" and report[-1].startswith("rehearsal passed")


def test_auto_sends_a_gigabyte_ten_minute_model_whose_callers_wait_for_s3_to_an_async_endpoint(tmp_path):
    from loadmaster.planner.make import plan_file

    plan = plan_file(written(tmp_path, auto_model(**BIG_AND_SLOW, callers_wait_for_s3=True)))

    (unit,) = [unit for unit in plan.units if "transcribe" in unit.models]
    assert unit.pattern == "async"
    assert any("inference-component: its 1000 MB payload is above the 6.29 MB a real-time request takes" in reason for reason in unit.reasons), unit.reasons
    # and the verdict says why each other hosting cannot take it, from the simplest to inference components
    verdict = unit.reasons[-1]
    assert verdict.startswith("chosen: async, it is not a batch transform: a transform serves offline scoring (traffic pattern batch), not intermittent traffic; ")
    assert "; dedicated: its 1000 MB payload is above the 6.29 MB a real-time request takes; its 600 s processing is above the 60 s a real-time endpoint waits; " in verdict
    assert verdict.endswith("; inference-component: its 1000 MB payload is above the 6.29 MB a real-time request takes; its 600 s processing is above the 60 s a real-time endpoint waits")


def test_auto_refuses_a_gigabyte_ten_minute_model_whose_callers_cannot_wait_saying_why(tmp_path):
    from loadmaster.planner.make import plan_file

    with pytest.raises(PortfolioError) as refused:
        plan_file(written(tmp_path, auto_model(**BIG_AND_SLOW)))

    (line,) = refused.value.render().splitlines()
    assert "models[0] (transcribe).request: no hosting serves it: " in line
    assert "dedicated: its 1000 MB payload is above the 6.29 MB a real-time request takes; its 600 s processing is above the 60 s a real-time endpoint waits" in line
    assert "async: its callers cannot wait for the result in S3 (request.callers_wait_for_s3 is false)" in line


def test_a_real_time_hosting_written_for_a_gigabyte_request_is_refused_pointing_to_async(tmp_path):
    from loadmaster.spec.load import load_portfolio

    document = yaml.safe_load(EVERY_PATTERN.read_text())
    document["models"][1]["request"] = {**BIG_AND_SLOW, "callers_wait_for_s3": True}

    with pytest.raises(PortfolioError) as refused:
        load_portfolio(written(tmp_path, document))

    assert refused.value.render().splitlines() == [
        f"{tmp_path / 'portfolio.yaml'}: models[1] (chat).request: dedicated cannot serve it: its 1000 MB payload is above the 6.29 MB a real-time request "
        "takes; its 600 s processing is above the 60 s a real-time endpoint waits: use hosting: async (or auto)"
    ]


def test_an_async_model_beyond_the_async_limits_is_refused_with_the_numbers(tmp_path):
    from loadmaster.spec.load import load_portfolio

    document = copy.deepcopy(yaml.safe_load(EVERY_PATTERN.read_text()))
    document["models"][2]["request"] = {"payload_mb": 2000, "processing_s": 600, "callers_wait_for_s3": True}

    with pytest.raises(PortfolioError) as refused:
        load_portfolio(written(tmp_path, document))

    assert refused.value.render().splitlines() == [
        f"{tmp_path / 'portfolio.yaml'}: models[2] (transcribe).request: async cannot serve it: its 2000 MB payload is above the 1000 MB (1 GB) an async request takes"
    ]


def test_a_key_of_another_hosting_on_an_async_model_is_named(tmp_path):
    from loadmaster.spec.load import load_portfolio

    document = yaml.safe_load(EVERY_PATTERN.read_text())
    document["models"][2]["copies"] = {"min": 0, "max": 2}

    with pytest.raises(PortfolioError) as refused:
        load_portfolio(written(tmp_path, document))

    (line,) = refused.value.render().splitlines()
    assert "models[2] (transcribe).copies" in line


def test_a_notification_that_is_neither_a_switch_nor_a_topic_arn_is_refused_saying_what_it_takes(tmp_path):
    from loadmaster.spec.load import load_portfolio

    # Given an async model whose success topic is a number and whose error topic an ARN without its account
    document = yaml.safe_load(EVERY_PATTERN.read_text())
    document["models"][2]["notifications"] = {"success": 5, "error": "arn:aws:sns:us-east-1:12:x"}

    with pytest.raises(PortfolioError) as refused:
        load_portfolio(written(tmp_path, document))

    # Then each is named by its key, without pydantic's names for the union's branches
    takes = "expected true (a topic the stack creates), false or an SNS topic ARN"
    assert refused.value.render().splitlines() == [
        f"{tmp_path / 'portfolio.yaml'}: models[2] (transcribe).notifications.success: {takes}",
        f"{tmp_path / 'portfolio.yaml'}: models[2] (transcribe).notifications.error: {takes}",
    ]
