"""`hosting: multi-container` and `hosting: pipeline` end to end: every-pattern's two models of several containers
plan to an endpoint of their own each, scaled by instances, and rehearse create -> update -> delete; every rule of
their keys is refused with its reason."""

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
def plan(tmp_path_factory):
    """Planned only: the constructs' tests assert their templates, and every-pattern's synthesis (tests/test_async_hosting.py)
    lints them and passes them through both compliance packs with these two models in it."""
    from loadmaster.planner.make import plan_file

    return plan_file(written(tmp_path_factory.mktemp("multi-container-hosting"), portfolio()))


def test_every_pattern_has_a_model_of_each_hosting_of_several_containers():
    hostings = [model["hosting"] for model in yaml.safe_load(EVERY_PATTERN.read_text())["models"]]

    assert all(hosting in hostings for hosting in MINE)


def test_the_hosting_patterns_example_has_both_too():
    from loadmaster.planner.make import plan_file

    plan = plan_file(Path("examples/hosting-patterns.yaml"))

    assert [unit.model for hosting in MINE for unit in plan.units_of(hosting)] == ["tabular", "scoring"]


def test_the_pipeline_unit_keeps_its_containers_in_order(plan):
    (scoring,) = plan.units_of("pipeline")

    assert list(scoring.containers) == ["features", "score", "explain"]
    assert scoring.containers["features"].environment == {"SAGEMAKER_PROGRAM": "features.py"}


def test_the_plan_names_each_endpoints_containers_and_charges_its_instances(plan):
    from loadmaster.summary import render_summary

    (tabular,) = plan.units_of("multi-container")

    assert ("  multi-container tabular -> endpoint every-pattern-tabular: churn, fraud, ltv on ml.c5.large x 1..2 instances, "
            "scales on concurrent-requests-per-model (target 5)") in render_summary(plan).splitlines()
    assert tabular.model_documents()[0]["containers"] == ["churn", "fraud", "ltv"]
    assert [(charge.instance_type.name, charge.counts.expected) for charge in tabular.charges()] == [("ml.c5.large", tabular.instance_counts.expected)]


def test_an_endpoint_of_several_containers_whose_peak_needs_more_than_its_max_says_so(tmp_path):
    from loadmaster.planner.make import plan_file

    # Given both models at a peak of 40 concurrent requests: 8 instances, above tabular's 2 and scoring's 3
    busy = {"traffic": {"pattern": "variable", "mean_concurrency": 5, "peak_concurrency": 40}}
    plan = plan_file(written(tmp_path, portfolio(multi_container=busy, pipeline=busy)))

    # Then each runs its max at peak, and its notes (in the JSON plan too) say it cannot reach its peak
    for hosting, most in (("multi-container", 2), ("pipeline", 3)):
        (unit,) = plan.units_of(hosting)
        assert (unit.instance_counts.peak, unit.instances.max) == (most, most)
        assert unit.model_documents()[0]["notes"] == [f"peak traffic needs 8 but max is {most}: the model cannot reach its peak"]
        assert unit.model_documents()[0]["copies"] == {"min": 1, "expected": 1, "peak": most, "max": most}


def test_units_of_a_unit_class_plans_one_endpoint_per_model_of_its_pattern_on_the_planners_instances(tmp_path):
    from loadmaster.catalog import load_catalog
    from loadmaster.hostings.multi_container import MultiContainerPlan, units_of
    from loadmaster.hostings.pattern import PlanningContext
    from loadmaster.hostings.pipeline import PipelinePlan
    from loadmaster.planner.decide import decide
    from loadmaster.spec.load import load_portfolio

    # Given the planner's decisions for both models at a peak of 40 concurrent requests (8 instances)
    busy = {"traffic": {"pattern": "variable", "mean_concurrency": 5, "peak_concurrency": 40}}
    catalog = load_catalog()
    validated = load_portfolio(written(tmp_path, portfolio(multi_container=busy, pipeline=busy)), catalog)
    context = PlanningContext(validated, decide(validated, catalog), {}, catalog)

    # When a pattern's plan units are made from its unit class (called afresh, as a new pattern of several containers would)
    (tabular,), tabular_problems = units_of(MultiContainerPlan)(context)
    (scoring,), scoring_problems = units_of(PipelinePlan)(context)

    # Then each is its model's endpoint, its containers in order, scaled within its instances, noting the peak it cannot reach
    assert (tabular_problems, scoring_problems) == ([], [])
    assert (tabular.endpoint_name, list(tabular.containers), list(scoring.containers)) == (
        "every-pattern-tabular", ["churn", "fraud", "ltv"], ["features", "score", "explain"])
    for unit, most in ((tabular, 2), (scoring, 3)):
        assert (unit.instances.min, unit.instances.max, unit.scaling.min, unit.scaling.max) == (1, most, 1, most)
        assert unit.notes == (f"peak traffic needs 8 but max is {most}: the model cannot reach its peak",)
        assert unit.reasons == ("written in the portfolio",)


def test_the_baseline_runs_each_container_on_an_endpoint_of_its_own(plan):
    baseline = {endpoint.model: (endpoint.instance_type, endpoint.instances_at_mean) for endpoint in plan.cost.baseline}

    assert {name: baseline[name] for name in baseline if name.startswith("tabular")} == {
        "tabular/churn": ("ml.c5.large", 1), "tabular/fraud": ("ml.c5.large", 1), "tabular/ltv": ("ml.c5.large", 1)}
    assert "scoring" in baseline  # a pipeline is one model: one endpoint


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
