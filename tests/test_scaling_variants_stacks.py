"""Scheduled and step scaling, production and shadow variants, end to end (issue 11 points 5 and 6): the models of
examples/hosting-patterns.yaml that use them plan with every variant's instances costed, synthesize with
`ScheduledActions` on their scalable targets, step policies run by their alarms, `ProductionVariants` by weight and
`ShadowProductionVariants`, and rehearse create -> update -> delete; every rule the portfolio breaks is one line."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from loadmaster.errors import PortfolioError

EXAMPLE = Path("examples/hosting-patterns.yaml")
MODELS = ("assistant", "ranker", "summarizer")


def document() -> dict:
    """The example's pool and the three models of this issue, as a portfolio of their own."""
    example = yaml.safe_load(EXAMPLE.read_text())
    return {**example, "name": "scaling", "models": [model for model in example["models"] if model["name"] in MODELS]}


def written(path: Path, portfolio: dict) -> Path:
    path.write_text(yaml.safe_dump(portfolio, sort_keys=False))
    return path


def model_of(portfolio: dict, name: str) -> dict:
    return next(model for model in portfolio["models"] if model["name"] == name)


@pytest.fixture(scope="module")
def portfolio_file(tmp_path_factory) -> Path:
    return written(tmp_path_factory.mktemp("scaling") / "portfolio.yaml", document())


@pytest.fixture(scope="module")
def plan(portfolio_file):
    from loadmaster.planner.make import plan_file

    return plan_file(portfolio_file)


@pytest.fixture(scope="module")
def template(plan, tmp_path_factory):
    from aws_cdk.assertions import Template

    from loadmaster.synthesis import synthesize

    (stack,) = synthesize(plan, tmp_path_factory.mktemp("scaling-synth") / "cdk.out")
    return Template.from_json(stack.template)


def unit(plan, name):
    return next(unit for unit in plan.units if name in unit.models and unit.pattern == "dedicated")


# The plan


def test_every_variants_instances_are_costed_the_shadows_too(plan):
    ranker, summarizer = unit(plan, "ranker"), unit(plan, "summarizer")

    # ranker: 90 % of its 2 instances at mean and 4 at peak on the current variant, 10 % (rounded up: 1) on the candidate
    assert [(charge.instance_type.name, charge.counts.expected, charge.counts.peak) for charge in ranker.charges()] == [("ml.c5.xlarge", 2, 4), ("ml.c5.large", 1, 1)]
    # summarizer: its own instance and the shadow's one, all day
    assert [(charge.instance_type.name, charge.counts.min, charge.counts.peak) for charge in summarizer.charges()] == [("ml.g5.xlarge", 1, 2), ("ml.g5.xlarge", 1, 1)]


def test_variants_update_blue_green_and_the_plan_says_why(plan):
    ranker = unit(plan, "ranker")

    assert ranker.deployment.strategy == "blue-green"
    assert any("rolling deployments exclude multi-variant endpoints" in note for note in ranker.notes)


def test_the_summary_names_each_variant_the_shadow_and_the_scheduled_and_step_scaling(plan):
    from loadmaster.summary import render_summary

    summary = render_summary(plan)

    assert "    variant current (weight 9)" in summary
    assert "    variant candidate (weight 1): ml.c5.large x 1..2 instances" in summary
    assert "    shadow next (copy of 50% of the requests): ml.g5.xlarge x 1 instances, not autoscaled" in summary
    assert ("steps on ModelLatency >= 2000000, business-hours cron(0 8 ? * MON-FRI *) Europe/Berlin: min 2, "
            "nights cron(0 19 ? * MON-FRI *) Europe/Berlin: min 1") in summary


# The stacks


def test_the_components_target_carries_its_scheduled_actions(template):
    from aws_cdk.assertions import Match

    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {
        "ResourceId": "inference-component/scaling-assistant",
        "ScheduledActions": [
            {"ScheduledActionName": "business-hours", "Schedule": "cron(0 8 ? * MON-FRI *)", "Timezone": "Europe/Berlin",
             "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": Match.absent()}},
            {"ScheduledActionName": "nights", "Schedule": "cron(0 19 ? * MON-FRI *)", "Timezone": "Europe/Berlin",
             "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": Match.absent()}},
        ],
    })


def test_the_step_policy_is_run_by_its_alarm_on_the_components_latency(template):
    policies = template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy", {"Properties": {"PolicyType": "StepScaling", "PolicyName": "inference-component-scaling-assistant-step1"}})
    (policy_id,) = policies

    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "ModelLatency", "Namespace": "AWS/SageMaker", "Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 2, "Threshold": 2_000_000,
        "Dimensions": [{"Name": "InferenceComponentName", "Value": "scaling-assistant"}],
        "AlarmActions": [{"Ref": policy_id}],
    })
    assert policies[policy_id]["Properties"]["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 2_000_000, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 2_000_000, "ScalingAdjustment": 2},
    ]


def test_the_ab_endpoint_has_both_production_variants_by_weight_each_scaled(template):
    from aws_cdk.assertions import Match

    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"ProductionVariants": [
        Match.object_like({"VariantName": "current", "InstanceType": "ml.c5.xlarge", "InitialVariantWeight": 9}),
        Match.object_like({"VariantName": "candidate", "InstanceType": "ml.c5.large", "InitialVariantWeight": 1}),
    ]})
    targets = template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")
    resource_ids = {target["Properties"]["ResourceId"] for target in targets.values()}
    assert {"endpoint/scaling-ranker/variant/current", "endpoint/scaling-ranker/variant/candidate"} <= resource_ids


def test_the_shadow_variant_gets_half_the_requests_and_no_scalable_target(template):
    from aws_cdk.assertions import Match

    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ProductionVariants": [Match.object_like({"VariantName": "AllTraffic", "InitialVariantWeight": 1})],
        "ShadowProductionVariants": [Match.object_like({"VariantName": "next", "InitialInstanceCount": 1, "InitialVariantWeight": 0.5})],
    })
    template.has_resource_properties("AWS::SageMaker::Model", {"PrimaryContainer": Match.object_like({"ModelDataUrl": "s3://models/summarizer-v2/model.tar.gz"})})
    resource_ids = {target["Properties"]["ResourceId"] for target in template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").values()}
    assert "endpoint/scaling-summarizer/variant/next" not in resource_ids


def test_the_portfolio_rehearses_create_update_and_delete(portfolio_file, tmp_path):
    from loadmaster.rehearsal import rehearse_portfolio

    update = document()
    model_of(update, "ranker")["variants"][1]["weight"] = 3
    model_of(update, "assistant")["scaling"]["schedule"][0]["cron"] = "0 7 ? * MON-FRI *"

    report = rehearse_portfolio(portfolio_file, written(tmp_path / "update.yaml", update))

    assert "at peak: model ranker (scaling-ranker): 2 of 1..2 ml.c5.large instances" in report
    assert any(line.startswith("updated stack scaling-hosting") for line in report), report
    assert report[-2] == "deleted: nothing left behind" and report[-1].startswith("rehearsal passed")


# The rules


def problems_of(tmp_path: Path, portfolio: dict) -> list[str]:
    from loadmaster.planner.make import plan_file

    with pytest.raises(PortfolioError) as raised:
        plan_file(written(tmp_path / "portfolio.yaml", portfolio))
    return [line.split(": ", 1)[1] for line in raised.value.render().splitlines()]


def changed(change) -> dict:
    portfolio = document()
    change(model_of(portfolio, "ranker"), model_of(portfolio, "summarizer"), model_of(portfolio, "assistant"))
    return portfolio


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda ranker, summarizer, assistant: ranker["variants"].append({"name": "current", "weight": 1}),
         "models[1] (ranker).variants[2] (current).name: duplicate name, already used by variants[0]"),
        (lambda ranker, summarizer, assistant: ranker.update(variants=[{"name": f"v{index}", "weight": 1} for index in range(11)]),
         "models[1] (ranker).variants: at most 10 production variants on an endpoint, got 11"),
        (lambda ranker, summarizer, assistant: ranker.update(shadow={"name": "next"}),
         "models[1] (ranker).shadow: an endpoint with a shadow variant has exactly one production variant, got 2 variants"),
        (lambda ranker, summarizer, assistant: ranker["variants"][1].update(weight=0),
         "models[1] (ranker).variants[1] (candidate).weight: expected more than 0, found 0"),
        (lambda ranker, summarizer, assistant: ranker["variants"][1].update(instance_type="ml.c5.huge"),
         "models[1] (ranker).variants[1] (candidate).instance_type: unknown instance type 'ml.c5.huge'"),
        (lambda ranker, summarizer, assistant: ranker["variants"][1].update(instances={"min": 0, "max": 2}),
         "models[1] (ranker).variants[1] (candidate).instances.min: a variant keeps at least 1 instance"),
        (lambda ranker, summarizer, assistant: ranker.update(deployment={"strategy": "rolling"}),
         "models[1] (ranker).deployment.strategy: an endpoint with variants or a shadow updates blue-green"),
        (lambda ranker, summarizer, assistant: summarizer["shadow"].update(name="AllTraffic"),
         "models[2] (summarizer).shadow.name: AllTraffic is the name of the model's own variant; name the shadow otherwise"),
        (lambda ranker, summarizer, assistant: summarizer["shadow"].update(sampling_percent=0),
         "models[2] (summarizer).shadow.sampling_percent: expected at least 1, found 0"),
        (lambda ranker, summarizer, assistant: assistant["scaling"]["schedule"][0].update(min=5),
         "models[0] (assistant).scaling.schedule: window 'business-hours': min 5 is outside the model's range 1..3"),
        (lambda ranker, summarizer, assistant: ranker.update(scaling={"metric": "concurrent-requests-per-model", "target": 5,
                                                                      "schedule": [{"name": "peak", "rate": "1 day", "max": 3}]}),
         "models[1] (ranker).scaling.schedule: window 'peak': max 3 is outside the model's range 1..2 of variant candidate"),
    ],
    ids=["duplicate-variant", "eleven-variants", "shadow-beside-two", "weight-zero", "unknown-type", "variant-min-zero", "rolling",
         "shadow-named-alltraffic", "sampling-zero", "window-above-copies", "window-above-a-variant"],
)
def test_a_broken_rule_is_one_line_naming_the_field(tmp_path, change, expected):
    problems = problems_of(tmp_path, changed(change))

    assert any(problem.startswith(expected) for problem in problems), problems
