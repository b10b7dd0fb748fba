"""`hosting: multi-container` and `hosting: pipeline` end to end: every-pattern's two models of several containers
plan, synthesize a model with several `Containers` (Direct and Serial) on an endpoint of its own each, scaled by
instances, rehearse create -> update -> delete; every rule of their keys is refused with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from loadmaster.errors import PortfolioError

EVERY_PATTERN = Path("examples/every-pattern.yaml")
MINE = ("multi-container", "pipeline")
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def portfolio(**changes) -> dict:
    """every-pattern with its multi-container and pipeline models only, `changes` made to the model of each hosting."""
    document = yaml.safe_load(EVERY_PATTERN.read_text())
    document["pools"] = []
    document["models"] = [{**model, **changes.get(model["hosting"].replace("-", "_"), {})} for model in document["models"] if model["hosting"] in MINE]
    return document


def written(tmp_path: Path, document: dict, name: str = "portfolio.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def problems(tmp_path: Path, document: dict) -> list[str]:
    from loadmaster.spec.load import load_portfolio

    with pytest.raises(PortfolioError) as refused:
        load_portfolio(written(tmp_path, document))
    return refused.value.render().splitlines()


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    from loadmaster.planner.make import plan_file
    from loadmaster.synthesis import synthesize

    directory = tmp_path_factory.mktemp("multi-container-hosting")
    plan = plan_file(written(directory, portfolio()))
    (stack,) = synthesize(plan, directory / "cdk.out")
    return plan, stack.template


def of_type(template: dict, resource_type: str) -> list[dict]:
    return [resource["Properties"] for resource in template["Resources"].values() if resource["Type"] == resource_type]


def test_every_pattern_has_a_model_of_each_hosting_of_several_containers():
    hostings = [model["hosting"] for model in yaml.safe_load(EVERY_PATTERN.read_text())["models"]]

    assert all(hosting in hostings for hosting in MINE)


def test_the_multi_container_model_is_one_model_of_named_containers_invoked_directly(synthesized):
    _, template = synthesized

    (direct,) = [model for model in of_type(template, "AWS::SageMaker::Model") if model["InferenceExecutionConfig"] == {"Mode": "Direct"}]
    assert [container["ContainerHostname"] for container in direct["Containers"]] == ["churn", "fraud", "ltv"]
    assert "PrimaryContainer" not in direct


def test_the_pipeline_is_one_model_of_its_containers_in_order(synthesized):
    _, template = synthesized

    (serial,) = [model for model in of_type(template, "AWS::SageMaker::Model") if model["InferenceExecutionConfig"] == {"Mode": "Serial"}]
    assert [container["ContainerHostname"] for container in serial["Containers"]] == ["features", "score", "explain"]


def test_each_endpoint_scales_its_instances(synthesized):
    _, template = synthesized

    targets = {target["ResourceId"]: (target["MinCapacity"], target["MaxCapacity"]) for target in of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget")}
    assert targets == {"endpoint/every-pattern-tabular/variant/AllTraffic": (1, 2), "endpoint/every-pattern-scoring/variant/AllTraffic": (1, 3)}


def test_the_plan_names_each_endpoints_containers_and_charges_its_instances(synthesized):
    from loadmaster.summary import render_summary

    plan, _ = synthesized
    (tabular,) = plan.units_of("multi-container")

    assert ("  multi-container tabular -> endpoint every-pattern-tabular: churn, fraud, ltv on ml.c5.large x 1..2 instances, "
            "scales on concurrent-requests-per-model (target 5)") in render_summary(plan).splitlines()
    assert tabular.model_documents()[0]["containers"] == ["churn", "fraud", "ltv"]
    assert [(charge.instance_type.name, charge.counts.expected) for charge in tabular.charges()] == [("ml.c5.large", tabular.instance_counts.expected)]


def test_both_rehearse_create_update_and_delete(tmp_path):
    from loadmaster.rehearsal import rehearse_portfolio

    update = portfolio(pipeline={"containers": [*portfolio()["models"][1]["containers"][:2], {"name": "explain", "image": SKLEARN}]})

    report = rehearse_portfolio(written(tmp_path, portfolio()), written(tmp_path, update, "update.yaml"))

    assert "at minimum: model tabular (every-pattern-tabular): 1 of 1..2 ml.c5.large instances" in report
    assert "updated stack every-pattern-hosting: modified model scoring (model)" in report, report
    assert report[-2] == "deleted: nothing left behind" and report[-1].startswith("rehearsal passed")


# The rules, each refused with its reason


def test_a_multi_container_endpoint_on_a_gpu_instance_is_refused_with_the_reason(tmp_path):
    lines = problems(tmp_path, portfolio(multi_container={"instance_type": "ml.g5.xlarge"}))

    assert f"{tmp_path / 'portfolio.yaml'}: models[0] (tabular).instance_type: ml.g5.xlarge has 1 GPU: " \
           "multi-container endpoints with direct invocation run on CPU instances only" in lines
    # and its devices, cpu unless written, say the same
    assert f"{tmp_path / 'portfolio.yaml'}: models[0] (tabular).devices: ['cpu'] does not include gpu, the hardware of ml.g5.xlarge" in lines


def test_a_multi_container_model_cannot_ask_for_gpus(tmp_path):
    (line,) = problems(tmp_path, portfolio(multi_container={"devices": ["gpu"]}))

    assert "models[0] (tabular).devices" in line


def test_more_than_15_containers_are_refused_with_the_limit(tmp_path):
    sixteen = [{"name": f"model{index}", "image": SKLEARN} for index in range(16)]

    (line,) = problems(tmp_path, portfolio(multi_container={"containers": sixteen}))

    assert "models[0] (tabular).containers" in line and "at most 15" in line


@pytest.mark.parametrize("hosting", ["multi_container", "pipeline"])
def test_a_single_container_is_refused(tmp_path, hosting):
    (line,) = problems(tmp_path, portfolio(**{hosting: {"containers": [{"name": "only", "image": SKLEARN}]}}))

    assert ".containers" in line and "at least 2" in line


def test_every_problem_of_the_containers_is_named_at_once(tmp_path):
    containers = [{"name": "features", "image": SKLEARN.replace("us-east-1", "eu-west-1")}, {"name": "features", "image": SKLEARN}]

    lines = problems(tmp_path, portfolio(pipeline={"containers": containers}))

    assert [line.split(": ", 2)[1] for line in lines] == ["models[1] (scoring).containers[0] (features).image", "models[1] (scoring).containers[1] (features).name"]


def test_a_model_of_several_containers_has_no_image_of_its_own(tmp_path):
    (line,) = problems(tmp_path, portfolio(pipeline={"image": SKLEARN}))

    assert "models[1] (scoring).image" in line
