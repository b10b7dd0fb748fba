"""examples/hosting-patterns.yaml, every hosting pattern of the project once: it plans, synthesizes cfn-lint clean
through both compliance packs, and rehearses create -> update -> delete in loadmaster.testing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from loadmaster.hostings.registry import PATTERNS

HOSTING_PATTERNS = Path("examples/hosting-patterns.yaml")


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """The example planned and synthesized once (the synthesis fails on any unacknowledged compliance finding):
    (plan, stacks, cloud assembly folder)."""
    from loadmaster.planner.make import plan_file
    from loadmaster.synthesis import synthesize

    plan = plan_file(HOSTING_PATTERNS)
    outdir = tmp_path_factory.mktemp("hosting-patterns") / "cdk.out"
    return plan, synthesize(plan, outdir), outdir


def test_the_example_has_a_unit_of_every_registered_pattern(synthesized):
    plan, _, _ = synthesized

    assert [name for name in PATTERNS if not plan.units_of(name)] == []


def test_the_example_passes_both_compliance_packs_with_every_finding_acknowledged(synthesized):
    _, _, outdir = synthesized
    report = json.loads((outdir / "validation-report.json").read_text())

    assert [violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]] == []


def test_cfn_lint_reports_nothing_on_the_examples_templates(synthesized):
    _, stacks, _ = synthesized
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run([str(cfn_lint), "--", *(str(stack.template_file) for stack in stacks)], capture_output=True, text=True, timeout=300)

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_the_pipelines_batch_transform_runs_a_serial_model_of_its_containers_in_order(synthesized):
    from aws_cdk.assertions import Match, Template

    _, stacks, _ = synthesized
    (template,) = [Template.from_json(stack.template) for stack in stacks if "BatchscoringnightlyPipeline" in json.dumps(stack.template)]

    (model_id,) = template.find_resources("AWS::SageMaker::Model", {"Properties": {
        "Containers": [Match.object_like({"ContainerHostname": "features", "ModelDataUrl": "s3://models/scoring/features.tar.gz"}),
                       Match.object_like({"ContainerHostname": "score", "ModelDataUrl": "s3://models/scoring/model.tar.gz"})],
        "InferenceExecutionConfig": {"Mode": "Serial"},
    }})
    machines = [machine for machine in template.find_resources("AWS::StepFunctions::StateMachine").values()
                if {"Fn::GetAtt": [model_id, "ModelName"]} in machine["Properties"]["DefinitionString"]["Fn::Join"][1]]
    (definition,) = [json.dumps(machine["Properties"]["DefinitionString"]) for machine in machines]
    assert ":states:::sagemaker:createTransformJob.sync" in definition


def test_the_example_rehearses_create_update_and_delete(tmp_path):
    from loadmaster.rehearsal import rehearse_portfolio

    update = yaml.safe_load(HOSTING_PATTERNS.read_text())
    shops = next(model for model in update["models"] if model["hosting"] == "multi-model")
    shops["instances"]["max"] += 1
    changed = tmp_path / "update.yaml"
    changed.write_text(yaml.safe_dump(update, sort_keys=False))

    report = rehearse_portfolio(HOSTING_PATTERNS, changed)

    assert report.count("multi-model endpoint model shops (hosting-patterns-shops): serves the models under s3://models/shops/ by their path (TargetModel)") == 2
    pipeline_runs = [line for line in report if line.startswith("batch transform Batchscoringnightly") and " of serial pipeline features > score on 1 x ml.m5.xlarge, Completed" in line]
    assert len(pipeline_runs) == 2, report  # after the create and after the update
    assert report[-2] == "deleted: nothing left behind" and report[-1].startswith("rehearsal passed"), report[-3:]
