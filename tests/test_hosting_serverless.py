"""hosting: serverless: what the portfolio accepts and refuses with SageMaker's reasons, what the plan charges, what
`hosting: auto` chooses, and a serverless deployment rehearsed from create through update to delete."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from loadmaster.catalog import load_catalog
from loadmaster.errors import PortfolioError
from loadmaster.spec.load import load_portfolio

CPU_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
GPU_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
WARM = {"name": "ranker", "image": CPU_IMAGE, "hosting": "serverless",
        "serverless": {"memory_mb": 4096, "max_concurrency": 20, "provisioned_concurrency": {"min": 2, "max": 8}},
        "traffic": {"pattern": "variable", "mean_concurrency": 3, "peak_concurrency": 12}}
ON_DEMAND = {"name": "tagger", "image": CPU_IMAGE, "hosting": "serverless", "size_gb": 0.5,
             "traffic": {"pattern": "intermittent", "mean_concurrency": 0.2, "peak_concurrency": 4}}


def portfolio_file(tmp_path: Path, *models: dict, name: str = "serverless") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "name": "team", "region": "us-east-1", "models": list(models)}))
    return path


def problems_of(tmp_path: Path, model: dict) -> dict[str, str]:
    with pytest.raises(PortfolioError) as raised:
        load_portfolio(portfolio_file(tmp_path, model), load_catalog())
    return {problem.location: problem.message for problem in raised.value.problems}


@pytest.mark.parametrize(
    "change, location, reason",
    [
        ({"devices": ["gpu"]}, "models[0] (tagger).devices", "cannot be serverless: it needs 1 accelerator(s): serverless endpoints run on CPU only"),
        ({"size_gb": 5}, "models[0] (tagger).size_gb", "cannot be serverless: it needs 7680 MB of memory: serverless endpoints have at most 6144 MB"),
        ({"serverless": {"memory_mb": 1536}}, "models[0] (tagger).serverless.memory_mb", "multiple of 1024"),
        ({"serverless": {"memory_mb": 8192}}, "models[0] (tagger).serverless.memory_mb", "expected at most 6144, found 8192"),
        ({"serverless": {"max_concurrency": 5, "provisioned_concurrency": {"min": 1, "max": 6}}}, "models[0] (tagger).serverless.provisioned_concurrency.max",
         "6 is above max_concurrency (5)"),
        ({"scaling": {"metric": "provisioned-concurrency-utilization", "target": 0.7}}, "models[0] (tagger).scaling", "set serverless.provisioned_concurrency"),
        ({"serverless": {"max_concurrency": 5, "provisioned_concurrency": {"min": 0, "max": 2}}}, "models[0] (tagger).serverless.provisioned_concurrency.min",
         "at least 1: an endpoint without provisioned concurrency leaves it out"),
        ({"deployment": {"strategy": "rolling"}}, "models[0] (tagger).deployment.strategy", "blue-green updates only"),
        ({"instance_type": "ml.c5.large"}, "models[0] (tagger).instance_type", "does not apply to hosting: serverless"),
        ({"traffic": {**ON_DEMAND["traffic"], "request_kb": 5000}}, "models[0] (tagger).traffic.request_kb",
         "cannot be serverless: its requests carry 4.76837 MB: serverless endpoints take payloads up to 4 MB"),
    ],
)
def test_a_model_that_cannot_be_serverless_is_refused_with_the_reason(tmp_path, change, location, reason):
    problems = problems_of(tmp_path, {**ON_DEMAND, **change})

    assert location in problems and reason in problems[location], problems


def test_a_rolling_deployment_is_refused_with_sagemakers_reason_alone(tmp_path):
    problems = problems_of(tmp_path, {**ON_DEMAND, "deployment": {"strategy": "rolling"}})

    assert problems == {"models[0] (tagger).deployment.strategy":
                        "serverless endpoints take blue-green updates only: SageMaker excludes them from rolling deployments"}


def test_the_serverless_key_on_another_hosting_is_refused(tmp_path):
    problems = problems_of(tmp_path, {**ON_DEMAND, "hosting": "dedicated", "instance_type": "ml.c5.large", "serverless": {"memory_mb": 2048}})

    assert problems["models[0] (tagger).serverless"] == "does not apply to hosting: dedicated; it is a key of hosting: serverless"


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    from loadmaster.planner.make import plan_file

    return plan_file(portfolio_file(tmp_path_factory.mktemp("plan"), WARM, ON_DEMAND))


def test_the_plan_charges_serverless_endpoints_by_use_at_mean_and_at_peak(plan):
    ranker, tagger = plan.units_of("serverless")

    # 4 GB: 2 provisioned (idle or not) with 2 of the 3 mean requests served warm, 1 spilling over to on demand
    gb_s = 4 * (2 * 0.000005 + 2 * 0.0000200 * 0.0000097222 / 0.0000166667 + 1 * 0.0000200)
    assert ranker.hourly_at_mean == pytest.approx(gb_s * 3600)
    assert (tagger.memory_mb, tagger.max_concurrency, tagger.provisioned_concurrency) == (1024, 5, None)  # 0.5 GB x 1.5 fits 1 GB; peak 4 x 1.25
    assert tagger.hourly_at_mean == pytest.approx(1 * 0.2 * 0.0000200 * 3600)
    assert plan.cost.hourly_at_mean == pytest.approx(ranker.hourly_at_mean + tagger.hourly_at_mean)
    assert plan.bill.plan.part("serverless compute").hourly_at_peak == pytest.approx(ranker.hourly_at_peak + tagger.hourly_at_peak)


def test_without_a_written_max_concurrency_it_is_the_peak_with_headroom_else_the_sdks_default(tmp_path):
    from loadmaster.planner.make import plan_file

    # Given a model with a peak of 12 concurrent requests and one stating no traffic, neither writing serverless:
    busy = {**ON_DEMAND, "name": "busy", "traffic": {"pattern": "intermittent", "mean_concurrency": 1, "peak_concurrency": 12}}
    quiet = {key: value for key, value in ON_DEMAND.items() if key not in ("traffic", "size_gb")} | {"name": "quiet"}

    busy_unit, quiet_unit = plan_file(portfolio_file(tmp_path, busy, quiet)).units_of("serverless")

    # Then the busy one serves 12 x 1.25 = 15 at once, the quiet one the SageMaker Python SDK's 5 with its 2048 MB
    assert (busy_unit.max_concurrency, quiet_unit.max_concurrency, quiet_unit.memory_mb) == (15, 5, 2048)
    assert "memory 2048 MB chosen by the planner, the SageMaker Python SDK's default" in quiet_unit.notes


def test_a_model_without_traffic_costs_its_floor_at_mean_and_its_max_concurrency_busy_at_peak_never_nothing(tmp_path):
    from loadmaster.planner.make import plan_file

    # Given a serverless model of 2048 MB and max concurrency 10 that states no traffic
    quiet = {"name": "quiet", "image": CPU_IMAGE, "hosting": "serverless", "serverless": {"memory_mb": 2048, "max_concurrency": 10}}
    plan = plan_file(portfolio_file(tmp_path, quiet))
    (unit,) = plan.units_of("serverless")
    # Then at mean it is at its floor (no provisioned concurrency: nothing), at peak its ten requests at once all hour
    assert unit.hourly_at_mean == 0
    assert unit.hourly_at_peak == pytest.approx(2 * 10 * 0.0000200 * 3600)
    assert plan.bill.plan.part("serverless compute").hourly_at_peak == pytest.approx(unit.hourly_at_peak)
    assert "no traffic stated: counted at no requests at mean and at its max_concurrency (10) busy all the time at peak" in unit.notes


def test_the_json_plan_carries_serverless_costs_to_four_decimals_as_every_cost(plan):
    from loadmaster.planner.render import plan_document

    # Given the plan's serverless models, whose costs per hour have more digits than that
    entries = {entry["name"]: entry for entry in plan_document(plan)["models"]}
    for unit in plan.units_of("serverless"):
        # Then each is written as the plan's other costs are
        assert (entries[unit.model]["hourly_at_mean"], entries[unit.model]["hourly_at_peak"]) == (round(unit.hourly_at_mean, 4), round(unit.hourly_at_peak, 4))
    assert any(round(unit.hourly_at_peak, 4) != round(unit.hourly_at_peak, 5) for unit in plan.units_of("serverless"))


def test_provisioned_concurrency_scales_on_its_utilization_between_its_bounds(plan):
    ranker, tagger = plan.units_of("serverless")

    (tracking,) = ranker.scaling.target_tracking
    assert (ranker.scaling.dimension.value, ranker.scaling.min, ranker.scaling.max) == ("sagemaker:variant:DesiredProvisionedConcurrency", 2, 8)
    assert (tracking.metric.predefined_metric_type, tracking.target) == ("SageMakerVariantProvisionedConcurrencyUtilization", 0.7)
    assert tagger.scaling is None


def test_a_small_intermittent_cpu_model_that_tolerates_cold_starts_goes_serverless_with_every_candidates_cost(tmp_path):
    from loadmaster.planner.make import plan_file

    auto = {**ON_DEMAND, "hosting": "auto", "devices": ["cpu"]}
    plan = plan_file(portfolio_file(tmp_path, auto))

    (unit,) = plan.units_of("serverless")
    cost, verdict = unit.reasons[0], unit.reasons[-1]
    assert cost.startswith("cost: ") and "serverless at 1024 MB" in cost and "alone, a copy takes a whole" in cost
    assert verdict.startswith("chosen: serverless, intermittent traffic costs least billed by the second of inference")


def test_a_model_that_states_no_traffic_is_told_its_traffic_costs_least_serverless_without_naming_a_pattern(tmp_path):
    from loadmaster.planner.make import plan_file

    # Given a small CPU auto model with no traffic stated
    auto = {key: value for key, value in ON_DEMAND.items() if key != "traffic"} | {"hosting": "auto", "devices": ["cpu"]}
    plan = plan_file(portfolio_file(tmp_path, auto))

    # Then it goes serverless, and the verdict invents no traffic pattern for it
    (unit,) = plan.units_of("serverless")
    assert unit.reasons[-1] == "chosen: serverless, its traffic costs least billed by the second of inference, and the model tolerates a cold start"


def test_a_gpu_model_is_not_offered_serverless_and_the_reason_says_why(tmp_path):
    from loadmaster.planner.make import plan_file

    auto = {"name": "coder", "image": GPU_IMAGE, "hosting": "auto", "size_gb": 14,
            "traffic": {"pattern": "intermittent", "mean_concurrency": 0.2, "peak_concurrency": 4}}
    plan = plan_file(portfolio_file(tmp_path, auto))

    (decided,) = [unit for unit in plan.units if "coder" in unit.models]
    reasons = " ".join(reason for document in decided.model_documents() for reason in document["reasons"] if document["name"] == "coder")
    assert decided.pattern != "serverless" and "serverless: cannot host it, it needs 1 accelerator(s)" in reasons


def test_the_template_carries_serverless_config_with_provisioned_concurrency_where_asked_and_rehearses(tmp_path):
    from loadmaster.rehearsal import rehearse_portfolio

    before = portfolio_file(tmp_path, WARM, ON_DEMAND, name="before")
    bigger = {**WARM, "serverless": {**WARM["serverless"], "memory_mb": 6144, "provisioned_concurrency": {"min": 1, "max": 4}}}
    after = portfolio_file(tmp_path, bigger, ON_DEMAND, name="after")

    report = rehearse_portfolio(before, update_to=after)

    assert report[-1].startswith("rehearsal passed")
    assert "at peak: model ranker (team-ranker): provisioned concurrency 4 of 1..4" in report


def test_the_portfolio_synthesizes_compliant_and_cfn_lint_clean_with_serverless_config(plan, tmp_path_factory):
    import subprocess
    import sys

    from aws_cdk.assertions import Match, Template

    from loadmaster.synthesis import synthesize

    # synthesize runs both compliance packs and fails on any finding nobody acknowledged
    (stack,) = synthesize(plan, tmp_path_factory.mktemp("serverless") / "cdk.out")

    template = Template.from_json(stack.template)
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like(
        {"ServerlessConfig": {"MemorySizeInMB": 4096, "MaxConcurrency": 20, "ProvisionedConcurrency": 2}})]})
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"ProductionVariants": [Match.object_like(
        {"ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 5, "ProvisionedConcurrency": Match.absent()}})]})
    template.resource_properties_count_is("AWS::ApplicationAutoScaling::ScalableTarget", {"ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency"}, 1)
    lint = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--", str(stack.template_file)], capture_output=True, text=True, timeout=300)
    assert lint.returncode == 0, lint.stdout + lint.stderr
