"""The whole bill: instances, storage and data processed, each with its price's source; and the Savings Plans advice."""

from __future__ import annotations

import json
from typing import Any

import pytest

from loadmaster.catalog import HOURS_PER_MONTH, Catalog, load_catalog
from loadmaster.cli import main
from loadmaster.errors import EXIT_BAD_INPUT
from loadmaster.planner.make import make_plan
from loadmaster.planner.bill import (
    DATA_PROCESSED_IN_USD_PER_GB,
    DATA_PROCESSED_OUT_USD_PER_GB,
    HOURS_PER_MONTH,
    ML_STORAGE_USD_PER_GB_MONTH,
    SAVINGS_PLAN_RATES,
    savings_plan_advice,
    savings_plan_rate,
)
from loadmaster.planner.render import render_json, render_markdown
from loadmaster.spec.load import validate_portfolio

IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"
EXAMPLE = "examples/codegen-platform.yaml"


def dedicated(name: str, instance_type: str, traffic: dict[str, Any], instances: dict[str, int] | None = None, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": IMAGE, "hosting": "dedicated", "instance_type": instance_type,
            "instances": instances or {"min": 1, "max": 4}, "traffic": traffic, **fields}


def plan_of(*models: dict[str, Any], **fields: Any):
    catalog = load_catalog()
    portfolio = validate_portfolio({"version": 1, "name": "bill", "region": "us-east-1", "models": list(models), **fields}, "bill.yaml", catalog)
    return make_plan(portfolio, "bill.yaml", catalog)


def run_json(capsys, *arguments: str) -> dict[str, Any]:
    assert main(["plan", EXAMPLE, "--format", "json", *arguments]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_example_plan_carries_every_part_of_its_bill_with_its_source(capsys):
    # When the example is planned as JSON
    document = run_json(capsys)
    bill = document["bill"]["plan"]
    parts = {part["part"]: part for part in bill["parts"]}
    # Then the bill has its parts, each priced from a named source with its region and date
    assert list(parts) == ["instances", "storage", "data processed"]
    for part in parts.values():
        assert part["sources"] and all(source["title"] and source["region"] == "us-east-1" and source["date"] for source in part["sources"])
    # ... instances are the plan's cost, and its types have local NVMe storage: no EBS volume to pay for
    assert parts["instances"]["hourly_at_mean"] == document["hourly_at_mean"]
    assert parts["storage"]["hourly_at_mean"] == 0.0 and "no EBS volume" in parts["storage"]["basis"]
    # ... the example states no payload sizes: data processed is unknown, never 0, and the total says it is partial
    assert parts["data processed"]["hourly_at_mean"] is None
    assert "payload sizes not stated for inline" in parts["data processed"]["not_counted"]
    assert bill["hourly_at_mean"] is None and bill["not_counted"] == ["data processed"]
    assert bill["counted_hourly_at_mean"] == pytest.approx(document["hourly_at_mean"], abs=1e-3)
    assert parts["instances"]["monthly_at_mean"] == pytest.approx(parts["instances"]["hourly_at_mean"] * HOURS_PER_MONTH, abs=0.01)


def test_data_processed_is_counted_from_payload_sizes_and_request_rate_for_plan_and_baseline_alike():
    # Given a model taking 10 requests/s of 4 KB and answering 16 KB, twice as busy at peak
    plan = plan_of(dedicated("ranker", "ml.g5.xlarge", {"pattern": "variable", "mean_concurrency": 2, "peak_concurrency": 4,
                                                         "requests_per_s": 10, "request_kb": 4, "response_kb": 16}))
    # Then the data part is 36,000 requests an hour of 4 KB in and 16 KB out, at the pricing page's per-GB prices
    hourly_in, hourly_out = 36_000 * 4e3 / 1e9 * DATA_PROCESSED_IN_USD_PER_GB, 36_000 * 16e3 / 1e9 * DATA_PROCESSED_OUT_USD_PER_GB
    data = plan.bill.plan.part("data processed")
    assert data.hourly_at_mean == pytest.approx(hourly_in + hourly_out)
    assert data.hourly_at_peak == pytest.approx(2 * (hourly_in + hourly_out))
    # ... the baseline serves the same requests, so it pays the same for them
    assert plan.bill.baseline.part("data processed").hourly_at_mean == pytest.approx(data.hourly_at_mean)
    # ... and with every part known, the totals are whole
    assert plan.bill.plan.hourly_at_mean == pytest.approx(plan.cost.hourly_at_mean + data.hourly_at_mean)


def test_a_request_rate_not_stated_is_derived_by_littles_law_and_said_to_be_a_floor():
    # Given 2 concurrent requests under a 500 ms SLO: at least 4 requests/s
    plan = plan_of(dedicated("ranker", "ml.g5.xlarge", {"pattern": "steady", "mean_concurrency": 2, "peak_concurrency": 2,
                                                         "request_kb": 10, "response_kb": 0}, latency_slo_ms=500))
    data = plan.bill.plan.part("data processed")
    assert data.hourly_at_mean == pytest.approx(4 * 3600 * 10e3 / 1e9 * DATA_PROCESSED_IN_USD_PER_GB)
    assert "Little's law" in data.basis and "a floor" in data.basis


def test_storage_of_an_instance_type_without_local_nvme_is_unknown_never_free():
    # Given a model on ml.m5.xlarge, an EBS-only type whose volume size loadmaster does not ship
    plan = plan_of(dedicated("tabular", "ml.m5.xlarge", {"pattern": "steady", "mean_concurrency": 1, "peak_concurrency": 1}))
    storage = plan.bill.plan.part("storage")
    # Then its storage is unknown, says why and where the figure is, and the total is unknown but for its known parts
    assert storage.hourly_at_mean is None
    assert "ml.m5.xlarge" in storage.not_counted and "Host Instance Storage Volumes Table" in storage.not_counted
    assert "`storage_gb: {ml.m5.xlarge: <GB>}`" in storage.not_counted
    assert plan.bill.plan.hourly_at_mean is None
    assert set(plan.bill.plan.not_counted) == {"storage", "data processed"}
    assert plan.bill.plan.counted_hourly_at_mean == pytest.approx(plan.cost.hourly_at_mean)


def test_the_savings_plan_commits_to_what_runs_all_the_time():
    # Given a variable model whose endpoint keeps 2 instances at its floor and runs 3 at mean traffic
    plan = plan_of(dedicated("ranker", "ml.g5.xlarge", {"pattern": "variable", "mean_concurrency": 30, "peak_concurrency": 50,
                                                         "requests_per_s": 1, "request_kb": 1, "response_kb": 1},
                             instances={"min": 2, "max": 8}, scaling={"metric": "concurrent-requests-per-model", "target": 10}))
    floor = plan.dedicated[0].instance_counts.min
    price = plan.dedicated[0].instance_type.price_usd_per_hour
    assert floor == 2 and plan.dedicated[0].instance_counts.expected > floor
    # When a 3-year plan at 64% off is advised
    advice = savings_plan_advice(plan.bill, SAVINGS_PLAN_RATES["3y"])
    # Then the commitment is the floor at the Savings Plans rate, and only the instance-hours above it stay on demand
    assert advice.always_on_hourly == pytest.approx(floor * price)
    assert advice.commitment_hourly == pytest.approx(floor * price * 0.36)
    assert advice.effective_hourly(at_peak=False) == pytest.approx(plan.bill.plan.hourly_at_mean - floor * price * 0.64)
    # ... and it pays off when the committed capacity runs at least rate / on-demand of the hours
    assert advice.break_even_utilisation == pytest.approx(0.36)


def test_a_steady_models_mean_runs_all_the_time():
    plan = plan_of(dedicated("inline", "ml.g5.xlarge", {"pattern": "steady", "mean_concurrency": 30, "peak_concurrency": 50},
                             instances={"min": 2, "max": 8}, scaling={"metric": "concurrent-requests-per-model", "target": 10}))
    counts = plan.dedicated[0].instance_counts
    assert plan.bill.always_on_hourly == pytest.approx(counts.expected * plan.dedicated[0].instance_type.price_usd_per_hour)
    assert "steady: at mean" in plan.bill.always_on_basis


def test_plan_with_a_savings_plan_prints_the_commitment_the_effective_cost_and_the_rate_used(capsys):
    assert main(["plan", EXAMPLE, "--savings-plan", "1y"]) == 0
    out = capsys.readouterr().out
    assert "### SageMaker Savings Plans, 1y" in out
    assert "- Commit **" in out and "Effective cost at mean traffic: at least" in out and "Break-even utilisation: 70%" in out
    assert "emnode.com" in out and "--savings-plan-discount" in out
    # And as JSON, with the user's own discount in place of the default
    advice = run_json(capsys, "--savings-plan", "1y", "--savings-plan-discount", "40")["savings_plan"]
    assert advice["discount"] == 0.4 and advice["rate_source"]["title"] == "your --savings-plan-discount"
    assert advice["commitment_usd_per_hour"] == pytest.approx(advice["always_on_on_demand_hourly"] * 0.6, abs=1e-3)
    assert advice["effective_hourly_at_mean"] is None  # the example's data processed is not stated
    assert advice["effective_counted_hourly_at_mean"] is not None


def test_a_savings_plan_discount_without_a_term_is_refused_in_one_line(capsys):
    assert main(["plan", EXAMPLE, "--savings-plan-discount", "40"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--savings-plan 1y|3y" in err[0]


def test_the_users_discount_replaces_the_default_rate():
    assert savings_plan_rate("3y", 50).discount == 0.5
    assert savings_plan_rate("3y", None) is SAVINGS_PLAN_RATES["3y"]


def test_a_negative_payload_size_is_refused_naming_the_model_and_field(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(f"""version: 1
name: bad
models:
  - name: ranker
    image: {IMAGE}
    hosting: dedicated
    instance_type: ml.g5.xlarge
    instances: {{min: 1, max: 2}}
    traffic: {{pattern: steady, mean_concurrency: 1, peak_concurrency: 1, request_kb: -4, response_kb: 1}}
""")
    assert main(["plan", str(path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "models[0] (ranker).traffic.request_kb" in err


def test_a_stated_volume_size_is_counted_per_instance_and_gb_month():
    # Given the 8 GB volume of ml.m5.xlarge stated, and the endpoint at 1 instance (mean) and 3 (peak)
    plan = plan_of(dedicated("tabular", "ml.m5.xlarge", {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 12}),
                   storage_gb={"ml.m5.xlarge": 8})
    counts = plan.dedicated[0].instance_counts
    storage = plan.bill.plan.part("storage")
    # Then storage is the instances' GB at the GB-month price, per hour
    assert storage.hourly_at_mean == pytest.approx(counts.expected * 8 * ML_STORAGE_USD_PER_GB_MONTH / HOURS_PER_MONTH)
    assert storage.hourly_at_peak == pytest.approx(counts.peak * 8 * ML_STORAGE_USD_PER_GB_MONTH / HOURS_PER_MONTH)
    assert counts.peak > counts.expected and "8 GB on ml.m5.xlarge (storage_gb)" in storage.basis


def test_a_volume_size_for_an_nvme_instance_type_is_refused(tmp_path, capsys):
    path = tmp_path / "nvme.yaml"
    path.write_text(f"""version: 1
name: nvme
storage_gb: {{ml.g5.xlarge: 100}}
models:
  - name: ranker
    image: {IMAGE}
    hosting: dedicated
    instance_type: ml.g5.xlarge
""")
    assert main(["validate", str(path)]) == EXIT_BAD_INPUT
    assert "storage_gb.ml.g5.xlarge: ml.g5.xlarge has local NVMe storage (250 GB), where SageMaker attaches no EBS volume" in capsys.readouterr().err


def test_a_savings_plan_on_an_unpriced_instance_type_is_unknown_not_free():
    # Given a model on ml.p5en.48xlarge, which the shipped catalog cannot price
    plan = plan_of(dedicated("giant", "ml.p5en.48xlarge", {"pattern": "steady", "mean_concurrency": 1, "peak_concurrency": 1}))
    advice = savings_plan_advice(plan.bill, SAVINGS_PLAN_RATES["1y"])
    # Then neither the commitment nor the effective cost is made up
    assert advice.always_on_hourly is None and advice.commitment_hourly is None
    assert advice.effective_hourly(at_peak=False) is None and advice.effective_counted_hourly(at_peak=False) is None
    assert "Effective cost at mean traffic: unknown USD/h" in render_markdown(plan, SAVINGS_PLAN_RATES["1y"])


def test_a_bill_whose_every_part_is_known_prints_whole_totals_and_a_whole_effective_cost(capsys):
    # Given a dedicated endpoint on ml.g5.xlarge (local NVMe: no volume to pay for) with its payloads and request rate:
    # 2 instances at the floor, 3 at mean, 5 at peak
    plan = plan_of(dedicated("ranker", "ml.g5.xlarge", {"pattern": "variable", "mean_concurrency": 30, "peak_concurrency": 50,
                                                         "requests_per_s": 1, "request_kb": 1, "response_kb": 1},
                             instances={"min": 2, "max": 8}, scaling={"metric": "concurrent-requests-per-model", "target": 10}))
    rate = SAVINGS_PLAN_RATES["3y"]
    advice = savings_plan_advice(plan.bill, rate)
    # When it is printed for tools and for people, with a 3-year Savings Plan
    document = json.loads(render_json(plan, rate))
    markdown = render_markdown(plan, rate).splitlines()
    # Then the JSON's totals are whole, per hour and per month, and nothing is missing
    bill = document["bill"]["plan"]
    assert bill["not_counted"] == [] and bill["hourly_at_mean"] == pytest.approx(plan.bill.plan.hourly_at_mean, abs=1e-4)
    assert bill["monthly_at_mean"] == pytest.approx(plan.bill.plan.hourly_at_mean * HOURS_PER_MONTH, abs=1e-3)
    # ... the effective cost counted over the known parts is the whole one at each traffic level (at peak: 5 instances)
    savings = document["savings_plan"]
    assert savings["effective_counted_hourly_at_peak"] == pytest.approx(advice.effective_hourly(at_peak=True), abs=1e-4)
    assert savings["effective_counted_hourly_at_peak"] > savings["effective_counted_hourly_at_mean"]
    # ... and the Markdown table, each part's basis and the effective cost carry no "at least" nor "not counted"
    assert "| part | plan at mean | at peak | per month at mean | baseline at mean | at peak | sources |" in markdown
    assert "- instances: at mean 3 x ml.g5.xlarge; at peak 5 x ml.g5.xlarge" in markdown
    assert (f"- Effective cost at mean traffic: {advice.effective_hourly(at_peak=False):.2f} USD/h; at peak: "
            f"{advice.effective_hourly(at_peak=True):.2f} USD/h (SageMaker instance usage only: storage and data processed stay at their prices).") in markdown


def test_a_plan_that_may_scale_every_endpoint_to_zero_commits_to_nothing():
    # Given one inference component that may scale to zero copies, so that its pool may keep no instance
    model = {"name": "nightly", "image": IMAGE, "hosting": "inference-component", "size_gb": 2, "copies": {"min": 0, "max": 2},
             "traffic": {"pattern": "intermittent", "mean_concurrency": 1, "peak_concurrency": 4}}
    plan = plan_of(model)
    assert plan.pools[0].instance_counts.min == 0
    # Then nothing runs all the time, and a Savings Plan commits to 0 USD/h, saying why
    assert (plan.bill.always_on_hourly, plan.bill.always_on_basis) == (0, "nothing runs all the time")
    assert "- Commit **0.00 USD/h**: what runs all the time (nothing runs all the time), 0.00 USD/h on demand, at 30% off." in (
        render_markdown(plan, SAVINGS_PLAN_RATES["1y"]).splitlines())


def test_a_price_the_portfolio_states_is_cited_by_the_portfolio_alone_under_a_catalog_without_a_region():
    # Given a catalog file that names no region (the field is optional), and the portfolio's own price for its type
    shipped = load_catalog()
    catalog = Catalog(shipped.instance_types, shipped.sources)
    document = {"version": 1, "name": "bill", "region": "us-east-1", "prices": {"ml.g5.xlarge": 1.5},
                "models": [dedicated("ranker", "ml.g5.xlarge", {"pattern": "steady", "mean_concurrency": 1, "peak_concurrency": 1})]}
    plan = make_plan(validate_portfolio(document, "bill.yaml", catalog), "bill.yaml", catalog)
    # Then the bill cites that price by the file that states it, with no region or date it does not have
    markdown = render_markdown(plan).splitlines()
    assert "| instances | 1.50 | 1.50 | 1095.00 | 1.01 | 1.01 | [1], [2] |" in markdown
    assert "[1] bill.yaml: prices" in markdown


def test_a_nightly_batch_transform_is_billed_by_its_runs_in_the_plan_and_the_baseline_alike():
    # Given a transform on 2 x ml.m5.xlarge (0.23 USD/h) for 1.5 hours every night
    model = {"name": "churn", "image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "hosting": "batch",
             "batch": {"input": "s3://team-data/customers/daily/", "schedule": "cron(0 2 * * ? *)", "instance_type": "ml.m5.xlarge",
                       "instance_count": 2, "run_hours": 1.5}}
    plan = plan_of(model)
    (transform,) = plan.units
    # Then the plan costs its month of runs, 2 x 0.23 x 1.5 USD each, spread over the month's hours; no instance runs between them
    hourly = 2 * 0.23 * 1.5 * transform.cost.runs_per_month / HOURS_PER_MONTH
    assert 30 <= transform.cost.runs_per_month <= 31
    assert (plan.cost.hourly_at_mean, plan.cost.hourly_at_peak) == (pytest.approx(hourly), pytest.approx(hourly))
    # ... in a part of the bill of its own, the same in the baseline, where it is already one transform of its own
    for side in (plan.bill.plan, plan.bill.baseline):
        assert side.part("batch transform").hourly_at_mean == pytest.approx(hourly) and side.part("instances").hourly_at_mean == 0
    # ... whose month is the month of runs, whole: the bill's 730-hour month and the runs' average month agree
    assert plan.bill.plan.part("batch transform").document()["monthly_at_mean"] == pytest.approx(transform.cost.per_month, abs=0.01)


def test_a_portfolio_on_no_instances_cites_no_source_for_them():
    # Given one serverless model: no instance is priced
    plan = plan_of({"name": "tagger", "image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
                    "artifact": "s3://team-models/tagger/model.tar.gz", "hosting": "serverless", "serverless": {"memory_mb": 2048, "max_concurrency": 5},
                    "size_gb": 0.5, "traffic": {"pattern": "intermittent", "mean_concurrency": 0.2, "peak_concurrency": 3}})
    # Then the bill's instances row says so instead of citing a price list it did not use
    assert "| instances | 0.00 | 0.00 | 0.00 | 0.00 | 0.00 | n/a |" in render_markdown(plan).splitlines()


def test_the_json_plan_is_indented_for_people_reading_it_in_a_pull_request():
    # Given a plan written as JSON
    text = render_json(plan_of(dedicated("inline", "ml.g5.2xlarge", {"pattern": "steady", "mean_concurrency": 4, "peak_concurrency": 8})))
    # Then each key is on a line of its own, two spaces in per level
    assert text.startswith('{\n  "') and '\n    "' in text
