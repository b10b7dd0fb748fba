"""Models served on CPU synthesize and rehearse like any other: a CPU pool's components reserve no accelerator, a
dedicated CPU endpoint runs on the CPU type the planner chose, and copies are placed by CPU cores and memory."""

from __future__ import annotations

import contextlib
import io

import pytest
import yaml
from aws_cdk.assertions import Match, Template

from loadmaster.cli import main
from loadmaster.planner.make import plan_file
from loadmaster.synthesis import synthesize

pytestmark = pytest.mark.slow

UNTAGGED = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bert-classifier:latest"
PORTFOLIO = {
    "version": 1,
    "name": "cpu",
    "region": "us-east-1",
    # ml.c5 is reported not to take inference components (unverified): the planner keeps a pool written on it
    "pools": [{"name": "classifiers", "instance_type": "ml.c5.xlarge", "instances": {"min": 1, "max": 2}}],
    "models": [
        {"name": "sentiment", "image": UNTAGGED, "hosting": "auto", "pool": "classifiers", "size_gb": 0.44,
         "traffic": {"pattern": "variable", "mean_concurrency": 4, "peak_concurrency": 10}},
        {"name": "intent", "image": UNTAGGED, "hosting": "auto", "pool": "classifiers", "size_gb": 0.25,
         "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 2}},
        {"name": "bert", "image": UNTAGGED, "hosting": "auto", "size_gb": 0.44,
         "traffic": {"pattern": "steady", "mean_concurrency": 2, "peak_concurrency": 4}},
    ],
}


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    path = tmp_path_factory.mktemp("cpu") / "cpu.yaml"
    path.write_text(yaml.safe_dump(PORTFOLIO, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def template(portfolio, tmp_path_factory):
    (stack,) = synthesize(plan_file(portfolio), tmp_path_factory.mktemp("cpu") / "cdk.out")
    return Template.from_json(stack.template)


def test_a_cpu_component_reserves_cpu_and_memory_and_no_accelerator(template):
    components = template.find_resources("AWS::SageMaker::InferenceComponent", {"Properties": {"InferenceComponentName": "cpu-sentiment"}})
    (component,) = components.values()
    requirements = component["Properties"]["Specification"]["ComputeResourceRequirements"]
    assert requirements == {"NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 504}


def test_the_cpu_pool_and_the_dedicated_cpu_endpoint_run_on_cpu_types(template):
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ProductionVariants": [Match.object_like({"InstanceType": "ml.c5.xlarge", "ManagedInstanceScaling": Match.object_like({"MaxInstanceCount": 2})})]})
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ProductionVariants": [Match.object_like({"InstanceType": "ml.c5.large", "ModelName": Match.any_value()})]})


def test_a_cpu_portfolio_rehearses_with_copies_placed_by_cpu_and_memory(portfolio):
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["rehearse", str(portfolio)])
    report = stdout.getvalue()
    assert code == 0, report
    # Then one copy of each at creation, 1 CPU core each: both on one instance of 4 vCPUs
    assert "cpu-classifiers/AllTraffic i-0001 (ml.c5.xlarge): cpu-intent x1, cpu-sentiment x1" in report
    assert report.rstrip().splitlines()[-1].startswith("rehearsal passed")
