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
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE

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
