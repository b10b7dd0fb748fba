"""hosting: batch: what the portfolio accepts and refuses with SageMaker's reasons, what a run and a month cost and
why, what `hosting: auto` says of a batch traffic pattern, and a transform synthesized and rehearsed from create
through update to delete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from loadmaster.batch_transform import DAYS_PER_MONTH, Schedule
from loadmaster.catalog import HOURS_PER_MONTH
from loadmaster.catalog import load_catalog
from loadmaster.errors import PortfolioError
from loadmaster.spec.load import load_portfolio

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
NIGHTLY = {
    "name": "churn", "image": IMAGE, "artifact": "s3://models/churn/model.tar.gz", "hosting": "batch",
    "batch": {"input": "s3://team-data/customers/daily/", "schedule": "cron(0 2 * * ? *)", "time_zone": "Europe/Paris",
              "instance_type": "ml.m5.xlarge", "instance_count": 2, "run_hours": 1.5, "split_type": "Line", "batch_strategy": "MultiRecord"},
    "traffic": {"pattern": "batch", "mean_concurrency": 4, "peak_concurrency": 8},
}
ON_UPLOADS = {
    "name": "fraud", "image": IMAGE, "hosting": "batch",
    "batch": {"input": "s3://team-data/claims/", "output": "s3://team-results/fraud/", "on_new_objects": True, "runs_per_month": 300,
              "instance_type": "ml.c5.xlarge", "records": 36_000, "record_processing_s": 0.5, "max_concurrent_transforms": 2},
}


def portfolio_file(tmp_path: Path, *models: dict, name: str = "batch") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "name": "team", "region": "us-east-1", "models": list(models)}))
    return path


def problems_of(tmp_path: Path, model: dict) -> dict[str, str]:
    with pytest.raises(PortfolioError) as raised:
        load_portfolio(portfolio_file(tmp_path, model), load_catalog())
    return {problem.location: problem.message for problem in raised.value.problems}


def with_batch(**changes) -> dict:
    return {**NIGHTLY, "batch": {**NIGHTLY["batch"], **changes}}


@pytest.mark.parametrize(
    "model, location, reason",
    [
        (with_batch(schedule="cron(0 2 * * *)"), "models[0] (churn).batch.schedule", "six fields"),
        (with_batch(schedule="cron(0 2 * * MON *)"), "models[0] (churn).batch.schedule", "one of day-of-month and day-of-week must be ?"),
        (with_batch(schedule="rate(1 hours)"), "models[0] (churn).batch.schedule", "singular for a value of 1"),
        (with_batch(schedule="at(2027-01-01T00:00:00)"), "models[0] (churn).batch.schedule", "runs once"),
        (with_batch(time_zone="Europe/Atlantis"), "models[0] (churn).batch.time_zone", "is not an IANA time zone name"),
        (with_batch(instance_count=0), "models[0] (churn).batch.instance_count", "expected at least 1, found 0"),
        (with_batch(max_payload_mb=101), "models[0] (churn).batch.max_payload_mb", "at most 100"),
        (with_batch(max_payload_mb=30, max_concurrent_transforms=4), "models[0] (churn).batch.max_concurrent_transforms", "x max_payload_mb must not exceed 100 MB, got 4 x 30 = 120"),
        (with_batch(max_concurrent_transforms=-1), "models[0] (churn).batch.max_concurrent_transforms", "expected at least 0, found -1"),
        (with_batch(batch_strategy="AllRecords"), "models[0] (churn).batch.batch_strategy", "'MultiRecord' or 'SingleRecord'"),
        (with_batch(split_type="None"), "models[0] (churn).batch.batch_strategy", "takes effect only with split_type Line, RecordIO or TFRecord"),
        (with_batch(instance_type="ml.p5.48xlarge"), "models[0] (churn).batch.instance_type", "is not a batch transform instance type"),
        (with_batch(instance_type="ml.m5.hugexlarge"), "models[0] (churn).batch.instance_type", "unknown instance type 'ml.m5.hugexlarge'"),
        (with_batch(input="s3://team-data/customers"), "models[0] (churn).batch.input", "expected an S3 prefix such as s3://bucket/prefix/ (ending in /)"),
        (with_batch(run_hours=None), "models[0] (churn).batch.run_hours", "required unless records and record_processing_s are given"),
        (with_batch(schedule=None), "models[0] (churn).batch.runs_per_month", "required to cost runs started by hand"),
        (with_batch(on_new_objects=True), "models[0] (churn).batch.on_new_objects", "a schedule or on new objects, not both"),
        ({**NIGHTLY, "name": "c" * 46}, f"models[0] ({'c' * 46}).name", "at most 50"),
        ({**NIGHTLY, "instance_type": "ml.m5.xlarge"}, "models[0] (churn).instance_type", "does not apply to hosting: batch"),
    ],
)
def test_a_transform_sagemaker_or_scheduler_would_refuse_is_refused_with_the_reason(tmp_path, model, location, reason):
    problems = problems_of(tmp_path, model)

    assert location in problems and reason in problems[location], problems


def test_every_problem_of_a_transform_is_reported_at_once(tmp_path):
    problems = problems_of(tmp_path, with_batch(schedule="cron(0 2 * * *)", instance_type="ml.p5.48xlarge", run_hours=None))

    assert {"models[0] (churn).batch.schedule", "models[0] (churn).batch.instance_type", "models[0] (churn).batch.run_hours"} <= problems.keys()


SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
PIPELINE = [{"name": "features", "image": SKLEARN, "artifact": "s3://models/churn/features.tar.gz"}, {"name": "score", "image": IMAGE}]


def as_pipeline(**changes) -> dict:
    """NIGHTLY as a transform of a serial pipeline: its containers instead of its image and artifact."""
    model = {key: value for key, value in NIGHTLY.items() if key not in ("image", "artifact")}
    return {**model, "containers": PIPELINE, **changes}


@pytest.mark.parametrize(
    "model, location, reason",
    [
        ({key: value for key, value in NIGHTLY.items() if key != "image"}, "models[0] (churn).image", "required: the transform's container image, or containers:"),
        (as_pipeline(image=IMAGE), "models[0] (churn).image", "give image (one container) or containers (a serial pipeline), not both"),
        (as_pipeline(artifact="s3://models/churn/model.tar.gz"), "models[0] (churn).artifact", "each have their own artifact: write it in containers:"),
        (as_pipeline(environment={"MODE": "batch"}), "models[0] (churn).environment", "each have their own environment"),
        (as_pipeline(containers=PIPELINE[:1]), "models[0] (churn).containers", "at least 2"),
        (as_pipeline(containers=[PIPELINE[0]] * 2), "models[0] (churn).containers[1] (features).name", "duplicate hostname"),
        (as_pipeline(containers=[PIPELINE[0], {"name": "score", "image": IMAGE.replace("us-east-1", "eu-west-1")}]),
         "models[0] (churn).containers[1] (score).image", "not in the portfolio's region us-east-1"),
    ],
)
def test_a_transform_runs_one_image_or_a_pipelines_containers_and_says_which_field_is_wrong(tmp_path, model, location, reason):
    problems = problems_of(tmp_path, model)

    assert location in problems and reason in problems[location], problems


def test_the_batch_key_on_another_hosting_is_refused(tmp_path):
    problems = problems_of(tmp_path, {**NIGHTLY, "hosting": "dedicated", "instance_type": "ml.m5.xlarge"})

    assert "does not apply to hosting: dedicated" in problems["models[0] (churn).batch"]


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    from loadmaster.planner.make import plan_file

    return plan_file(portfolio_file(tmp_path_factory.mktemp("plan"), NIGHTLY, ON_UPLOADS))


def test_a_run_costs_its_instances_for_its_hours_and_a_month_its_scheduled_runs(plan):
    nightly, uploads = plan.units
    price = load_catalog()["ml.m5.xlarge"].price_usd_per_hour

    assert nightly.cost.per_run == pytest.approx(2 * price * 1.5)
    assert nightly.cost.runs_per_month == pytest.approx(Schedule("cron(0 2 * * ? *)").runs_per_month)
    assert nightly.hourly_at_mean == nightly.hourly_at_peak == pytest.approx(2 * price * 1.5 * nightly.cost.runs_per_month / HOURS_PER_MONTH)
    assert uploads.cost.run_time.basis == "36000 records x 0.5 s / (1 instances x 2 concurrent) = 2.5 h"
    assert uploads.cost.runs_per_month == 300


def test_a_run_of_records_on_more_instances_takes_as_much_less_time_and_costs_the_same(tmp_path):
    from loadmaster.planner.make import plan_file

    # Given the uploads' transform on 2 instances instead of 1
    doubled = {**ON_UPLOADS, "batch": {**ON_UPLOADS["batch"], "instance_count": 2}}

    (uploads,) = plan_file(portfolio_file(tmp_path, doubled)).units

    # Then its 36000 records take half the 2.5 h, on twice the instances
    assert uploads.cost.run_time.basis == "36000 records x 0.5 s / (2 instances x 2 concurrent) = 1.25 h"
    assert uploads.cost.per_run == pytest.approx(2 * load_catalog()["ml.c5.xlarge"].price_usd_per_hour * 1.25)


def test_the_plan_bills_transforms_by_use_in_their_own_part_with_its_basis(plan):
    (part,) = [part for part in plan.bill.plan.parts if part.name == "batch transform"]

    assert part.hourly_at_mean == pytest.approx(sum(unit.hourly_at_mean for unit in plan.units))
    assert plan.cost.hourly_at_mean == pytest.approx(sum(unit.hourly_at_mean for unit in plan.units))
    # runs follow the schedule, not the traffic: the same at peak
    assert part.hourly_at_peak == plan.cost.hourly_at_peak == pytest.approx(plan.cost.hourly_at_mean)


def test_the_summary_says_when_each_transform_runs_and_what_it_costs(plan):
    nightly, uploads = (unit.summary_lines()[0] for unit in plan.units)

    assert nightly.startswith("  batch churn -> transform team-churn: 2 x ml.m5.xlarge over s3://team-data/customers/daily/, on cron(0 2 * * ? *) (Europe/Paris), ")
    assert uploads.endswith("USD a month (300 runs)") and "on each new object" in uploads


def test_a_transform_of_a_pipeline_plans_its_containers_in_order_and_costs_as_one_image_would(tmp_path, plan):
    from loadmaster.planner.make import plan_file

    (unit,) = plan_file(portfolio_file(tmp_path, as_pipeline())).units

    assert (unit.container, list(unit.pipeline)) == (None, ["features", "score"])
    assert unit.pipeline["features"].artifact == "s3://models/churn/features.tar.gz"
    assert unit.cost == plan.units[0].cost  # the same instances for the same hours
    assert unit.summary_lines()[0].startswith("  batch churn -> transform team-churn: pipeline features > score on 2 x ml.m5.xlarge over ")
    assert unit.model_documents()[0]["containers"] == ["features", "score"]


def test_the_summary_headline_counts_the_transforms(plan):
    from loadmaster.summary import headline

    assert headline(plan) == "team: 2 batch transforms"


def test_the_plan_says_where_a_runs_time_and_the_runs_a_month_come_from(plan):
    (document,) = plan.units[0].model_documents()

    assert document["run_time_basis"] == "run_hours 1.5 as stated"
    assert "30.44 runs a month from cron(0 2 * * ? *)" in plan.units[0].notes
    assert document["runs_per_month"] == pytest.approx(30.4375)


def test_the_json_plan_shows_what_a_run_and_a_month_of_runs_cost(plan):
    # Given the nightly transform: 2 ml.m5.xlarge for 1.5 h a run, 30.4375 runs a month
    (document,) = plan.units[0].model_documents()
    run = 2 * load_catalog()["ml.m5.xlarge"].price_usd_per_hour * 1.5

    assert (document["hosting"], document["instance_type"], document["instance_count"]) == ("batch", "ml.m5.xlarge", 2)
    assert document["input"] == "s3://team-data/customers/daily/" and document["notes"] == list(plan.units[0].notes)
    assert document["cost_per_run"] == pytest.approx(run, abs=1e-4)
    assert document["cost_per_month"] == pytest.approx(run * 30.4375, abs=1e-4)
    assert document["hourly_at_mean"] == document["hourly_at_peak"] == pytest.approx(run * 30.4375 / HOURS_PER_MONTH, abs=1e-4)
    assert DAYS_PER_MONTH == pytest.approx(30.436875)


def test_a_runs_price_is_called_an_estimate_unless_the_portfolios_prices_state_it(plan, tmp_path):
    from loadmaster.planner.make import plan_file

    price = load_catalog()["ml.m5.xlarge"].price_usd_per_hour
    assert f"ml.m5.xlarge at {price:g} USD per instance-hour, an estimate: the type's real-time hosting price" in "; ".join(plan.units[0].notes)
    (part,) = [part for part in plan.bill.plan.parts if part.name == "batch transform"]
    assert "an estimate" in part.sources[0].title and part.sources[0].unverified

    # Given the user's own price for the type
    path = portfolio_file(tmp_path, NIGHTLY)
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), "prices": {"ml.m5.xlarge": 0.2}}))

    (unit,) = plan_file(path).units

    assert "ml.m5.xlarge at 0.2 USD per instance-hour, as prices: states" in unit.notes
    assert unit.cost.per_run == pytest.approx(2 * 0.2 * 1.5)


def test_an_auto_model_with_a_batch_traffic_pattern_is_told_what_a_transform_needs(tmp_path):
    from loadmaster.planner.make import plan_file

    auto = {"name": "scorer", "image": IMAGE, "hosting": "auto", "size_gb": 0.5, "traffic": {"pattern": "batch", "mean_concurrency": 1, "peak_concurrency": 2}}

    plan = plan_file(portfolio_file(tmp_path, auto))

    (reasons,) = [unit.reasons for unit in plan.units]
    cost = next(reason for reason in reasons if reason.startswith("cost: "))
    assert "batch transform: cannot host it, its traffic pattern is batch (offline scoring), which a batch transform serves best: write batch:" in cost


def test_an_auto_model_that_writes_batch_becomes_a_transform_and_says_why(tmp_path):
    from loadmaster.planner.make import plan_file

    plan = plan_file(portfolio_file(tmp_path, {**NIGHTLY, "hosting": "auto", "size_gb": 0.5}))

    (unit,) = plan.units
    assert (unit.pattern, unit.reasons[0]) == ("batch", "auto, decided by `batch`, which only batch hosting has")


def test_the_transforms_synthesize_compliant_and_rehearse_create_update_delete(tmp_path):
    from loadmaster.rehearsal import rehearse_portfolio

    before = portfolio_file(tmp_path, NIGHTLY, ON_UPLOADS, name="before")
    after = portfolio_file(tmp_path, with_batch(schedule="rate(12 hours)", instance_count=3), ON_UPLOADS, name="after")

    report = rehearse_portfolio(before, update_to=after)

    runs = [line for line in report if line.startswith("batch transform ")]
    assert len(runs) == 4  # each transform run once after the create and once after the update
    assert runs[2].endswith("on 3 x ml.m5.xlarge, Completed")
    assert report[-2] == "deleted: nothing left behind" and report[-1].startswith("rehearsal passed")


def test_the_template_has_the_state_machine_its_schedule_and_its_new_object_rule(plan, tmp_path_factory):
    from aws_cdk.assertions import Match, Template

    from loadmaster.synthesis import synthesize

    (stack,) = synthesize(plan, tmp_path_factory.mktemp("batch") / "cdk.out")  # both compliance packs: fails on a finding
    template = Template.from_json(stack.template)

    template.has_resource_properties("AWS::Scheduler::Schedule", {"ScheduleExpression": "cron(0 2 * * ? *)", "ScheduleExpressionTimezone": "Europe/Paris"})
    template.has_resource_properties("AWS::Events::Rule", {"EventPattern": {"source": ["aws.s3"], "detail-type": ["Object Created"],
                                                                          "detail": {"bucket": {"name": ["team-data"]}, "object": {"key": [{"prefix": "claims/"}]}}}})
    machines = template.find_resources("AWS::StepFunctions::StateMachine")
    assert len(machines) == 2
    assert all("createTransformJob.sync" in json.dumps(machine["Properties"]["DefinitionString"]) for machine in machines.values())
    template.has_resource_properties("AWS::StepFunctions::StateMachine", Match.object_like({"DefinitionString": Match.any_value()}))
