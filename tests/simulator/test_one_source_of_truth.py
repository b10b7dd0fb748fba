"""The simulator reads the very scaling objects the stacks render (issue 12 point 2): lowering a model's target in
the portfolio gives it more copies in the simulation and a different template."""

from __future__ import annotations

import aws_cdk as cdk
import numpy as np
import pytest
from aws_cdk.assertions import Match, Template

from loadmaster.planner.make import plan_file
from loadmaster.simulator import Demand, Parameters, simulate
from loadmaster.synthesis import DEFAULT_PORTFOLIO
from stacks import add_stacks

WRITTEN = "scaling: {metric: concurrent-requests-per-copy, target: 4}\n    size_gb: 14"  # flowgpt's line in the example
LOWERED = "scaling: {metric: concurrent-requests-per-copy, target: 3}\n    size_gb: 14"


@pytest.fixture(scope="module")
def lowered_plan(tmp_path_factory):
    text = DEFAULT_PORTFOLIO.read_text()
    assert text.count(WRITTEN) == 1
    path = tmp_path_factory.mktemp("lowered") / "codegen-platform.yaml"
    path.write_text(text.replace(WRITTEN, LOWERED))
    return plan_file(path)


def flowgpt_copies(plan) -> np.ndarray:
    steps = 60 * 60 // 10  # an hour of flowgpt at 12 concurrent requests
    result = simulate(plan, Demand({"flowgpt": np.full(steps, 12.0)}), Parameters())
    return result.units["pool:a10g-pool"].copies["flowgpt"]


def policies_at(template: Template, target: float) -> dict:
    return template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy", {"Properties": {
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": Match.object_like({"TargetValue": target})}})


def test_lowering_a_target_gives_more_copies_in_the_simulation_and_a_different_template(example_plan, example_template, lowered_plan):
    # Given the example, and the example with flowgpt's target lowered from 4 to 3 concurrent requests per copy
    # When both are simulated under the same load and the lowered one is rendered
    (stack,) = add_stacks(cdk.App(), lowered_plan)
    lowered_template = Template.from_stack(stack)

    # Then the simulation keeps more copies (12 / 3 = 4 against 12 / 4 = 3) and the template tracks 3, not 4
    assert flowgpt_copies(example_plan)[-1] == 3
    assert flowgpt_copies(lowered_plan)[-1] == 4
    assert len(policies_at(example_template, 3)) == 0
    assert len(policies_at(lowered_template, 3)) == 1
    assert len(policies_at(lowered_template, 4)) == len(policies_at(example_template, 4)) - 1
