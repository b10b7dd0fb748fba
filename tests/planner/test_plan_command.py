"""`loadmaster plan` and `loadmaster catalog refresh`: what they print, write and exit with."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from loadmaster.catalog import CATALOG_FILE, load_catalog
from loadmaster.cli import main
from loadmaster.commands import catalog as catalog_command
from loadmaster.planner.render import plan_document, render_markdown
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE
from planner_givens import IMAGE, plan_of

AUTO_EXAMPLE = EXAMPLE.with_name("auto-platform.yaml")


def run(argv, capsys):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_prints_the_json_fields_tools_rely_on(capsys):
    code, out, err = run(["plan", EXAMPLE, "--format", "json"], capsys)
    document = json.loads(out)
    assert (code, err) == (0, "")
    assert (document["portfolio"], document["source"], document["region"]) == ("codegen-platform", str(EXAMPLE), "us-east-1")
    for field in ("hourly_cost", "peak_hourly_cost", "baseline_hourly_cost", "lower_bound_hourly_cost", "savings_ratio",
                  "hourly_at_mean", "hourly_at_peak", "baseline_hourly_at_mean", "baseline_hourly_at_peak", "savings_ratio_at_mean", "savings_ratio_at_peak"):
        assert isinstance(document[field], float), field
    # Plan and baseline at the same traffic: the stable keys are the figures at mean
    for level in ("mean", "peak"):
        assert document[f"savings_ratio_at_{level}"] == pytest.approx(document[f"baseline_hourly_at_{level}"] / document[f"hourly_at_{level}"], rel=1e-3)
    assert (document["hourly_cost"], document["baseline_hourly_cost"], document["savings_ratio"]) == (
        document["hourly_at_mean"], document["baseline_hourly_at_mean"], document["savings_ratio_at_mean"])
    assert document["unknown_prices"] == [] and document["mean_not_stated"] == []
    for endpoint in document["baseline"]:
        assert endpoint["hourly_at_peak"] == pytest.approx(endpoint["price_usd_per_hour"] * endpoint["instances_at_peak"])
    for pool in document["pools"]:
        assert {"name", "instance_type", "instances"} <= pool.keys()
        assert {"min", "expected", "peak"} <= pool["instances"].keys()
    assert [model["name"] for model in document["models"]] == ["textevel", "blockgen", "flowgpt", "apexguru", "codegen-xl", "inline"]
    for model in document["models"]:
        assert {"name", "hosting", "pool", "copies"} <= model.keys()
        assert {"min", "expected", "peak"} <= model["copies"].keys()


def test_the_examples_hourly_cost_adds_up_from_its_pools_and_dedicated_endpoints(capsys):
    # a10g-pool: 2 x ml.g5.12xlarge expected; a100-pool: 1 x ml.p4d.24xlarge; inline: 3 x ml.g5.2xlarge (30 / 10 per instance)
    document = json.loads(run(["plan", EXAMPLE, "--format", "json"], capsys)[1])
    assert document["hourly_cost"] == pytest.approx(2 * 7.09 + 37.688 + 3 * 1.52)


def test_plan_prints_markdown_for_people_with_pools_models_and_savings(capsys):
    code, out, _ = run(["plan", AUTO_EXAMPLE], capsys)
    assert code == 0
    assert f"From `{AUTO_EXAMPLE}`. Costs in USD per hour, at the catalog's prices." in out.splitlines()
    for heading in ("# Plan for auto-platform", "## Pools", "## Models", "## Baseline: one endpoint per model", "## Why"):
        assert heading in out.splitlines(), heading
    assert "| traffic | plan | baseline: one endpoint per model | savings ratio (baseline / plan) |" in out
    assert any(line.startswith("| at mean | ") for line in out.splitlines()) and any(line.startswith("| at peak | ") for line in out.splitlines())
    assert "| instance | copies sharing it at mean traffic |" in out
    assert "- chosen: dedicated, steady traffic" in out


def test_the_same_portfolio_always_gives_the_same_plan(capsys):
    first = run(["plan", AUTO_EXAMPLE, "--format", "json"], capsys)[1]
    second = run(["plan", AUTO_EXAMPLE, "--format", "json"], capsys)[1]
    assert first == second


def test_plan_exits_2_without_a_traceback_on_a_bad_portfolio(tmp_path, capsys):
    bad = tmp_path / "portfolio.yaml"
    bad.write_text(AUTO_EXAMPLE.read_text().replace("    size_gb: 2\n    latency_slo_ms: 150\n", "    latency_slo_ms: 150\n"))
    code, out, err = run(["plan", bad], capsys)
    assert (code, out) == (2, "")
    assert err == f"{bad}: models[0] (inline).size_gb: required for hosting: auto (the planner sizes the model from it)\n"


def test_plan_exits_2_naming_the_model_whose_framework_image_cannot_be_resolved(tmp_path, capsys):
    bad = tmp_path / "portfolio.yaml"
    bad.write_text(EXAMPLE.read_text().replace("framework: djl-lmi", "framework: djl-lmx"))
    code, out, err = run(["plan", bad], capsys)
    assert (code, out) == (2, "")
    assert err == (f"{bad}: models[1] (textevel).image: the SageMaker Python SDK knows no framework 'djl-lmx' "
                   "(such as djl-lmi, huggingface-llm, pytorch)\n")


def test_plan_exits_2_on_an_unreadable_catalog(tmp_path, capsys):
    code, _, err = run(["plan", EXAMPLE, "--catalog", tmp_path / "missing.json"], capsys)
    assert code == 2 and "not a readable instance catalog" in err and "Traceback" not in err


# One product of the Price List API's answer, in the shape it has: PriceList is a list of JSON documents as strings.
def price_list_product(instance_type: str, usd: str) -> str:
    sku = "SKU" + instance_type.replace(".", "")
    return json.dumps({
        "product": {
            "productFamily": "ML Instance",
            "attributes": {"regionCode": "eu-west-1", "instanceName": instance_type, "component": "Hosting",
                           "location": "EU (Ireland)", "usagetype": f"EU-Host:{instance_type}", "servicecode": "AmazonSageMaker"},
            "sku": sku,
        },
        "serviceCode": "AmazonSageMaker",
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {
            "priceDimensions": {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                "unit": "Hrs", "beginRange": "0", "endRange": "Inf", "pricePerUnit": {"USD": usd},
                "description": f"${usd} per Hour for {instance_type} Hosting", "appliesTo": [], "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
            }},
            "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "JRTCKXETXF", "termAttributes": {},
        }}},
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    })


EXPECTED_REQUEST = {
    "ServiceCode": "AmazonSageMaker",
    "FormatVersion": "aws_v1",
    "Filters": [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"},
        {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
        {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
    ],
}


@pytest.fixture
def stubbed_pricing(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("pricing", region_name="us-east-1")
    monkeypatch.setattr(catalog_command, "pricing_client", lambda: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_catalog_refresh_rebuilds_prices_from_the_price_list_api_naming_source_and_date(stubbed_pricing, tmp_path, capsys):
    # Given two pages of hosting prices for eu-west-1
    stubbed_pricing.add_response("get_products", {"FormatVersion": "aws_v1", "NextToken": "page-2",
                                                  "PriceList": [price_list_product("ml.g5.2xlarge", "1.6960000000")]}, EXPECTED_REQUEST)
    stubbed_pricing.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [price_list_product("ml.g6.xlarge", "1.1260000000")]},
                                 {**EXPECTED_REQUEST, "NextToken": "page-2"})
    out_file = tmp_path / "catalog.json"
    # When the catalog is refreshed
    code, out, err = run(["catalog", "refresh", "--region", "eu-west-1", "--out", out_file], capsys)
    # Then both prices are in it, each naming its source, which has a date; the others keep theirs
    assert code == 0 and out == f"{out_file}: 2 prices refreshed for eu-west-1\n"
    kept = err.removeprefix("275 instance types not priced by the API for eu-west-1, kept as they were: ").rstrip("\n").split(", ")
    assert "ml.g5.xlarge" in kept and "ml.g5.2xlarge" not in kept
    refreshed = load_catalog(out_file)
    assert (refreshed["ml.g5.2xlarge"].price_usd_per_hour, refreshed["ml.g6.xlarge"].price_usd_per_hour) == (1.696, 1.126)
    assert not refreshed["ml.g6.xlarge"].price_is_estimate  # an AWS figure now, where the shipped one was estimated
    source = refreshed["ml.g5.2xlarge"].price_source
    assert source.startswith("aws-price-list-eu-west-1-") and refreshed.sources[source]["date"] == source.removeprefix("aws-price-list-eu-west-1-")
    assert "publication 2026-11-01T00:00:00Z" in refreshed.sources[source]["title"]
    assert refreshed["ml.p4d.24xlarge"].price_usd_per_hour == load_catalog(CATALOG_FILE)["ml.p4d.24xlarge"].price_usd_per_hour
    # ... and a plan can be priced with it
    assert run(["plan", EXAMPLE, "--catalog", out_file], capsys)[0] == 0


def test_catalog_refresh_exits_2_when_the_price_list_api_refuses(stubbed_pricing, tmp_path, capsys):
    stubbed_pricing.add_client_error("get_products", "AccessDeniedException", "not allowed pricing:GetProducts", expected_params=EXPECTED_REQUEST)
    code, _, err = run(["catalog", "refresh", "--region", "eu-west-1", "--out", tmp_path / "catalog.json"], capsys)
    assert code == 2 and "AccessDeniedException" in err and "Traceback" not in err
    assert not (tmp_path / "catalog.json").exists()


def test_catalog_refresh_exits_2_on_a_region_that_is_not_one(capsys):
    code, _, err = run(["catalog", "refresh", "--region", "Ireland"], capsys)
    assert code == 2 and err == "catalog refresh: --region: 'Ireland' is not an AWS region name such as us-east-1\n"


# A plan of one written pool and one dedicated endpoint, every decision written in the portfolio: what `loadmaster
# plan` prints of it, figure by figure (the bill's part is tests/test_bill.py's).
WRITTEN_POOL = [{"name": "shared", "instance_type": "ml.g5.12xlarge", "instances": {"min": 1, "max": 2}}]
WRITTEN_MODELS = [
    {"name": "chat", "image": IMAGE, "pool": "shared", "per_copy": {"accelerators": 1, "memory_mb": 24576, "cpu_cores": 4},
     "copies": {"min": 1, "max": 4}, "traffic": {"pattern": "variable", "mean_concurrency": 8, "peak_concurrency": 20}},
    {"name": "embed", "image": IMAGE, "hosting": "dedicated", "instance_type": "ml.g5.xlarge", "instances": {"min": 1, "max": 3},
     "traffic": {"pattern": "steady", "mean_concurrency": 4, "peak_concurrency": 12}},
]


def test_the_json_of_a_written_plan_carries_every_figure_tools_read():
    # Given chat at 2 copies at mean and 4 at peak on 1 x ml.g5.12xlarge (7.09 USD/h), embed on 1 to 3 x ml.g5.xlarge (1.4084)
    document = plan_document(plan_of(WRITTEN_MODELS, WRITTEN_POOL))
    del document["bill"]
    # Then
    written = {"reasons": ["written in the portfolio"], "notes": []}
    assert document == {
        "portfolio": "test", "source": "test.yaml", "region": "us-east-1", "currency": "USD",
        "hourly_cost": 8.4984, "peak_hourly_cost": 11.3152, "baseline_hourly_cost": 3.4496, "savings_ratio": 0.4059,
        "hourly_at_mean": 8.4984, "hourly_at_peak": 11.3152, "baseline_hourly_at_mean": 3.4496, "baseline_hourly_at_peak": 7.9048,
        "savings_ratio_at_mean": 0.4059, "savings_ratio_at_peak": 0.6986, "lower_bound_hourly_cost": 4.9534,
        "unknown_prices": [], "mean_not_stated": [], "notes": [], "estimated_prices": [], "warnings": [],
        "baseline": [
            {"model": "chat", "instance_type": "ml.g6.2xlarge", "price_usd_per_hour": 1.222, "instances_at_mean": 2, "instances_at_peak": 4,
             "hourly_at_mean": 2.444, "hourly_at_peak": 4.888},
            {"model": "embed", "instance_type": "ml.g6.xlarge", "price_usd_per_hour": 1.0056, "instances_at_mean": 1, "instances_at_peak": 3,
             "hourly_at_mean": 1.0056, "hourly_at_peak": 3.0168},
        ],
        "pools": [{"name": "shared", "endpoint_name": "test-shared", "instance_type": "ml.g5.12xlarge", "price_usd_per_hour": 7.09,
                   "instances": {"min": 1, "expected": 1, "peak": 1, "max": 2}, "placement": [{"chat": 2}], "peak_placement": [{"chat": 4}],
                   "notes": []}],
        "models": [
            {"name": "chat", "hosting": "inference-component", "pool": "shared", "component_name": "test-chat", "instance_type": "ml.g5.12xlarge",
             "per_copy": {"accelerators": 1, "memory_mb": 24576, "cpu_cores": 4.0}, "copies": {"min": 1, "expected": 2, "peak": 4, "max": 4}, **written},
            {"name": "embed", "hosting": "dedicated", "pool": None, "endpoint_name": "test-embed", "instance_type": "ml.g5.xlarge",
             "copies": {"min": 1, "expected": 1, "peak": 3, "max": 3}, **written},
        ],
    }


def test_the_markdown_of_a_written_plan_prints_its_costs_pools_models_baseline_and_reasons():
    markdown = render_markdown(plan_of(WRITTEN_MODELS, WRITTEN_POOL))
    assert markdown.startswith("""# Plan for test

From `test.yaml`. Costs in USD per hour, at the catalog's prices.

| traffic | plan | baseline: one endpoint per model | savings ratio (baseline / plan) |
| --- | ---: | ---: | ---: |
| at mean | 8.50 | 3.45 | **0.41x** |
| at peak | 11.32 | 7.90 | **0.70x** |

Lower bound (LP relaxation of the packing at mean traffic): 4.95; plan / lower bound: 1.716.
""")
    assert markdown[markdown.index("## Pools"):] == """## Pools

### shared (endpoint `test-shared`)

ml.g5.12xlarge, instances min / expected / peak (max): 1 / 1 / 1 (2)

| instance | copies sharing it at mean traffic |
| ---: | --- |
| 1 | chat x2 |

## Models

| model | hosting | on | per copy | copies min / expected / peak (max) |
| --- | --- | --- | --- | --- |
| chat | inference-component | shared | 1 accel, 24576 MB, 4 CPU | 1 / 2 / 4 (4) |
| embed | dedicated | ml.g5.xlarge | whole instance | 1 / 1 / 3 (3) |

## Baseline: one endpoint per model

| model | instance type | USD/h each | instances at mean | at peak | USD/h at mean | at peak |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
| chat | ml.g6.2xlarge | 1.22 | 2 | 4 | 2.44 | 4.89 |
| embed | ml.g6.xlarge | 1.01 | 1 | 3 | 1.01 | 3.02 |

## Why

**chat**: inference-component
- written in the portfolio

**embed**: dedicated
- written in the portfolio
"""
