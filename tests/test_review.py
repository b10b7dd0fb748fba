"""`loadmaster review`: a change to the built-in example, reviewed between two git revisions of a portfolio.

The change is the issue's acceptance scenario: a model added, a pool's instance type changed, a scaling target
changed. The new instance type makes a new endpoint for the pool (loadmaster.identity), so its models move to it:
client-breaking, and the old endpoint's config is replaced.
"""

from __future__ import annotations

import copy
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from loadmaster.cli import main
from loadmaster.errors import EXIT_BAD_INPUT
from loadmaster.identity import Identity, IdentityLock
from loadmaster.review import BREAKING, HOURS_PER_MONTH, RESTART, _identity_impacts, create_only_replacements, render_markdown, review, review_document
from loadmaster.synthesis import DEFAULT_PORTFOLIO
from portfolio_repository import entry, repository_with_change

pytestmark = pytest.mark.slow

DOCGEN = {
    "name": "docgen",
    "image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124",
    "artifact": "s3://codegen-models/docgen/model.tar.gz",
    "hosting": "inference-component",
    "pool": "a100-pool",
    "per_copy": {"accelerators": 1, "memory_mb": 8192, "cpu_cores": 2},
    "copies": {"min": 0, "max": 2},
    "scaling": {"metric": "concurrent-requests-per-copy", "target": 2},
}


def acceptance_change(document: dict) -> None:
    entry(document, "pools", "a10g-pool")["instance_type"] = "ml.g6.12xlarge"
    entry(document, "models", "blockgen")["scaling"]["target"] = 6
    document["models"].append(copy.deepcopy(DOCGEN))


@contextmanager
def working_directory(path: Path):
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    return repository_with_change(tmp_path_factory.mktemp("repository"), acceptance_change)


@pytest.fixture(scope="module")
def reviewed(repository):
    """Given the acceptance change, when it is reviewed between its two revisions."""
    with working_directory(repository):
        return review("HEAD~1:portfolio.yaml", "HEAD:portfolio.yaml")


def test_the_review_lists_the_model_added_and_the_pool_and_scaling_fields_changed(reviewed):
    changes = {(change["kind"], change["name"], change["change"]): change["fields"] for change in review_document(reviewed)["changes"]}

    assert ("model", "docgen", "added") in changes
    assert changes[("pool", "a10g-pool", "changed")] == [{"field": "instance_type", "before": "ml.g5.12xlarge", "after": "ml.g6.12xlarge", "scaling": False}]
    assert changes[("model", "blockgen", "changed")] == [{"field": "scaling.target", "before": 4, "after": 6, "scaling": True}]


def test_models_moving_to_the_pools_new_endpoint_are_client_breaking_and_listed_first(reviewed):
    impacts = review_document(reviewed)["impacts"]
    breaking = [impact for impact in impacts if impact["severity"] == BREAKING]

    assert reviewed.breaking
    assert {impact["owner"] for impact in breaking} == {"pool a10g-pool", "model textevel", "model blockgen", "model flowgpt"}
    assert "`codegen-platform-a10g-pool-v2`" in next(impact["what"] for impact in breaking if impact["owner"] == "model blockgen")
    assert [impact["severity"] for impact in impacts] == sorted((impact["severity"] for impact in impacts), key=[BREAKING, RESTART, "replaced or deleted"].index)


def test_the_pools_endpoint_config_is_replaced_by_the_cdk_diff(reviewed):
    restarts = [impact for impact in reviewed.impacts if impact.severity == RESTART]

    assert [(impact.owner, impact.what) for impact in restarts] == [("pool a10g-pool", "replaces its endpoint config")]


def test_the_cost_before_and_after_is_the_plans_with_a_month_of_730_hours(reviewed):
    from loadmaster.planner.render import plan_document

    figures = {figure["figure"]: figure for figure in review_document(reviewed)["cost"]["figures"]}
    at_mean = figures["plan at mean traffic"]
    before, after = plan_document(reviewed.base_plan)["hourly_at_mean"], plan_document(reviewed.head_plan)["hourly_at_mean"]

    assert (at_mean["hourly_before"], at_mean["hourly_after"]) == (before, after)
    assert at_mean["hourly_change"] == pytest.approx(after - before)
    assert at_mean["monthly_change"] == pytest.approx((after - before) * HOURS_PER_MONTH, abs=0.01)
    assert {"baseline (one endpoint per model) at mean", "plan at peak traffic", "savings ratio (baseline / plan) at mean"} <= set(figures)


def test_the_json_review_has_every_section(reviewed):
    document = json.loads(json.dumps(review_document(reviewed)))

    assert set(document) == {"base", "head", "breaking", "changes", "cost", "impacts", "compliance", "new_acknowledgements", "new_warnings"}
    assert document["compliance"] == [] and document["breaking"] is True


def test_the_markdown_review_names_pools_and_models_never_logical_ids(reviewed):
    markdown = render_markdown(reviewed)

    assert markdown.index("client-breaking") < markdown.index("instances restart") < markdown.index("### Models and pools")
    assert "| pool a10g-pool | `instance_type` | `ml.g5.12xlarge` | `ml.g6.12xlarge` |" in markdown
    assert "| model blockgen | `scaling.target` | `4` | `6` |" in markdown
    assert "| model docgen | **added** | | hosting: inference-component, pool: a100-pool |" in markdown
    # A CDK logical id ends in 8 hex digits of its path's hash: Poola10gpoolEndpointConfig0C661205.
    assert not re.search(r"[A-Za-z][A-Za-z0-9]*[0-9A-F]{8}\b", markdown)
    assert "Metadata" not in markdown and "aws:cdk" not in markdown


def test_review_fails_on_breaking_when_asked_and_draws_before_and_after(repository, tmp_path, capsys):
    with working_directory(repository):
        code = main(["review", "--base", "HEAD~1:portfolio.yaml", "--head", "portfolio.yaml", "--format", "json",
                     "--fail-on", "breaking", "--plot", str(tmp_path / "review.png")])

    assert code == 1
    assert json.loads(capsys.readouterr().out)["breaking"] is True
    assert (tmp_path / "review.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("base, says", [
    ("no-such-revision:portfolio.yaml", "no-such-revision:portfolio.yaml: "),
    ("HEAD:missing.yaml", "HEAD:missing.yaml: "),
    ("missing.yaml", "missing.yaml: no such file, and not a git revision of one"),
])
def test_a_bad_revision_or_file_is_one_line_and_exit_2(repository, capsys, base, says):
    with working_directory(repository):
        code = main(["review", "--base", base, "--head", "portfolio.yaml"])

    error = capsys.readouterr().err.strip()
    assert code == EXIT_BAD_INPUT
    assert error.startswith(says) and "\n" not in error


def test_a_bad_head_portfolio_is_named_by_what_the_user_wrote(repository, tmp_path, capsys):
    document = yaml.safe_load((repository / "portfolio.yaml").read_text())
    entry(document, "models", "blockgen")["per_copy"]["accelerators"] = 5
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(document))

    with working_directory(repository):
        code = main(["review", "--base", "HEAD:portfolio.yaml", "--head", str(tmp_path / "broken.yaml")])

    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith(f"{tmp_path / 'broken.yaml'}: models[")


def test_removing_a_pool_and_a_model_deletes_their_endpoint_and_component_client_breaking(tmp_path):
    from loadmaster.planner.make import plan_file

    document = yaml.safe_load(DEFAULT_PORTFOLIO.read_text())
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(document))
    document["models"] = [model for model in document["models"] if model.get("pool") != "a100-pool"]
    document["pools"] = [pool for pool in document["pools"] if pool["name"] != "a100-pool"]
    (tmp_path / "head.yaml").write_text(yaml.safe_dump(document))
    base = plan_file(tmp_path / "base.yaml")

    impacts = _identity_impacts(base.identities, plan_file(tmp_path / "head.yaml", previous=base.identities).identities)

    assert {(impact.severity, impact.owner, impact.what) for impact in impacts} == {
        (BREAKING, "pool a100-pool", "endpoint `codegen-platform-a100-pool` is deleted"),
        (BREAKING, "model apexguru", "inference component `codegen-platform-apexguru` on `codegen-platform-a100-pool` is deleted"),
        (BREAKING, "model codegen-xl", "inference component `codegen-platform-codegen-xl` on `codegen-platform-a100-pool` is deleted"),
    }


# Where a model went: locks built directly, what BASE deployed and what HEAD names.
POOL = {"pool:a10g-pool": Identity("team-a10g-pool", 1, instance_type="ml.g5.12xlarge")}
ON_THE_POOL = Identity("team-chat", 1, endpoint="pool:a10g-pool#1")


def locked(endpoints: dict | None = None, components: dict | None = None) -> IdentityLock:
    return IdentityLock("team", {**POOL, **(endpoints or {})}, components or {})


def impacts_of(base: IdentityLock, head: IdentityLock) -> set[tuple[str, str, str]]:
    return {(impact.severity, impact.owner, impact.what) for impact in _identity_impacts(base, head)}


def test_a_component_whose_model_goes_serverless_is_deleted_naming_its_serverless_endpoint():
    # Given chat deployed as an inference component on the pool
    base = locked(components={"chat": ON_THE_POOL})
    # When HEAD hosts it on a serverless endpoint
    head = locked(endpoints={"serverless:chat": Identity("team-chat", 1, instance_type="serverless")})
    # Then clients must call the serverless endpoint
    assert impacts_of(base, head) == {
        (BREAKING, "model chat", "inference component `team-chat` on `team-a10g-pool` is deleted, the model moves to serverless endpoint `team-chat`")}


def test_a_serverless_endpoint_whose_model_goes_to_a_pool_is_deleted_naming_its_component():
    # Given chat deployed on a serverless endpoint
    base = locked(endpoints={"serverless:chat": Identity("team-chat", 1, instance_type="serverless")})
    # When HEAD places it on the pool
    head = locked(components={"chat": ON_THE_POOL})
    # Then
    assert impacts_of(base, head) == {(BREAKING, "model chat", "endpoint `team-chat` is deleted, the model moves to inference component `team-chat`")}


def test_a_dedicated_endpoint_whose_model_goes_async_is_deleted_naming_its_async_endpoint():
    # Given chat deployed on a dedicated endpoint
    base = locked(endpoints={"dedicated:chat": Identity("team-chat", 1, instance_type="ml.g5.2xlarge")})
    # When HEAD hosts it on an async endpoint
    head = locked(endpoints={"async:chat": Identity("team-chat", 1, instance_type="ml.g5.2xlarge")})
    # Then
    assert impacts_of(base, head) == {(BREAKING, "model chat", "endpoint `team-chat` is deleted, the model moves to async endpoint `team-chat`")}


def test_a_dedicated_endpoint_on_another_instance_type_is_replaced_and_its_model_does_not_move():
    # Given chat deployed on a dedicated endpoint
    base = locked(endpoints={"dedicated:chat": Identity("team-chat", 1, instance_type="ml.g5.2xlarge")})
    # When HEAD keeps it dedicated on another instance type
    head = locked(endpoints={"dedicated:chat": Identity("team-chat-v2", 2, instance_type="ml.g6.2xlarge")})
    # Then
    assert impacts_of(base, head) == {
        (BREAKING, "model chat", "endpoint `team-chat` is replaced by a new endpoint `team-chat-v2` (ml.g5.2xlarge -> ml.g6.2xlarge): clients must call the new name")}


def test_a_pool_that_goes_says_nothing_of_a_model_named_like_it():
    # Given a pool chat, and a model chat on the other pool
    base = locked(endpoints={"pool:chat": Identity("team-chat", 1, instance_type="ml.g5.12xlarge")}, components={"chat": ON_THE_POOL})
    # When HEAD removes the pool chat and keeps the model
    head = locked(components={"chat": ON_THE_POOL})
    # Then the pool's endpoint is deleted, and no model moves to it
    assert impacts_of(base, head) == {(BREAKING, "pool chat", "endpoint `team-chat` is deleted")}


def test_members_that_leave_their_groups_endpoint_are_each_named_where_they_went():
    # Given shop-1 and shop-2 deployed on the multi-model endpoint of their group
    group = Identity("team-models-1a2b3c4d", 1, instance_type="ml.c5.large", members=("shop-1", "shop-2"))
    base = locked(endpoints={"multi-model:models-1a2b3c4d": group})
    # When HEAD hosts shop-1 on a serverless endpoint and shop-2 on the pool: the group's endpoint goes
    head = locked(endpoints={"serverless:shop-1": Identity("team-shop-1", 1, instance_type="serverless")}, components={"shop-2": ON_THE_POOL})
    # Then the endpoint is deleted, and each member's callers learn where to call it now
    assert impacts_of(base, head) == {
        (BREAKING, "model models-1a2b3c4d", "endpoint `team-models-1a2b3c4d` is deleted"),
        (BREAKING, "model shop-1", "leaves multi-model endpoint `team-models-1a2b3c4d`, which served it with others, the model moves to serverless endpoint `team-shop-1`"),
        (BREAKING, "model shop-2", "leaves multi-model endpoint `team-models-1a2b3c4d`, which served it with others, the model moves to inference component `team-chat`"),
    }


def test_a_member_that_stays_in_its_group_is_no_impact():
    group = Identity("team-models-1a2b3c4d", 1, instance_type="ml.c5.large", members=("shop-1", "shop-2"))
    # Given and when: the same group in BASE and HEAD
    # Then nothing breaks
    assert impacts_of(locked(endpoints={"multi-model:models-1a2b3c4d": group}), locked(endpoints={"multi-model:models-1a2b3c4d": group})) == set()


def to_serverless(document: dict) -> None:
    """textevel leaves the A10G pool for a serverless endpoint: what its new hosting has, without the pool's keys."""
    textevel = entry(document, "models", "textevel")
    for key in ("pool", "per_copy", "copies", "scaling"):
        del textevel[key]
    textevel["hosting"] = "serverless"


def test_a_review_of_a_model_moved_to_serverless_names_its_new_endpoint(tmp_path):
    # Given a change that moves textevel to hosting: serverless
    repository = repository_with_change(tmp_path / "repository", to_serverless)
    # When it is reviewed between its two revisions
    with working_directory(repository):
        moved = review("HEAD~1:portfolio.yaml", "HEAD:portfolio.yaml")
    # Then its component's deletion is client-breaking and says where clients now call it
    assert (BREAKING, "inference component `codegen-platform-textevel` on `codegen-platform-a10g-pool` is deleted, "
            "the model moves to serverless endpoint `codegen-platform-textevel`") in {(impact.severity, impact.what) for impact in moved.impacts if impact.owner == "model textevel"}
    assert "model textevel: new serverless endpoint codegen-platform-textevel replaces inference component codegen-platform-textevel" in moved.head_plan.replaced


def test_a_create_only_property_changed_in_place_is_a_replacement_by_the_provider_schema():
    config = {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [{"VariantName": "AllTraffic", "InitialInstanceCount": 1}]}}
    endpoint = {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointConfigName": "config-1"}}
    before = {"Resources": {"Config": config, "Endpoint": endpoint}}
    after = copy.deepcopy(before)
    after["Resources"]["Config"]["Properties"]["ProductionVariants"][0]["InitialInstanceCount"] = 2
    after["Resources"]["Endpoint"]["Properties"]["EndpointConfigName"] = "config-2"  # updates in place

    assert create_only_replacements(before, after) == {"Config": "AWS::SageMaker::EndpointConfig"}


def test_the_added_models_acknowledged_artifact_grant_is_listed_as_a_compliance_change(reviewed):
    (acknowledgement,) = reviewed.new_acknowledgements

    assert acknowledgement.startswith("`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::codegen-models/docgen/*]` on pool a100-pool: ")
