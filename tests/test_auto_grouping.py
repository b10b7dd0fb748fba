"""`hosting: auto` groups models onto one endpoint that serves several (loadmaster.planner.grouping): many small
similar models behind one container (multi-model), a few heterogeneous CPU models with little traffic each as the
containers of one endpoint (multi-container, direct invocation), only where that costs less than each alone, each
member saying why and how callers invoke it now."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from loadmaster.planner.make import plan_file

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
PYTORCH_CPU = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker"
TRITON = "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3"
PYTORCH_GPU = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker"
# 9 invocations a minute of 3.3 s each: alone, serverless by the second (0.035 USD/h) is its cheapest hosting
QUIET = {"pattern": "steady", "mean_concurrency": 0.5, "peak_concurrency": 1, "requests_per_s": 0.15}


def shop(index: int, **changes) -> dict:
    """A small sklearn model under s3://models/shops/, with little traffic, left to the planner."""
    return {"name": f"shop-{index}", "hosting": "auto", "image": SKLEARN, "artifact": f"s3://models/shops/shop-{index}.tar.gz",
            "size_gb": 0.2, "traffic": QUIET} | changes


SHOPS = [shop(index) for index in range(1, 7)]
TABULAR = [
    {"name": "churn", "hosting": "auto", "image": XGBOOST, "artifact": "s3://models/churn/model.tar.gz", "size_gb": 0.3,
     "traffic": {"pattern": "variable", "mean_concurrency": 0.8, "peak_concurrency": 2}},
    {"name": "fraud", "hosting": "auto", "image": SKLEARN, "artifact": "s3://models/fraud/model.tar.gz", "size_gb": 0.2,
     "traffic": {"pattern": "variable", "mean_concurrency": 0.8, "peak_concurrency": 2}},
    {"name": "ltv", "hosting": "auto", "image": PYTORCH_CPU, "artifact": "s3://models/ltv/model.tar.gz", "size_gb": 0.5,
     "traffic": {"pattern": "variable", "mean_concurrency": 0.8, "peak_concurrency": 2}},
]


def document(*models: dict) -> dict:
    return {"version": 1, "name": "retail", "region": "us-east-1", "models": [dict(model) for model in models]}


def plan_of(tmp_path: Path, *models: dict, name: str = "retail"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document(*models), sort_keys=False))
    return plan_file(path, previous=None)


def entries(plan) -> dict[str, dict]:
    """The plan's model entries, as `loadmaster plan --format json` lists them, by name."""
    return {entry["name"]: entry for unit in plan.units for entry in unit.model_documents()}


# Multi-model


def test_six_small_similar_models_under_one_prefix_go_behind_one_multi_model_container(tmp_path):
    # Given six small sklearn models under s3://models/shops/, 9 invocations a minute each, each serverless alone
    plan = plan_of(tmp_path, *SHOPS)

    # Then one multi-model endpoint of one ml.c5.large holds them, each by its path under the prefix
    (endpoint,) = plan.units_of("multi-model")
    assert endpoint.container.artifact == "s3://models/shops/" and endpoint.instance_type.name == "ml.c5.large"
    assert [(held.name, held.target_model) for held in endpoint.held] == [(f"shop-{index}", f"shop-{index}.tar.gz") for index in range(1, 7)]
    assert plan.cost.hourly_at_mean == pytest.approx(0.102)
    # and each member's entry says how callers invoke it now, and why, with both costs and the assumption
    shop_1 = entries(plan)["shop-1"]
    assert shop_1["hosting"] == "multi-model" and shop_1["grouped_in"] == endpoint.model
    assert shop_1["invoke"] == {"EndpointName": endpoint.endpoint_name, "TargetModel": "shop-1.tar.gz"}
    cost = shop_1["reasons"][0]
    assert cost.startswith(f"cost: grouped on multi-model endpoint {endpoint.model} with shop-2, shop-3, shop-4, shop-5, shop-6: 0.102 USD/h at the floor and 0.102 at mean")
    assert "alone, each on the hosting the fitness functions choose for it (shop-1 serverless, shop-2 serverless" in cost
    assert "0.216 at the floor and 0.216 at mean (what a copy costs as weighed, times its copies at that traffic)" in cost
    assert [reason.split(":")[0] for reason in shop_1["reasons"]] == [
        "cost", "cost alone", "inference latency", "throughput", "scaling complexity", "traffic pattern", "inference latency", "chosen"]
    assert shop_1["reasons"][1].startswith("cost alone: alone, a copy takes a whole ml.c5.large (0.102 USD/h); serverless at 1024 MB")
    assert shop_1["reasons"][-1].startswith("chosen: multi-model, grouped by the planner: one container serves 6 models")


def test_the_lock_records_the_models_a_groups_endpoint_serves(tmp_path):
    # Given the six shop models grouped on one multi-model endpoint
    plan = plan_of(tmp_path, *SHOPS)
    (endpoint,) = plan.units_of("multi-model")
    # Then the lock keys the endpoint by the group and records its members: a later plan that moves one says where
    assert plan.identities.endpoints[endpoint.key].members == tuple(f"shop-{index}" for index in range(1, 7))
    assert str(plan.identities.hosting_of("shop-3")) == f"multi-model endpoint {endpoint.endpoint_name}"


def test_the_plan_for_people_names_each_grouped_models_endpoint_and_target_model(tmp_path):
    from loadmaster.planner.render import render_markdown
    from loadmaster.summary import render_summary

    plan = plan_of(tmp_path, *SHOPS)
    (endpoint,) = plan.units_of("multi-model")

    invocation = f"callers invoke it with EndpointName {endpoint.endpoint_name}, TargetModel shop-3.tar.gz"
    assert f"- {invocation}" in render_markdown(plan).splitlines()
    assert f"    model shop-3: {invocation}" in render_summary(plan).splitlines()


@pytest.mark.parametrize("odd_one, reason", [
    (shop(6, size_gb=2.0), "its 2 GB is more than 4x from the others' 0.2..0.2 GB"),
    (shop(6, traffic=QUIET | {"requests_per_s": 0.8, "peak_concurrency": 0.5}), "it has 52% of the traffic of the models like it"),
    (shop(6, traffic=QUIET | {"requests_per_s": 1.5}), "its peak of 180 invocations a minute is more than one instance's target (70)"),
    (shop(6, latency_slo_ms=200), "its 200 ms objective is shorter than loading the model on its first invocation"),
])
def test_a_model_much_larger_busier_or_in_a_hurry_stays_out_of_the_group_and_says_why(tmp_path, odd_one, reason):
    # Given five shops and a sixth unlike them
    plan = plan_of(tmp_path, *SHOPS[:5], odd_one)

    # Then the five share the endpoint and the sixth is on its own, saying why
    (endpoint,) = plan.units_of("multi-model")
    assert [held.name for held in endpoint.held] == [f"shop-{index}" for index in range(1, 6)]
    shop_6 = entries(plan)["shop-6"]
    assert shop_6["hosting"] != "multi-model"
    assert any(line.startswith("grouping: not on a multi-model endpoint with other models: " + reason) for line in shop_6["reasons"]), shop_6["reasons"]


@pytest.mark.parametrize("size_gb, grouped", [(0.8, True), (0.81, False)])
def test_a_model_up_to_four_times_the_others_size_is_grouped_with_them_and_one_just_over_is_not(tmp_path, size_gb, grouped):
    # Given five shops of 0.2 GB and a sixth of exactly 4x that, or just over
    plan = plan_of(tmp_path, *SHOPS[:5], shop(6, size_gb=size_gb))

    # Then 4x is still similar (SIMILAR_SIZE_FACTOR), anything more stays out and says why
    (endpoint,) = plan.units_of("multi-model")
    assert ("shop-6" in [held.name for held in endpoint.held]) is grouped
    assert any(line.startswith("grouping: not on a multi-model endpoint with other models: its 0.81 GB is more than 4x")
               for line in entries(plan)["shop-6"]["reasons"]) is not grouped


def test_gpu_models_share_one_single_gpu_instance_with_the_triton_image_only(tmp_path):
    from loadmaster.limits import MULTI_MODEL_GPU_INSTANCE_TYPES

    # Given three small GPU models under one prefix, with the Triton image, and three with another GPU image
    triton = [shop(index, image=TRITON, devices=["gpu"], size_gb=1) for index in range(1, 4)]
    pytorch = [shop(index, image=PYTORCH_GPU, devices=["gpu"], size_gb=1) for index in range(4, 7)]

    plan = plan_of(tmp_path, *triton, *pytorch)

    # Then the Triton ones share a multi-model endpoint on a single-GPU type it takes, the others stay alone, saying why
    (endpoint,) = plan.units_of("multi-model")
    assert [held.name for held in endpoint.held] == ["shop-1", "shop-2", "shop-3"]
    assert endpoint.instance_type.name in MULTI_MODEL_GPU_INSTANCE_TYPES
    assert any("a multi-model endpoint runs on CPU, or on one GPU with the Triton image" in line for line in entries(plan)["shop-4"]["reasons"])


def test_a_members_rate_known_by_its_own_latency_objective_counts_at_that_objective_on_the_group(tmp_path):
    # Given five shops whose rate is known only by their 120 s objective (10 invocations a minute each at mean
    # concurrency 20), and a sixth that states 9 a minute and a 60 s objective, the group's shortest
    slow = {"pattern": "steady", "mean_concurrency": 20, "peak_concurrency": 30}
    models = [shop(1, latency_slo_ms=60_000), *(shop(index, latency_slo_ms=120_000, traffic=slow) for index in range(2, 7))]

    plan = plan_of(tmp_path, *models)

    # Then their 59 a minute together take one instance at mean (at the group's 60 s objective, 109: two)
    (endpoint,) = plan.units_of("multi-model")
    assert (endpoint.instance_counts.min, endpoint.instance_counts.expected, endpoint.instance_counts.peak) == (1, 1, 2)
    assert "(1 x ml.c5.large at the floor and 1 at mean for their 59 invocations a minute together, 70 per instance)" in entries(plan)["shop-1"]["reasons"][0]


def test_a_model_whose_invocation_rate_is_unknown_is_not_grouped(tmp_path):
    unknown = shop(6, traffic={"pattern": "steady", "mean_concurrency": 0.5, "peak_concurrency": 1})

    plan = plan_of(tmp_path, *SHOPS[:5], unknown)

    assert [held.name for held in plan.units_of("multi-model")[0].held] == [f"shop-{index}" for index in range(1, 6)]
    assert any("its invocation rate is unknown" in line for line in entries(plan)["shop-6"]["reasons"])


def test_models_of_another_prefix_or_pinned_by_their_own_keys_are_not_grouped(tmp_path):
    elsewhere = [shop(index, artifact=f"s3://models/other-{index}/shop.tar.gz") for index in range(1, 4)]
    pinned = [shop(index, instance_type="ml.c5.large") for index in range(4, 7)]

    plan = plan_of(tmp_path, *elsewhere, *pinned)

    assert plan.units_of("multi-model") == () and plan.units_of("multi-container") == ()


def test_a_model_whose_artifact_is_the_prefix_itself_is_not_held_under_it(tmp_path):
    # Given five shops under s3://models/shops/ and a sixth whose model data is that folder, uncompressed
    plan = plan_of(tmp_path, *SHOPS[:5], shop(6, artifact="s3://models/shops/"))

    # Then it has no path under the prefix to be invoked by: the five share the endpoint, it stays alone
    (endpoint,) = plan.units_of("multi-model")
    assert [held.name for held in endpoint.held] == [f"shop-{index}" for index in range(1, 6)]
    assert entries(plan)["shop-6"]["hosting"] == "serverless"


def test_no_group_is_formed_where_it_would_not_cost_less(tmp_path):
    # Given six shops whose intermittent traffic costs least serverless, by the second, and nothing when idle
    idle = {"pattern": "intermittent", "mean_concurrency": 0.01, "peak_concurrency": 0.5, "requests_per_s": 0.02}
    plan = plan_of(tmp_path, *(shop(index, traffic=idle) for index in range(1, 7)))

    # Then each keeps its own choice, and says what the group would have cost
    assert plan.units_of("multi-model") == ()
    reasons = entries(plan)["shop-1"]["reasons"]
    assert entries(plan)["shop-1"]["hosting"] == "serverless"
    assert any(line.startswith("grouping: not on multi-model endpoint models-") and "it would not cost less: 0.102 USD/h at the floor" in line
               for line in reasons), reasons


# Multi-container


def test_three_heterogeneous_cpu_models_with_little_traffic_share_one_multi_container_endpoint(tmp_path):
    plan = plan_of(tmp_path, *TABULAR)

    (endpoint,) = plan.units_of("multi-container")
    assert list(endpoint.containers) == ["churn", "fraud", "ltv"] and endpoint.instance_type.device == "cpu"
    assert [container.image for container in endpoint.containers.values()] == [XGBOOST, SKLEARN, PYTORCH_CPU]
    fraud = entries(plan)["fraud"]
    assert fraud["invoke"] == {"EndpointName": endpoint.endpoint_name, "TargetContainerHostname": "fraud"}
    assert fraud["reasons"][0].startswith(f"cost: grouped on multi-container endpoint {endpoint.model} with churn, ltv: ")
    assert fraud["reasons"][-1].startswith("chosen: multi-container, grouped by the planner: 3 CPU models of different images")
    # and its cost alone says why no multi-model endpoint was a candidate for it alone
    assert "; multi-model: serves several models behind one container (holds, or similar auto models the planner groups), not one alone;" in fraud["reasons"][1]
    # and the plan costs the one endpoint
    assert plan.cost.hourly_at_mean == pytest.approx(sum(charge.instance_type.price_usd_per_hour * charge.counts.expected for charge in endpoint.charges()))


def test_containers_whose_traffic_together_needs_a_second_instance_at_mean_stay_alone_where_that_costs_more(tmp_path):
    # Given the three tabular models, each at 2 concurrent requests on average: one instance alone each at peak
    busier = {"pattern": "variable", "mean_concurrency": 2, "peak_concurrency": 4}

    plan = plan_of(tmp_path, *({**model, "traffic": busier} for model in TABULAR))

    # Then their 6 together need two instances at mean, more than the three cost alone: no group, and each says so
    assert plan.units_of("multi-container") == ()
    assert "grouping: not on multi-container endpoint containers-b14d3f99, it would not cost less: 0.102 USD/h at the floor and 0.204 at mean " \
           "(1 x ml.c5.large at the floor and 2 at mean for their 6 concurrent requests together, and their 1 GB in its memory); alone, " \
           "each on the hosting the fitness functions choose for it (churn inference-component, fraud inference-component, ltv inference-component), " \
           "0.169 at the floor and 0.169 at mean" in "\n".join(entries(plan)["fraud"]["reasons"])


def test_one_endpoint_takes_at_most_fifteen_containers_and_a_last_one_alone_is_not_grouped(tmp_path):
    from loadmaster.limits import MAX_CONTAINERS_PER_MODEL

    # Given sixteen small CPU models of sixteen images, with little traffic each
    quiet = {"pattern": "variable", "mean_concurrency": 0.1, "peak_concurrency": 0.3}
    models = [{"name": f"m{index:02d}", "hosting": "auto", "image": f"111122223333.dkr.ecr.us-east-1.amazonaws.com/team-{index:02d}:1-cpu",
               "devices": ["cpu"], "artifact": f"s3://models/m{index:02d}/model.tar.gz", "size_gb": 0.1, "traffic": quiet} for index in range(1, 17)]

    plan = plan_of(tmp_path, *models)

    # Then the first fifteen, in name order, are the containers of one endpoint (SageMaker's limit a model), and the
    # sixteenth, which would be a group of one, keeps its own hosting
    (endpoint,) = plan.units_of("multi-container")
    assert list(endpoint.containers) == [f"m{index:02d}" for index in range(1, 16)] and MAX_CONTAINERS_PER_MODEL == 15
    assert entries(plan)["m16"]["hosting"] != "multi-container" and "grouped_in" not in entries(plan)["m16"]


def test_a_model_that_needs_a_gpu_is_not_a_container_of_the_group(tmp_path):
    gpu = {**TABULAR[2], "image": PYTORCH_GPU}

    plan = plan_of(tmp_path, TABULAR[0], TABULAR[1], gpu)

    (endpoint,) = plan.units_of("multi-container")
    assert list(endpoint.containers) == ["churn", "fraud"]
    assert any("multi-container endpoints with direct invocation run on CPU instances only" in line for line in entries(plan)["ltv"]["reasons"])


def test_models_with_high_traffic_are_not_grouped(tmp_path):
    busy = {"pattern": "steady", "mean_concurrency": 12, "peak_concurrency": 20}

    plan = plan_of(tmp_path, *({**model, "traffic": busy} for model in TABULAR))

    assert plan.units_of("multi-container") == () and plan.units_of("multi-model") == ()


def test_the_hosting_patterns_example_groups_its_four_stores_behind_one_container():
    plan = plan_file(Path("examples/hosting-patterns.yaml"))

    grouped = [unit for unit in plan.units_of("multi-model") if unit.members]
    assert [[member.name for member in unit.members] for unit in grouped] == [["store-1", "store-2", "store-3", "store-4"]]
    assert grouped[0].container.artifact == "s3://models/stores/"


# Determinism and the lock


def test_the_same_models_in_any_order_give_the_same_plan(tmp_path):
    models = [*SHOPS, *TABULAR]
    shuffled = list(models)
    random.Random(7).shuffle(shuffled)

    first, second = plan_of(tmp_path, *models, name="first"), plan_of(tmp_path, *shuffled, name="second")

    def comparable(plan):
        return json.dumps(sorted(entries(plan).values(), key=lambda entry: entry["name"]), sort_keys=True)

    assert comparable(first) == comparable(second)
    assert {unit.endpoint_name for unit in first.units} == {unit.endpoint_name for unit in second.units}


def test_a_grouped_model_stays_on_its_group_endpoint_when_its_traffic_changes(tmp_path):
    # Given the shops beside a pooled model, planned and locked
    pooled = {"name": "chat", "hosting": "auto", "image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124",
              "size_gb": 14, "traffic": {"pattern": "variable", "mean_concurrency": 3, "peak_concurrency": 9}}
    base = plan_of(tmp_path, *SHOPS, pooled)
    (locked,) = base.units_of("multi-model")

    # When one shop's traffic doubles, with the lock
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(document(*SHOPS[:5], shop(6, traffic=QUIET | {"requests_per_s": 0.4}), pooled)))
    plan = plan_file(path, previous=base.identities)

    # Then the shops are still behind the same endpoint, which nothing replaces
    (endpoint,) = plan.units_of("multi-model")
    assert endpoint.endpoint_name == locked.endpoint_name and [held.name for held in endpoint.held] == [held.name for held in locked.held]
    assert plan.replaced == ()


# The stacks


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The shops and the tabular models, grouped, synthesized once."""
    from aws_cdk.assertions import Template

    from loadmaster.synthesis import synthesize

    folder = tmp_path_factory.mktemp("grouped")
    plan = plan_of(folder, *SHOPS, *TABULAR)
    (stack,) = synthesize(plan, folder / "cdk.out")
    return Template.from_json(stack.template)


def test_the_grouped_portfolio_synthesizes_a_multi_model_and_a_direct_multi_container_model(template):
    from aws_cdk.assertions import Match

    template.has_resource_properties("AWS::SageMaker::Model", {
        "PrimaryContainer": Match.object_like({"Mode": "MultiModel", "ModelDataUrl": "s3://models/shops/"})})
    template.has_resource_properties("AWS::SageMaker::Model", {
        "InferenceExecutionConfig": {"Mode": "Direct"},
        "Containers": [Match.object_like({"ContainerHostname": name}) for name in ("churn", "fraud", "ltv")]})
    template.resource_count_is("AWS::SageMaker::Endpoint", 2)


@pytest.mark.slow
def test_a_traffic_change_that_takes_a_model_out_of_its_group_rehearses_cleanly(tmp_path):
    from loadmaster.rehearsal import rehearse_portfolio

    # Given the grouped portfolio, and a change after which shop-6 is too busy for its group and fraud a little busier
    base, changed = tmp_path / "retail.yaml", tmp_path / "changed.yaml"
    base.write_text(yaml.safe_dump(document(*SHOPS, *TABULAR)))
    busier = {**TABULAR[1], "traffic": {"pattern": "variable", "mean_concurrency": 1.5, "peak_concurrency": 4}}
    changed.write_text(yaml.safe_dump(document(*SHOPS[:5], shop(6, traffic=QUIET | {"requests_per_s": 1.5}), TABULAR[0], busier, TABULAR[2])))

    # When it is deployed after the base, with its names and placements
    report = rehearse_portfolio(base, changed)

    # Then CloudFormation creates, updates and deletes it without a clash of names
    assert report[-2] == "deleted: nothing left behind" and report[-1].startswith("rehearsal passed"), report[-3:]
