"""Shared fixtures: the built-in example, planned and synthesized once per test session."""

from __future__ import annotations

import os

import pytest

from loadmaster.synthesis import DEFAULT_PORTFOLIO, prepare_cdk_runtime

# Before anything imports aws_cdk: the venv's Node for jsii, and our top-level packages importable.
prepare_cdk_runtime()

# The CDK CLI collects telemetry by default, handing each command's record to a child process through a file in the
# temp folder (aws-cdk CLI, lib/cli/telemetry): the tests run the CLI offline, and check that an interrupted run leaves
# nothing in its temp folder. CDK_DISABLE_CLI_TELEMETRY is the CLI's own switch; the subprocesses inherit it.
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

EXAMPLE = DEFAULT_PORTFOLIO


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files with slow tests first, the longest (`pytest.mark.slow(minutes=N)`, a rough figure) before the others.
    `make test` hands whole files to its workers in this order (`--dist loadfile --no-loadscope-reorder`: a module's
    expensive fixture, a synth or an install, is built once, not on each worker), so the longest start at once instead
    of being the tail one worker runs alone."""
    minutes: dict[object, float] = {}
    for item in items:
        if marker := item.get_closest_marker("slow"):
            minutes[item.path] = max(minutes.get(item.path, 0), marker.kwargs.get("minutes", 1))
    items.sort(key=lambda item: -minutes.get(item.path, 0))


@pytest.fixture(scope="session")
def example_plan():
    from loadmaster.planner.make import plan_file

    return plan_file(EXAMPLE)


@pytest.fixture(scope="session")
def example_stacks(example_plan, tmp_path_factory):
    """The example's synthesized stacks (`SynthesizedStack`: name, template_file, template)."""
    from loadmaster.synthesis import synthesize

    return synthesize(example_plan, tmp_path_factory.mktemp("example") / "cdk.out")


@pytest.fixture(scope="session")
def example_template(example_stacks):
    """The example's hosting stack as a CDK assertions `Template`."""
    from aws_cdk.assertions import Template

    (stack,) = example_stacks
    return Template.from_json(stack.template)


@pytest.fixture
def stack():
    """An empty stack in a concrete environment, for construct tests."""
    import aws_cdk as cdk

    return cdk.Stack(cdk.App(), "TestStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
