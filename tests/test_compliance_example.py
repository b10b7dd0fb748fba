"""What loadmaster synthesizes passes cdk-nag's AwsSolutions pack and loadmaster's own, every exception
acknowledged in code with its reason, and an exception nobody acknowledged stops the synthesis."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

import constructs.model_execution_role as model_execution_role
import stacks.builders.inference_component as inference_component_builder
from loadmaster.catalog import load_catalog
from loadmaster.cli import EXIT_NOT_COMPLIANT, main
from loadmaster.synthesis import DEFAULT_PORTFOLIO
from policies.acknowledgements import acknowledge
from policies.loadmaster_pack import rule_id
from policies.rules.component_has_scaling_policy import COMPONENT_HAS_SCALING_POLICY
from policies.rules.dedicated_endpoint_has_scaling_policy import DEDICATED_ENDPOINT_HAS_SCALING_POLICY
from stacks import build_app

WILDCARD_FOR_ACTIONS_WITHOUT_RESOURCES = "AwsSolutions-IAM5[Resource::*]"


def validation_report(outdir: Path) -> dict:
    return json.loads((outdir / "validation-report.json").read_text())


def unacknowledged(report: dict) -> set[str]:
    return {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]}


def acknowledged(report: dict) -> dict[str, set[str]]:
    """Rule id -> the reasons it was acknowledged with."""
    reasons: dict[str, set[str]] = {}
    for plugin in report["pluginReports"]:
        for violation in plugin.get("suppressedViolations", []):
            reasons.setdefault(violation["ruleName"], set()).add(violation["reason"])
    return reasons


def printed_report(failure, capfd) -> str:
    """The findings as a user sees them: CDK puts them in the error's message, or on stderr before it."""
    return str(failure.value) + capfd.readouterr().err


def acknowledging_all_but(withheld: str):
    """`acknowledge`, except for the finding `withheld`: as if its acknowledgement had been deleted from the code."""

    def acknowledge_unless_withheld(scope, finding: str, reason: str) -> None:
        if finding != withheld:
            acknowledge(scope, finding, reason)

    return acknowledge_unless_withheld


def without_autoscaling(plan):
    """The example cut to one pool with one component, both it and the dedicated endpoint with `scaling: none`."""
    pool = plan.pools[0]
    unscaled_pool = dataclasses.replace(pool, components=(dataclasses.replace(pool.components[0], scaling=None),))
    return dataclasses.replace(plan, units=(unscaled_pool,) + tuple(dataclasses.replace(model, scaling=None) for model in plan.dedicated))


def on_instances_without_local_nvme(plan):
    """The example's first pool on Inferentia and its dedicated model on CPU: endpoint configs that take a KMS key."""
    catalog = load_catalog()
    return dataclasses.replace(
        plan,
        units=(dataclasses.replace(plan.pools[0], instance_type=catalog["ml.inf2.48xlarge"]),)
        + tuple(dataclasses.replace(model, instance_type=catalog["ml.c5.xlarge"]) for model in plan.dedicated),
    )


def test_the_example_synthesizes_without_an_unacknowledged_finding(example_stacks):
    report = validation_report(example_stacks[0].template_file.parent)

    assert unacknowledged(report) == set()


def test_the_examples_acknowledged_findings_are_iam_wildcards_each_with_its_reason(example_stacks):
    report = validation_report(example_stacks[0].template_file.parent)

    reasons = acknowledged(report)

    assert WILDCARD_FOR_ACTIONS_WITHOUT_RESOURCES in reasons
    assert all(finding.startswith("AwsSolutions-IAM5[Resource::") for finding in reasons)
    assert all(len(reason) > 40 for finding_reasons in reasons.values() for reason in finding_reasons)


def test_endpoints_on_instances_without_local_nvme_pass_with_the_stacks_customer_managed_key(example_plan, tmp_path):
    build_app(on_instances_without_local_nvme(example_plan), outdir=str(tmp_path)).synth()

    assert unacknowledged(validation_report(tmp_path)) == set()


def test_withholding_one_acknowledgement_fails_loadmaster_synth_naming_its_rule_and_only_it(tmp_path, monkeypatch, capfd):
    out = tmp_path / "cdk.out"  # a previous cloud assembly
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"artifacts": {"previous": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "previous.template.json"}}}}))
    (out / "previous.template.json").write_text("{}")
    monkeypatch.setattr(model_execution_role, "acknowledge", acknowledging_all_but(WILDCARD_FOR_ACTIONS_WITHOUT_RESOURCES))

    exit_code = main(["synth", str(DEFAULT_PORTFOLIO), "--out", str(out)])

    printed = capfd.readouterr().err
    assert exit_code == EXIT_NOT_COMPLIANT
    assert set(re.findall(r"Acknowledge with '(.+)'", printed)) == {f"AwsSolutions::{WILDCARD_FOR_ACTIONS_WITHOUT_RESOURCES}"}
    assert "Traceback" not in printed
    assert sorted(path.name for path in out.iterdir()) == ["manifest.json", "previous.template.json"]


def test_models_with_scaling_none_are_acknowledged_as_fixed_capacity(example_plan, tmp_path):
    build_app(without_autoscaling(example_plan), outdir=str(tmp_path)).synth()

    reasons = acknowledged(validation_report(tmp_path))

    for rule in (COMPONENT_HAS_SCALING_POLICY, DEDICATED_ENDPOINT_HAS_SCALING_POLICY):
        assert any("scaling: none" in reason for reason in reasons[rule_id(rule)])


def test_withholding_the_scaling_none_acknowledgement_fails_the_synthesis_naming_loadmasters_rule(example_plan, tmp_path, monkeypatch, capfd):
    withheld = rule_id(COMPONENT_HAS_SCALING_POLICY)
    monkeypatch.setattr(inference_component_builder, "acknowledge", acknowledging_all_but(withheld))

    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        build_app(without_autoscaling(example_plan), outdir=str(tmp_path)).synth()

    assert unacknowledged(validation_report(tmp_path)) == {"Loadmaster-ComponentHasScalingPolicy"}
    assert "Acknowledge with 'Loadmaster::Loadmaster-ComponentHasScalingPolicy'" in printed_report(failure, capfd)
