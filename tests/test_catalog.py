"""The instance catalog: every SageMaker hosting instance type, each figure with its source, and the same catalog for
`plan`, `validate`, `synth` and `cdk synth`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest

from loadmaster.catalog import ACCELERATOR_KINDS, CATALOG_FILE, load_catalog
from loadmaster.cli import main
from loadmaster.planner.make import make_plan
from loadmaster.planner.render import plan_document, render_markdown
from loadmaster.spec.load import validate_portfolio
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"


def hosting_instance_types() -> list[str]:
    """What a SageMaker production variant accepts, from the pinned botocore's service model."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.shape_for("ProductionVariantInstanceType").enum


def shipped_document() -> dict:
    return json.loads(CATALOG_FILE.read_text())


def run(argv, capsys) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def catalog_without(instance_type: str, tmp_path: Path) -> Path:
    document = shipped_document()
    document["instances"] = [row for row in document["instances"] if row["instance_type"] != instance_type]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document))
    return path


# --- what the catalog covers

def test_the_catalog_has_every_hosting_instance_type_of_botocores_enum_and_nothing_else():
    # Given the instance types a production variant accepts; When the shipped catalog is loaded
    enum, catalog = hosting_instance_types(), load_catalog()
    # Then none is missing (a newer botocore's additions fail here), and the catalog invents none
    assert sorted(set(enum) - set(catalog.instance_types)) == []
    assert sorted(set(catalog.instance_types) - set(enum)) == []


def test_every_accelerator_says_its_kind_and_memory_per_device_once():
    catalog = load_catalog()
    kinds = {instance.accelerator_kind for instance in catalog.instance_types.values()}
    assert kinds == {None, *ACCELERATOR_KINDS}
    for instance in catalog.instance_types.values():
        accelerated = instance.accelerators > 0
        assert accelerated == (instance.accelerator is not None) == (instance.accelerator_kind is not None), instance.name
        assert (instance.accelerator_memory_gib > 0) == accelerated, instance.name


@pytest.mark.parametrize(("name", "kind", "devices", "memory_gib"), [
    ("ml.g4dn.xlarge", "nvidia-gpu", 1, 16),
    ("ml.g7e.12xlarge", "nvidia-gpu", 2, 96),
    ("ml.p6-b200.48xlarge", "nvidia-gpu", 8, 179),
    ("ml.inf1.6xlarge", "neuron", 4, 8),
    ("ml.trn2.48xlarge", "neuron", 16, 96),
    ("ml.dl1.24xlarge", "gaudi", 8, 32),
    ("ml.c6i.large", None, 0, 0),
])
def test_accelerated_types_name_their_kind_devices_and_memory(name, kind, devices, memory_gib):
    instance = load_catalog()[name]
    assert (instance.accelerator_kind, instance.accelerators, instance.accelerator_memory_gib) == (kind, devices, memory_gib)


def test_host_memory_keeps_ec2s_fractions_and_memory_mb_stays_whole():
    # ml.c4.large has 3.75 GiB (3840 MiB), the unit of an inference component's MinMemoryRequiredInMb
    instance = load_catalog()["ml.c4.large"]
    assert (instance.memory_gib, instance.memory_mb) == (3.75, 3840)


def test_every_figure_names_a_source_with_a_title_and_a_date():
    document = shipped_document()
    for key, source in document["sources"].items():
        assert source.get("title") and source.get("date"), key
    for name, accelerator in document["accelerators"].items():
        assert accelerator["source"] in document["sources"], name
    for row in document["instances"]:
        for field, key in row["sources"].items():
            assert key is None if field == "price_usd_per_hour" and row["price_usd_per_hour"] is None else key in document["sources"], (row["instance_type"], field)


def test_a_type_whose_hosting_price_has_no_source_has_no_price_rather_than_an_invented_one():
    catalog = load_catalog()
    unpriced = [instance for instance in catalog.instance_types.values() if instance.price_usd_per_hour is None]
    assert unpriced and all(instance.price_source is None and not instance.price_is_estimate for instance in unpriced)
    assert catalog["ml.p5en.48xlarge"].price_usd_per_hour is None


def test_estimated_prices_are_marked_with_their_method_and_published_ones_are_not():
    catalog = load_catalog()
    estimated, published = catalog["ml.g6.xlarge"], catalog["ml.g6.12xlarge"]
    assert estimated.price_is_estimate and "estimate" in estimated.price_source_title
    assert not published.price_is_estimate and published.price_usd_per_hour == 5.752


def test_the_p4d_price_is_its_sagemaker_hosting_price_not_a_figure_derived_from_ec2():
    # aws-samples/foundation-model-benchmarking-tool pricing.yml: ml.p4d.24xlarge real-time hosting, 37.688 USD/h
    instance = load_catalog()["ml.p4d.24xlarge"]
    assert (instance.price_usd_per_hour, instance.price_source, instance.price_is_estimate) == (37.688, "fmbench-pricing", False)


def test_a_portfolio_price_replaces_an_estimate_and_is_not_one():
    catalog = load_catalog().with_prices({"ml.g6.xlarge": 1.1}, source="portfolio.yaml: prices")
    assert (catalog["ml.g6.xlarge"].price_usd_per_hour, catalog["ml.g6.xlarge"].price_is_estimate) == (1.1, False)


# --- estimates in the plan's output

def dedicated_on(instance_type: str):
    document = {"version": 1, "name": "test", "region": "us-east-1", "models": [
        {"name": "m", "image": IMAGE, "hosting": "dedicated", "instance_type": instance_type, "size_gb": 2}]}
    catalog = load_catalog()
    return make_plan(validate_portfolio(document, "test.yaml", catalog), "test.yaml", catalog)


def test_the_plan_lists_the_instance_types_it_uses_whose_price_is_an_estimate_with_the_method():
    # Given a model on ml.g6.xlarge, whose price is scaled from a sibling size
    plan = dedicated_on("ml.g6.xlarge")
    # Then the JSON and the Markdown say so, with the source's title
    assert plan_document(plan)["estimated_prices"] == [
        {"instance_type": "ml.g6.xlarge", "price_usd_per_hour": 1.0056, "source": "estimate scaled from a sibling size of the same family"}]
    assert "- ml.g6.xlarge: 1.0056 USD/h, estimate scaled from a sibling size of the same family" in render_markdown(plan)


def test_a_plan_on_published_prices_lists_no_estimates():
    plan = dedicated_on("ml.g6.12xlarge")
    assert plan_document(plan)["estimated_prices"] == []
    assert "Estimated prices" not in render_markdown(plan)


# --- unknown instance types

@pytest.mark.parametrize(("written", "message"), [
    ("ml.g5.3xlarge", "unknown instance type 'ml.g5.3xlarge'; the catalog's ml.g5 sizes are xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, 24xlarge, 48xlarge"),
    ("g4dn.xlarge", "unknown instance type 'g4dn.xlarge'; did you mean ml.g4dn.xlarge or ml.g4dn.8xlarge or ml.g4dn.4xlarge?"),
    ("ml.foo.bar", "unknown instance type 'ml.foo.bar': not a SageMaker hosting instance type (they look like ml.g5.xlarge)"),
])
def test_an_unknown_instance_type_is_answered_with_the_names_meant_not_all_fifty_families(written, message, capsys, tmp_path):
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text(EXAMPLE.read_text().replace("instance_type: ml.g5.2xlarge", f"instance_type: {written}"))
    code, _, err = run(["validate", portfolio], capsys)
    assert code == 2 and err.endswith(f".instance_type: {message}\n")


# --- the same catalog everywhere

@pytest.mark.parametrize("command", [["plan"], ["validate"], ["synth", "--out", "{tmp}/out"]])
def test_every_planning_command_checks_the_portfolio_against_the_catalog_it_is_given(command, capsys, tmp_path):
    # Given a catalog without ml.g5.12xlarge, the instance type of the example's a10g pool
    catalog = catalog_without("ml.g5.12xlarge", tmp_path)
    # When the example is planned, validated or synthesized with it
    argv = [command[0], EXAMPLE, *[arg.format(tmp=tmp_path) for arg in command[1:]], "--catalog", catalog]
    code, _, err = run(argv, capsys)
    # Then the pool's instance type is unknown, as the plan would say, and nothing is synthesized
    assert code == 2 and "pools[0] (a10g-pool).instance_type: unknown instance type 'ml.g5.12xlarge'" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("content", "reason"), [
    (None, "cannot read it"),
    ("{not json", "not JSON"),
    (json.dumps({"schema": 1, "instances": []}), "schema 1 is not the supported instance catalog schema 2"),
    (json.dumps({"schema": 2, "sources": {}, "accelerators": {}, "instances": [{"instance_type": "ml.g5.xlarge", "accelerator": "NVIDIA A10G"}]}),
     "ml.g5.xlarge: missing or unknown 'NVIDIA A10G'"),
    (json.dumps({"schema": 2, "instances": {}}), "'instances' must be a list, found dict"),
])
@pytest.mark.parametrize("command", ["plan", "validate", "synth"])
def test_a_bad_catalog_file_is_bad_input_in_one_line_naming_it(command, content, reason, capsys, tmp_path):
    catalog = tmp_path / "catalog.json"
    if content is not None:
        catalog.write_text(content)
    code, out, err = run([command, EXAMPLE, "--catalog", catalog, *(["--out", tmp_path / "out"] if command == "synth" else [])], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"{catalog}: not a readable instance catalog: {reason}") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def shipped_with(instance_type: str, tmp_path: Path, **fields) -> Path:
    document = shipped_document()
    next(row for row in document["instances"] if row["instance_type"] == instance_type).update(fields)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(("fields", "reason"), [
    ({"vcpu": 0}, "ml.g5.xlarge: vcpu must be a whole number of at least 1, found 0"),
    ({"memory_gib": "16 GiB"}, "ml.g5.xlarge: memory_gib must be a positive number, found '16 GiB'"),
    ({"accelerator": None}, "ml.g5.xlarge: 1 accelerators but no accelerator model"),
    ({"sources": {"shape": "ec2-instance-types", "price_usd_per_hour": None}}, "ml.g5.xlarge: a price_usd_per_hour needs its source"),
])
def test_a_catalog_row_that_cannot_be_right_is_refused_naming_the_type_and_field(fields, reason, capsys, tmp_path):
    code, _, err = run(["plan", EXAMPLE, "--catalog", shipped_with("ml.g5.xlarge", tmp_path, **fields)], capsys)
    assert code == 2 and f"not a readable instance catalog: {reason}" in err and err.count("\n") == 1


def test_a_catalog_that_lists_a_type_twice_is_refused(capsys, tmp_path):
    document = shipped_document()
    document["instances"].append(document["instances"][0])
    (tmp_path / "catalog.json").write_text(json.dumps(document))
    code, _, err = run(["validate", EXAMPLE, "--catalog", tmp_path / "catalog.json"], capsys)
    assert code == 2 and err.endswith(f"not a readable instance catalog: {document['instances'][0]['instance_type']}: listed twice\n")


def cdk_app(tmp_path: Path, **context: str) -> subprocess.CompletedProcess:
    """`python app.py` as `cdk synth -c key=value` runs it: the CLI passes context in CDK_CONTEXT_JSON."""
    environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path / "cdk.out")}
    return subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment)


def test_cdk_synth_plans_with_the_catalog_of_its_context_key(tmp_path):
    # Given `-c catalog=FILE` naming a catalog without the example's ml.g5.12xlarge
    result = cdk_app(tmp_path, catalog=str(catalog_without("ml.g5.12xlarge", tmp_path)))
    # Then the app refuses the portfolio as `loadmaster synth --catalog FILE` does, in one line per problem, exit 2
    assert result.returncode == 2, result.stderr
    assert "pools[0] (a10g-pool).instance_type: unknown instance type 'ml.g5.12xlarge'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "cdk.out" / "codegen-platform-hosting.template.json").exists()


def test_cdk_synth_with_an_unreadable_catalog_exits_2_in_one_line(tmp_path):
    result = cdk_app(tmp_path, catalog=str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{tmp_path / 'missing.json'}: not a readable instance catalog: cannot read it") and result.stderr.count("\n") == 1
