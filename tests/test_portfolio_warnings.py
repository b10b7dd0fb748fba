"""Costly or impossible configurations: impossible ones are problems (exit 2), costly or risky ones are warnings, printed
on stderr by `validate`, `plan`, `synth` and app.py as "warning: FILE: LOCATION: MESSAGE", with the exit code unchanged.

Each case is the small valid portfolio below with one thing changed, written to `portfolio.yaml` in a temporary working
directory so that the lines read exactly as the user sees them.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hosting_names import hostings_listed
from loadmaster.cli import main
from loadmaster.errors import PortfolioError, render_warnings
from loadmaster.planner.make import plan_file
from loadmaster.regions import BOTOCORE, aws_regions, sagemaker_regions

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"

# ml.g5.12xlarge: 4 GPUs, 196608 MB (176947 for copies), 48 vCPUs (45.6 for copies), 7.09 USD/h in the catalog; 2 instances hold 8 one-GPU copies.
VALID = {
    "version": 1,
    "name": "demo",
    "region": "us-east-1",
    "pools": [{"name": "gpu-pool", "instance_type": "ml.g5.12xlarge", "instances": {"min": 1, "max": 2}}],
    "models": [
        {"name": "blockgen", "image": IMAGE, "pool": "gpu-pool", "per_copy": {"accelerators": 1, "memory_mb": 24576, "cpu_cores": 4}, "copies": {"min": 1, "max": 4}},
        {"name": "inline", "image": IMAGE, "hosting": "dedicated", "instance_type": "ml.g5.2xlarge", "instances": {"min": 1, "max": 2}},
    ],
}
BLOCKGEN, INLINE = 0, 1


@pytest.fixture
def portfolio(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    return copy.deepcopy(VALID)


def written(document: dict) -> str:
    Path("portfolio.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return "portfolio.yaml"


def warnings_of(document: dict) -> list[str]:
    plan = plan_file(written(document))
    return render_warnings(plan.source, plan.warnings).splitlines()


def problems_in(document: dict) -> list[str]:
    with pytest.raises(PortfolioError) as raised:
        plan_file(written(document))
    return raised.value.render().splitlines()


def model(document: dict, index: int) -> dict:
    return document["models"][index]


def test_the_small_valid_portfolio_every_other_test_changes_has_no_warnings(portfolio):
    assert warnings_of(portfolio) == []


# A pool with no models


def test_a_pool_without_models_is_warned_about_with_what_it_runs_for_nothing(portfolio):
    portfolio["pools"].append({"name": "spare-pool", "instance_type": "ml.g5.12xlarge", "instances": {"min": 2, "max": 2}})

    assert warnings_of(portfolio) == [
        "warning: portfolio.yaml: pools[1] (spare-pool): no model is placed on this pool: its endpoint runs 2 ml.g5.12xlarge "
        "instances for nothing (2 x 7.09 = 14.18 USD/h at the catalog's on-demand price); place a model on it or remove it"
    ]


def test_a_pool_without_models_that_may_scale_to_zero_is_still_created_with_one_instance(portfolio):
    portfolio["pools"].append({"name": "spare-pool", "instance_type": "ml.g5.12xlarge", "instances": {"min": 0, "max": 1}})

    assert warnings_of(portfolio) == [
        "warning: portfolio.yaml: pools[1] (spare-pool): no model is placed on this pool: its endpoint runs 1 ml.g5.12xlarge "
        "instance for nothing (1 x 7.09 = 7.09 USD/h at the catalog's on-demand price); place a model on it or remove it"
    ]


def test_a_pool_without_models_on_a_type_without_local_storage_is_planned_and_warned_about(portfolio):
    # Given a spare pool on ml.c7i.xlarge, whose volume is EBS (its size unknown to loadmaster), written without instances
    portfolio["pools"].append({"name": "spare-pool", "instance_type": "ml.c7i.xlarge"})

    assert warnings_of(portfolio) == [
        "warning: portfolio.yaml: pools[1] (spare-pool): no model is placed on this pool: its endpoint runs 1 ml.c7i.xlarge "
        "instance for nothing (1 x 0.214 = 0.214 USD/h at the catalog's on-demand price); place a model on it or remove it"
    ]


def test_a_pool_without_models_is_priced_at_the_portfolios_own_price_when_it_states_one(portfolio):
    portfolio["prices"] = {"ml.g5.12xlarge": 5.5}
    portfolio["pools"].append({"name": "spare-pool", "instance_type": "ml.g5.12xlarge", "instances": {"min": 2, "max": 2}})

    assert warnings_of(portfolio) == [
        "warning: portfolio.yaml: pools[1] (spare-pool): no model is placed on this pool: its endpoint runs 2 ml.g5.12xlarge "
        "instances for nothing (2 x 5.5 = 11 USD/h at your prices:); place a model on it or remove it"
    ]


# copies.max against the pool


@pytest.mark.parametrize(
    ("per_copy", "copies_max", "expected"),
    [
        ({"accelerators": 1, "memory_mb": 24576}, 20,
         "copies.max 20 cannot fit pool gpu-pool even with nothing else on it: one ml.g5.12xlarge holds 4 copies of "
         "1 accelerator each (4 GPUs), so instances.max 2 holds at most 2 x 4 = 8"),
        ({"accelerators": 1, "memory_mb": 131072}, 3,
         "copies.max 3 cannot fit pool gpu-pool even with nothing else on it: one ml.g5.12xlarge holds 1 copy of "
         "131072 MB each (176947 MB of memory for copies), so instances.max 2 holds at most 2 x 1 = 2"),
        ({"accelerators": 0, "memory_mb": 1024, "cpu_cores": 16}, 5,
         "copies.max 5 cannot fit pool gpu-pool even with nothing else on it: one ml.g5.12xlarge holds 2 copies of "
         "16 CPU cores each (45.6 vCPUs for copies), so instances.max 2 holds at most 2 x 2 = 4"),
    ],
    ids=["accelerators", "memory-a-copy-cannot-split-across-instances", "cpu"],
)
def test_copies_max_beyond_the_pool_even_alone_on_it_is_rejected_with_the_numbers(portfolio, per_copy, copies_max, expected):
    model(portfolio, BLOCKGEN).update(per_copy=per_copy, copies={"min": 1, "max": copies_max})

    assert problems_in(portfolio) == [f"portfolio.yaml: models[0] (blockgen).copies.max: {expected}"]


def test_copies_max_that_fits_the_pool_exactly_is_accepted(portfolio):
    model(portfolio, BLOCKGEN)["copies"]["max"] = 8

    assert warnings_of(portfolio) == []


def test_the_maxima_of_a_pools_models_together_beyond_its_instances_max_are_warned_about(portfolio):
    # Given two models that each fit the pool alone, 4 + 6 one-GPU copies against 2 x 4 GPUs
    portfolio["models"].append(copy.deepcopy(model(portfolio, BLOCKGEN)) | {"name": "flowgpt", "copies": {"min": 1, "max": 6}})

    assert warnings_of(portfolio) == [
        "warning: portfolio.yaml: pools[0] (gpu-pool).instances.max: its models at their maximum copies (blockgen 4, flowgpt 6) "
        "need 3 ml.g5.12xlarge instances as the planner packs them, but instances.max is 2: autoscaling stops before they "
        "all reach their maximum"
    ]


# Service quotas


def test_instances_of_a_type_beyond_loadmasters_threshold_are_warned_about_naming_the_quota(portfolio):
    model(portfolio, INLINE)["instances"]["max"] = 5

    assert warnings_of(portfolio) == [
        "warning: portfolio.yaml: quotas.ml.g5.2xlarge: up to 5 ml.g5.2xlarge instances at instances.max (inline 5): more "
        "than 4, loadmaster's threshold for the account's quota 'ml.g5.2xlarge for endpoint usage' (not an AWS figure); a "
        "deploy or scale-out past the quota fails, so check it in Service Quotas and write its value here"
    ]


def test_a_quota_the_portfolio_states_replaces_loadmasters_threshold(portfolio):
    model(portfolio, INLINE)["instances"]["max"] = 5
    portfolio["quotas"] = {"ml.g5.2xlarge": 5}

    assert warnings_of(portfolio) == []


def test_instances_beyond_a_quota_the_portfolio_states_are_warned_about(portfolio):
    # Given the pool's 2 ml.g5.12xlarge and inline's 2 ml.g5.2xlarge against a stated total of 3
    portfolio["quotas"] = {"instances": 3}

    assert warnings_of(portfolio) == [
        "warning: portfolio.yaml: quotas.instances: up to 4 instances at instances.max (pool gpu-pool 2, inline 2): more "
        "than this account's quota 'instances across all endpoints', 3; a deploy or scale-out past it fails (every "
        "endpoint in the account and region counts): raise it in Service Quotas first"
    ]


def test_endpoints_beyond_a_quota_the_portfolio_states_are_warned_about(portfolio):
    portfolio["quotas"] = {"endpoints": 1}

    assert warnings_of(portfolio) == [
        "warning: portfolio.yaml: quotas.endpoints: 2 endpoints: more than this account's quota 'endpoints', 1; a deploy "
        "or scale-out past it fails (every endpoint in the account and region counts): raise it in Service Quotas first"
    ]


def test_a_quota_key_that_is_neither_an_instance_type_nor_a_named_quota_is_rejected(portfolio):
    portfolio["quotas"] = {"ml.g5.2xlarg": 8}

    assert problems_in(portfolio) == [
        "portfolio.yaml: quotas.ml.g5.2xlarg: neither an instance type of the catalog nor one of instances, endpoints; did you mean `ml.g5.2xlarge`?"
    ]


# Regions and images


def in_region(document: dict, region: str) -> dict:
    document["region"] = region
    for each in document["models"]:
        each["image"] = IMAGE.replace("us-east-1", region)
    return document


def test_a_region_aws_does_not_have_is_warned_about_with_the_closest_one(portfolio):
    assert warnings_of(in_region(portfolio, "us-easst-1")) == [
        f"warning: portfolio.yaml: region: unknown region 'us-easst-1': not an AWS region {BOTOCORE} knows (did you mean us-east-1?)"
    ]


def test_a_region_without_sagemaker_is_warned_about(portfolio):
    # Given a region botocore knows, where it lists no SageMaker endpoint
    region = sorted(aws_regions() - sagemaker_regions())[0]

    assert warnings_of(in_region(portfolio, region)) == [f"warning: portfolio.yaml: region: {BOTOCORE} knows no SageMaker endpoint in {region}: check that SageMaker hosting is offered there"]


def test_a_portfolio_in_another_region_than_the_catalogs_prices_is_told_its_costs_are_that_regions(portfolio):
    # Given a portfolio in eu-west-1, priced by the shipped catalog's us-east-1 prices
    assert warnings_of(in_region(portfolio, "eu-west-1")) == [
        "warning: portfolio.yaml: region: costs are at the catalog's us-east-1 prices, and SageMaker's differ in eu-west-1: price it there with "
        "`loadmaster catalog refresh --region eu-west-1 --out FILE` and `--catalog FILE`, or write your prices under `prices:`"
    ]


def test_a_portfolio_with_its_own_prices_is_not_told_about_the_catalogs_region(portfolio):
    portfolio["prices"] = {"ml.g5.12xlarge": 7.8}

    assert warnings_of(in_region(portfolio, "eu-west-1")) == []


def test_an_image_in_another_region_than_the_portfolios_is_rejected(portfolio):
    model(portfolio, INLINE)["image"] = IMAGE.replace("us-east-1", "eu-west-1")

    assert problems_in(portfolio) == [
        "portfolio.yaml: models[1] (inline).image: the image is in eu-west-1, not in the portfolio's region us-east-1: "
        "SageMaker pulls images from Amazon ECR in the endpoint's region only; use the image's copy in us-east-1"
    ]


def test_images_in_several_regions_without_a_portfolio_region_are_rejected(portfolio):
    del portfolio["region"]
    model(portfolio, INLINE)["image"] = IMAGE.replace("us-east-1", "eu-west-1")

    assert problems_in(portfolio) == [
        "portfolio.yaml: region: not set, and the images are in several regions: us-east-1 (blockgen); eu-west-1 (inline). "
        "SageMaker pulls images from Amazon ECR in the endpoint's region only, so they cannot all deploy together; set "
        "region and keep every image there"
    ]


# Keys: typos and SageMaker features loadmaster does not support yet


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.update(data_capture={"sampling_percent": 10}), "data_capture: `data_capture` (SageMaker data capture) is not supported by loadmaster yet"),
        (lambda m: m.update(ExplainerConfig={}), "ExplainerConfig: `ExplainerConfig` (SageMaker Clarify online explainability) is not supported by loadmaster yet"),
        (lambda m: m.update(hosting="model-package"),
         f"hosting: `model-package` (SageMaker Model Registry packages) is not supported by loadmaster yet; hosting is {hostings_listed()}"),
    ],
    ids=["feature-key", "feature-key-in-camel-case", "unsupported-hosting"],
)
def test_a_sagemaker_feature_loadmaster_does_not_support_yet_is_named_instead_of_called_a_typo(portfolio, change, expected):
    change(model(portfolio, INLINE))

    assert problems_in(portfolio) == [f"portfolio.yaml: models[1] (inline).{expected}"]


def test_a_feature_name_deep_inside_a_model_is_only_an_unknown_key(portfolio):
    # `data_capture` names SageMaker data capture on a model, but inside `deployment` it can only be a misspelt key
    model(portfolio, INLINE)["deployment"] = {"data_capture": 25}

    assert problems_in(portfolio) == ["portfolio.yaml: models[1] (inline).deployment.data_capture: unknown key (check its spelling)"]


def test_a_misspelt_required_key_is_reported_once_with_the_key_it_resembles_and_not_as_missing(portfolio):
    model(portfolio, BLOCKGEN)["per_copy"] = {"accelerators": 1, "memroy_mb": 24576}

    assert problems_in(portfolio) == ["portfolio.yaml: models[0] (blockgen).per_copy.memroy_mb: unknown key `memroy_mb`: did you mean `memory_mb`?"]


# The commands: warnings on stderr, exit code 0, stdout as before


@pytest.fixture
def with_a_spare_pool(portfolio) -> str:
    portfolio["pools"].append({"name": "spare-pool", "instance_type": "ml.g5.12xlarge", "instances": {"min": 1, "max": 1}})
    return written(portfolio)


SPARE_POOL_WARNING = (
    "warning: portfolio.yaml: pools[1] (spare-pool): no model is placed on this pool: its endpoint runs 1 ml.g5.12xlarge "
    "instance for nothing (1 x 7.09 = 7.09 USD/h at the catalog's on-demand price); place a model on it or remove it"
)


def test_validate_prints_the_warnings_on_stderr_once_and_exits_0(with_a_spare_pool, capsys):
    code = main(["validate", with_a_spare_pool])
    out, err = capsys.readouterr()

    assert (code, err) == (0, SPARE_POOL_WARNING + "\n")
    assert out.startswith("portfolio.yaml is valid.")


def test_plan_as_json_keeps_stdout_json_and_carries_the_warnings_too(with_a_spare_pool, capsys):
    code = main(["plan", with_a_spare_pool, "--format", "json"])
    out, err = capsys.readouterr()

    assert (code, err) == (0, SPARE_POOL_WARNING + "\n")
    assert json.loads(out)["warnings"] == [{"location": "pools[1] (spare-pool)", "message": SPARE_POOL_WARNING.split("(spare-pool): ", 1)[1]}]


@pytest.mark.slow
def test_synth_prints_the_warnings_and_synthesizes(with_a_spare_pool, capsys, tmp_path):
    # An absolute --out: jsii's Node process keeps the working directory it started in, which another test may have set
    code = main(["synth", with_a_spare_pool, "--out", str(tmp_path / "cdk.out")])
    _, err = capsys.readouterr()

    assert code == 0
    assert err.splitlines()[0] == SPARE_POOL_WARNING
    assert err.count("warning: ") == 1
    assert (tmp_path / "cdk.out" / "manifest.json").exists()


@pytest.mark.slow
def test_cdk_synth_through_app_py_prints_the_warnings_and_synthesizes(with_a_spare_pool, tmp_path):
    portfolio_file = Path(with_a_spare_pool).resolve()
    environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"portfolio": str(portfolio_file)}), "CDK_OUTDIR": str(tmp_path / "out")}

    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment)

    assert result.returncode == 0, result.stderr
    assert f"warning: {portfolio_file}: pools[1] (spare-pool): no model is placed on this pool" in result.stderr
    assert (tmp_path / "out" / "demo-hosting.template.json").exists()
