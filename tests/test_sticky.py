"""What the planner placed stays where the lock file has it (loadmaster.sticky): a traffic change re-sizes pools and
endpoints but moves no model to another one, unless the user asks for a new plan with --replan."""

from __future__ import annotations

import json

import pytest
import yaml

from loadmaster.cli import main
from loadmaster.identity import lock_path, write_lock
from loadmaster.planner.make import plan_file
from loadmaster.sticky import REPLAN_HINT
from loadmaster.synthesis import PROJECT_ROOT

AUTO_EXAMPLE = PROJECT_ROOT / "examples" / "auto-platform.yaml"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"


def auto_example() -> dict:
    return yaml.safe_load(AUTO_EXAMPLE.read_text())


def with_flowgpt_steadier(document: dict) -> dict:
    """Traffic only: flowgpt's mean 6 -> 14, and steady. Planned afresh, it leaves its pool for an endpoint of its own."""
    flowgpt = next(model for model in document["models"] if model["name"] == "flowgpt")
    flowgpt["traffic"] = {"pattern": "steady", "mean_concurrency": 14, "peak_concurrency": 20}
    return document


def placements(plan) -> dict[str, str]:
    """model -> `pool NAME (TYPE)` or `dedicated (TYPE)`."""
    placed = {component.model: f"pool {pool.name} ({pool.instance_type.name})" for pool in plan.pools for component in pool.components}
    placed.update({model.model: f"dedicated ({model.instance_type.name})" for model in plan.dedicated})
    return placed


def names(plan) -> set[str]:
    return {pool.endpoint_name for pool in plan.pools} | {model.endpoint_name for model in plan.dedicated} | {
        component.component_name for pool in plan.pools for component in pool.components}


def reasons_of(plan, model: str) -> tuple[str, ...]:
    entries = [component for pool in plan.pools for component in pool.components] + list(plan.dedicated)
    return next(entry.reasons for entry in entries if entry.model == model)


@pytest.fixture(scope="module")
def deployed():
    """Given the auto example planned and locked."""
    plan = plan_file(AUTO_EXAMPLE, previous=None)
    return plan, plan.identities


def planned(tmp_path, document: dict, lock, **options):
    path = tmp_path / "auto-platform.yaml"
    path.write_text(yaml.safe_dump(document))
    return plan_file(path, previous=lock, **options)


def test_planned_afresh_a_traffic_change_moves_a_model_to_another_endpoint(deployed, tmp_path):
    # The reason for the lock: without it, clients of flowgpt would have to call a new endpoint
    base, _ = deployed
    fresh = planned(tmp_path, with_flowgpt_steadier(auto_example()), None)
    assert placements(base)["flowgpt"] == "pool auto-g6-2xlarge (ml.g6.2xlarge)"
    assert placements(fresh)["flowgpt"] == "dedicated (ml.g6.2xlarge)"


def test_a_traffic_change_keeps_every_model_where_the_lock_has_it_with_its_pool_resized(deployed, tmp_path):
    base, lock = deployed
    # When
    plan = planned(tmp_path, with_flowgpt_steadier(auto_example()), lock)
    # Then
    assert placements(plan) == placements(base)
    assert names(plan) == names(base) and plan.replaced == ()
    resized = {pool.name: pool.instances for pool in plan.pools}
    assert resized["auto-g6-2xlarge"].min > {pool.name: pool.instances for pool in base.pools}["auto-g6-2xlarge"].min  # steady at 14


def test_each_kept_model_and_pool_says_it_was_kept_from_the_lock_and_how_to_replan(deployed, tmp_path):
    _, lock = deployed
    plan = planned(tmp_path, with_flowgpt_steadier(auto_example()), lock)
    for model in placements(plan):
        (reason,) = reasons_of(plan, model)
        assert reason.startswith("kept from the lock: ") and "--replan" in reason
    assert reasons_of(plan, "flowgpt") == ("kept from the lock: pool auto-g6-2xlarge on ml.g6.2xlarge, sized for today's traffic; "
                                           "`loadmaster plan --replan` plans it afresh (and `-c replan=true` deploys that)",)
    assert all(any("kept from the lock on" in note for note in pool.notes) for pool in plan.pools)


def test_replan_plans_afresh_and_names_the_move(deployed, tmp_path):
    _, lock = deployed
    # When
    plan = planned(tmp_path, with_flowgpt_steadier(auto_example()), lock, replan=True)
    # Then
    assert placements(plan) == placements(planned(tmp_path, with_flowgpt_steadier(auto_example()), None))
    assert plan.replaced == ("model flowgpt: new dedicated endpoint auto-platform-flowgpt replaces inference component auto-platform-flowgpt",)
    assert not any("kept from the lock" in reason for model in placements(plan) for reason in reasons_of(plan, model))


def test_a_new_model_joins_the_kept_pool_of_the_instance_type_the_planner_gives_it(deployed, tmp_path):
    base, lock = deployed
    document = auto_example()
    document["models"].insert(0, {"name": "docstring", "image": IMAGE, "hosting": "auto", "size_gb": 2,
                                  "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 6}})
    # When
    plan = planned(tmp_path, document, lock)
    # Then
    assert placements(plan) == {**placements(base), "docstring": "pool auto-g4dn-xlarge (ml.g4dn.xlarge)"}
    assert names(plan) == names(base) | {"auto-platform-docstring"}
    assert reasons_of(plan, "docstring")[-1].startswith("chosen: inference-component")  # planned as without a lock


def test_a_model_that_no_longer_fits_its_locked_pool_alone_is_planned_afresh_and_says_why(deployed, tmp_path):
    base, lock = deployed
    document = auto_example()
    next(model for model in document["models"] if model["name"] == "blockgen")["size_gb"] = 40  # past the L4's 24 GB
    # When
    plan = planned(tmp_path, document, lock)
    # Then
    moved = {model: where for model, where in placements(plan).items() if where != placements(base)[model]}
    assert list(moved) == ["blockgen"]
    assert reasons_of(plan, "blockgen")[0] == ("not kept where the lock has it (pool auto-g6-2xlarge on ml.g6.2xlarge): "
                                               "one copy no longer fits it; planned afresh")
    assert plan.replaced and plan.replaced[0].startswith("model blockgen: new inference component auto-platform-blockgen-v2")


def test_a_model_whose_fields_now_choose_its_hosting_is_not_kept_on_the_other(deployed, tmp_path):
    base, lock = deployed
    document = auto_example()
    inline = next(model for model in document["models"] if model["name"] == "inline")
    inline["copies"] = {"min": 1, "max": 4}  # only inference components have copies: the lock has it dedicated
    # When
    plan = planned(tmp_path, document, lock)
    # Then
    assert placements(base)["inline"].startswith("dedicated") and placements(plan)["inline"].startswith("pool ")
    assert reasons_of(plan, "inline")[0].endswith("the model's fields now ask for hosting inference-component; planned afresh")


def test_plan_reads_the_lock_beside_the_portfolio_and_replan_plans_afresh(deployed, tmp_path, capsys):
    # Given the changed portfolio beside the example's lock
    _, lock = deployed
    path = tmp_path / "auto-platform.yaml"
    path.write_text(yaml.safe_dump(with_flowgpt_steadier(auto_example())))
    write_lock(lock_path(path), lock)
    # When
    kept = main(["plan", str(path), "--format", "json"]), json.loads(capsys.readouterr().out)
    fresh = main(["plan", str(path), "--format", "json", "--replan"]), json.loads(capsys.readouterr().out)
    # Then
    flowgpt = [next(model for model in output["models"] if model["name"] == "flowgpt") for _, output in (kept, fresh)]
    assert (kept[0], fresh[0]) == (0, 0)
    assert [(model["hosting"], model["pool"]) for model in flowgpt] == [("inference-component", "auto-g6-2xlarge"), ("dedicated", None)]
    assert flowgpt[0]["reasons"][0].startswith("kept from the lock") and not flowgpt[1]["reasons"][0].startswith("kept from the lock")


def test_plan_help_shows_replan(capsys):
    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    assert "--replan" in capsys.readouterr().out


def test_in_a_region_without_inference_components_pooled_models_are_planned_afresh_and_say_why(deployed, tmp_path):
    base, lock = deployed
    document = yaml.safe_load(AUTO_EXAMPLE.read_text().replace("us-east-1", "eu-west-3"))  # images in the region too
    # When
    plan = planned(tmp_path, document, lock)
    # Then
    assert plan.pools == () and placements(plan)["inline"] == placements(base)["inline"]
    assert reasons_of(plan, "textevel")[0] == ("not kept where the lock has it (pool auto-g4dn-xlarge on ml.g4dn.xlarge): CloudFormation in "
                                               "eu-west-3 has no AWS::SageMaker::InferenceComponent; planned afresh")


# Every pattern's placement is kept: each pattern says where the lock has a model of it (HostingPattern.placement_in).

CPU_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
TRANSCRIBE = {"name": "transcribe", "image": IMAGE, "hosting": "auto", "size_gb": 2,
              "request": {"payload_mb": 1000, "processing_s": 600, "callers_wait_for_s3": True},
              "traffic": {"pattern": "intermittent", "mean_concurrency": 1, "peak_concurrency": 6}}
TAGGER = {"name": "tagger", "image": CPU_IMAGE, "hosting": "auto", "size_gb": 0.5, "devices": ["cpu"],
          "traffic": {"pattern": "intermittent", "mean_concurrency": 0.2, "peak_concurrency": 4}}


def with_models(*models: dict) -> dict:
    document = auto_example()
    document["models"] += [dict(model) for model in models]
    return document


def with_busier_tagger(document: dict) -> dict:
    """Traffic only: tagger steady at 20 concurrent requests, which instances serve for less than serverless."""
    tagger = next(model for model in document["models"] if model["name"] == "tagger")
    tagger["traffic"] = {"pattern": "steady", "mean_concurrency": 20, "peak_concurrency": 30}
    return document


def test_a_model_the_planner_made_serverless_stays_serverless_when_its_traffic_changes(tmp_path):
    # Given tagger planned serverless and locked
    base = planned(tmp_path, with_models(TAGGER), None)
    assert [unit.model for unit in base.units_of("serverless")] == ["tagger"]
    # and, planned afresh, busier traffic would move it onto instances
    assert not planned(tmp_path, with_busier_tagger(with_models(TAGGER)), None).units_of("serverless")

    # When its traffic changes with the lock
    plan = planned(tmp_path, with_busier_tagger(with_models(TAGGER)), base.identities)

    # Then it stays on its serverless endpoint, and says so
    (tagger,) = plan.units_of("serverless")
    assert tagger.endpoint_name == "auto-platform-tagger" and plan.replaced == ()
    assert tagger.reasons == (f"kept from the lock: serverless endpoint, sized for today's traffic; {REPLAN_HINT}",)


def test_a_model_the_planner_made_async_stays_on_its_locked_instance_type(tmp_path):
    # Given transcribe planned async on the cheapest type that holds it, and locked
    base = planned(tmp_path, with_models(TRANSCRIBE), None)
    (locked,) = base.units_of("async")
    # and, planned afresh, a price change would move it to another type
    cheaper = with_models(TRANSCRIBE) | {"prices": {locked.instance_type.name: 100.0}}
    (fresh,) = planned(tmp_path, cheaper, None).units_of("async")
    assert fresh.instance_type.name != locked.instance_type.name

    # When the price changes with the lock
    (kept,) = planned(tmp_path, cheaper, base.identities).units_of("async")

    # Then it stays on its locked type, and says so
    assert kept.instance_type.name == locked.instance_type.name and kept.endpoint_name == locked.endpoint_name
    assert kept.reasons[0].startswith(f"kept from the lock: async endpoint on {locked.instance_type.name}, sized for today's traffic")


def test_a_new_model_the_planner_makes_async_beside_kept_pools_gets_its_own_endpoint(deployed, tmp_path):
    # Given the auto example locked with its pools
    base, lock = deployed

    # When a model whose requests only async serves is added
    plan = planned(tmp_path, with_models(TRANSCRIBE), lock)

    # Then it is planned on an async endpoint of its own, and the others stay where they were
    (transcribe,) = plan.units_of("async")
    assert transcribe.model == "transcribe" and placements(plan) == placements(base)
    assert transcribe.reasons[-1].startswith("chosen: async")


def test_a_component_the_user_moves_to_another_pool_is_planned_as_its_next_generation_and_the_others_keep_theirs(tmp_path):
    from loadmaster.synthesis import DEFAULT_PORTFOLIO

    # Given the built-in example planned and locked, then textevel moved from the A10G pool to the A100 pool
    locked = plan_file(DEFAULT_PORTFOLIO).identities
    text = DEFAULT_PORTFOLIO.read_text()
    assert text.count("    pool: a10g-pool\n    per_copy: {accelerators: 1, memory_mb: 8192") == 1
    moved = tmp_path / "moved.yaml"
    moved.write_text(text.replace("    pool: a10g-pool\n    per_copy: {accelerators: 1, memory_mb: 8192", "    pool: a100-pool\n    per_copy: {accelerators: 1, memory_mb: 8192"))

    plan = plan_file(moved, previous=locked)

    # Then the moved component is a second generation under a new name, beside the old one; the others stay first generations
    components = {component.model: (component.component_name, component.generation) for pool in plan.pools for component in pool.components}
    assert components["textevel"] == ("codegen-platform-textevel-v2", 2)
    assert components["blockgen"] == ("codegen-platform-blockgen", 1)


def test_models_whose_hosting_is_written_but_not_their_placement_are_kept_where_the_lock_has_them(tmp_path):
    # Given an inference component without a pool and a dedicated endpoint without an instance type, planned and locked
    written = [{"name": "docs", "image": IMAGE, "hosting": "inference-component", "size_gb": 2,
                "traffic": {"pattern": "variable", "mean_concurrency": 1, "peak_concurrency": 6}},
               {"name": "search", "image": IMAGE, "hosting": "dedicated", "size_gb": 2,
                "traffic": {"pattern": "steady", "mean_concurrency": 4, "peak_concurrency": 6}}]
    base = planned(tmp_path, with_models(*written), None)
    # When they are planned again with the lock
    plan = planned(tmp_path, with_models(*written), base.identities)
    # Then both stay where the planner put them, and say they were kept
    assert placements(plan) == placements(base)
    assert reasons_of(plan, "docs")[0].startswith(f"kept from the lock: {placements(base)['docs'].split(' (')[0]} on ")
    assert reasons_of(plan, "search")[0].startswith("kept from the lock: dedicated endpoint on ")


def test_a_model_whose_locked_type_left_the_catalog_is_planned_afresh_and_says_why(deployed, tmp_path):
    from loadmaster.catalog import Catalog, load_catalog

    base, lock = deployed
    catalog = load_catalog()
    without_l4 = Catalog({name: instance for name, instance in catalog.instance_types.items() if name != "ml.g6.2xlarge"}, catalog.sources, catalog.region)
    path = tmp_path / "auto-platform.yaml"
    path.write_text(yaml.safe_dump(auto_example()))
    # When
    plan = plan_file(path, catalog=without_l4, previous=lock)
    # Then
    assert placements(base)["blockgen"] == "pool auto-g6-2xlarge (ml.g6.2xlarge)"
    assert reasons_of(plan, "blockgen")[0] == ("not kept where the lock has it (pool auto-g6-2xlarge on ml.g6.2xlarge): "
                                               "the instance catalog no longer has that type; planned afresh")


def test_a_model_whose_devices_now_leave_out_its_locked_types_hardware_names_them_all(deployed, tmp_path):
    base, lock = deployed
    document = auto_example()
    next(model for model in document["models"] if model["name"] == "blockgen")["devices"] = ["neuron", "cpu"]
    # When
    plan = planned(tmp_path, document, lock)
    # Then
    assert reasons_of(plan, "blockgen")[0] == ("not kept where the lock has it (pool auto-g6-2xlarge on ml.g6.2xlarge): "
                                               "its devices (neuron, cpu) no longer include the gpu of that type; planned afresh")
