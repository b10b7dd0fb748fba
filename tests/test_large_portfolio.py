"""A generated 300-model portfolio: several stacks, each well under CloudFormation's quotas, that cfn-lint accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from portfolio_factory import large_portfolio

pytestmark = pytest.mark.slow(minutes=3)

MAX_RESOURCES_PER_STACK = 500  # CloudFormation (FACTS.md)
MAX_TEMPLATE_BYTES = 1_000_000  # CloudFormation, for a template uploaded through S3 as CDK does
# One pool larger than a stack (110 components), three that fit, and 60 dedicated endpoints.
POOL_SIZES = (110, 60, 40, 30)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Given 300 models generated from a fixed seed, planned and synthesized."""
    from loadmaster.catalog import load_catalog
    from loadmaster.planner.make import make_plan
    from loadmaster.spec.load import validate_portfolio
    from loadmaster.synthesis import synthesize

    catalog = load_catalog()
    portfolio = validate_portfolio(large_portfolio(300, pool_sizes=POOL_SIZES, seed=7), "fleet.yaml", catalog)
    return synthesize(make_plan(portfolio, "fleet.yaml", catalog), tmp_path_factory.mktemp("fleet") / "cdk.out")


def test_300_models_synthesize_into_several_stacks_each_well_under_the_quotas(fleet):
    sizes = {stack.name: len(stack.template["Resources"]) for stack in fleet}

    assert len(fleet) >= 4, sizes
    assert sum(sizes.values()) > 3 * MAX_RESOURCES_PER_STACK, sizes
    assert all(count < MAX_RESOURCES_PER_STACK for count in sizes.values()), sizes
    assert all(stack.template_file.stat().st_size < MAX_TEMPLATE_BYTES for stack in fleet)


def test_every_model_is_deployed_exactly_once_across_the_stacks(fleet):
    resources = [resource for stack in fleet for resource in stack.template["Resources"].values()]
    components = Counter(r["Properties"]["InferenceComponentName"] for r in resources if r["Type"] == "AWS::SageMaker::InferenceComponent")
    endpoints = Counter(r["Properties"]["EndpointName"] for r in resources if r["Type"] == "AWS::SageMaker::Endpoint")

    assert len(components) == sum(POOL_SIZES) and set(components.values()) == {1}
    assert len(endpoints) == len(POOL_SIZES) + 300 - sum(POOL_SIZES) and set(endpoints.values()) == {1}


def test_the_stacks_need_no_cross_stack_reference(fleet):
    templates = [json.dumps(stack.template) for stack in fleet]

    assert not any("Export" in output for stack in fleet for output in stack.template.get("Outputs", {}).values())
    assert not any("Fn::ImportValue" in text or "Fn::GetStackOutput" in text for text in templates)


def test_cfn_lint_reports_nothing_on_any_of_the_templates(fleet):
    cfn_lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run([str(cfn_lint), "--", *(str(stack.template_file) for stack in fleet)], capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]


def test_the_stacks_deploy_and_delete_cleanly_in_a_rehearsal(fleet):
    from loadmaster.rehearsal import RehearsalFailed, Stack, rehearse

    try:
        report = rehearse([Stack(stack.name, stack.template) for stack in fleet], None)
    except RehearsalFailed as failure:
        pytest.fail(f"{failure.check}\n" + "\n".join(failure.report[-10:]))

    assert report[-1].startswith("rehearsal passed")
