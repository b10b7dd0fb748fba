"""A portfolio too large for one CloudFormation stack is spread over several, along pool boundaries."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

# CloudFormation's quotas: resources per stack (FACTS.md), and bytes of a template uploaded through S3, as CDK does.
MAX_RESOURCES_PER_STACK = 500
MAX_TEMPLATE_BYTES = 1_000_000


def crowd(plan, pool_index: int, components: int):
    """`plan` with `components` copies of the pool's first component in that pool, each under its own name."""
    pool = plan.pools[pool_index]
    many = tuple(
        dataclasses.replace(pool.components[0], model=f"m{index:03d}", component_name=f"{plan.name}-m{index:03d}") for index in range(components)
    )
    pools = list(plan.pools)
    pools[pool_index] = dataclasses.replace(pool, components=many)
    return plan.with_units_of("inference-component", tuple(pools))


@pytest.fixture(scope="module")
def crowded_assembly(example_plan, tmp_path_factory):
    """Given the example with 80 components on its A10G pool, more than one stack can hold."""
    from stacks import build_app

    return build_app(crowd(example_plan, 0, 80), outdir=str(tmp_path_factory.mktemp("crowded"))).synth()


def test_a_pool_larger_than_a_stack_continues_in_the_next_stack_each_well_under_the_limits(crowded_assembly):
    names = [stack.stack_name for stack in crowded_assembly.stacks]

    assert names == ["codegen-platform-hosting", "codegen-platform-hosting-2"]
    for stack in crowded_assembly.stacks:
        assert len(stack.template["Resources"]) < MAX_RESOURCES_PER_STACK
        assert Path(stack.template_full_path).stat().st_size < MAX_TEMPLATE_BYTES


def test_the_overflowing_pool_keeps_its_endpoint_in_the_first_stack(crowded_assembly):
    first, second = crowded_assembly.stacks

    assert endpoint_id(first, "codegen-platform-a10g-pool") is not None
    assert endpoint_id(second, "codegen-platform-a10g-pool") is None


def test_overflowing_components_name_their_endpoint_and_deploy_after_it(crowded_assembly):
    first, second = crowded_assembly.stacks
    moved = [
        resource["Properties"]["EndpointName"]
        for resource in second.template["Resources"].values()
        if resource["Type"] == "AWS::SageMaker::InferenceComponent" and resource["Properties"]["InferenceComponentName"].startswith("codegen-platform-m")
    ]

    # The endpoint's explicit name: no export, no import, nothing that ties the stacks' lifecycles together.
    assert moved and set(moved) == {"codegen-platform-a10g-pool"}
    assert "Outputs" not in first.template or not any("Export" in output for output in first.template["Outputs"].values())
    # CloudFormation creates a stack after the stacks it depends on and deletes it before them: the components come
    # after their endpoint and go before it, as SageMaker requires.
    assert first.stack_name in {dependency.id for dependency in second.dependencies}


def endpoint_id(stack, endpoint_name: str) -> str | None:
    """The logical id of the endpoint named `endpoint_name` in `stack`, if it is there."""
    return next(
        (
            logical_id
            for logical_id, resource in stack.template["Resources"].items()
            if resource["Type"] == "AWS::SageMaker::Endpoint" and resource["Properties"].get("EndpointName") == endpoint_name
        ),
        None,
    )
