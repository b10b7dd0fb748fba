"""The portfolio's `containers:` key: 2 to 15 named containers, each checked as SageMaker would check it."""

import pytest
from pydantic import TypeAdapter, ValidationError

from loadmaster.plan import ContainerDefinition
from loadmaster.spec.containers import PipelineContainers, container_definitions, containers_problems

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PIPELINE = TypeAdapter(PipelineContainers)


def containers(*names, **overrides):
    return PIPELINE.validate_python([{"name": name, "image": IMAGE, **overrides} for name in names])


def test_a_pipeline_keeps_its_containers_in_order_by_hostname():
    pipeline = PIPELINE.validate_python([
        {"name": "features", "image": IMAGE, "artifact": "s3://models/features.tar.gz"},
        {"name": "model", "image": IMAGE, "artifact": "s3://models/model.tar.gz", "environment": {"SAGEMAKER_PROGRAM": "inference.py"}},
    ])

    definitions = container_definitions(pipeline, portfolio_artifact_key=KEY)

    assert list(definitions) == ["features", "model"]
    assert definitions["model"] == ContainerDefinition(IMAGE, "s3://models/model.tar.gz", {"SAGEMAKER_PROGRAM": "inference.py"}, KEY)


def test_a_container_without_an_artifact_needs_no_key():
    assert container_definitions(containers("a", "b"), portfolio_artifact_key=KEY)["a"].artifact_kms_key_arn is None


@pytest.mark.parametrize("count", [1, 16])
def test_a_pipeline_has_2_to_15_containers(count):
    with pytest.raises(ValidationError, match="at (least 2|most 15) items"):
        containers(*(f"c{index}" for index in range(count)))


def test_a_hostname_must_be_a_sagemaker_name():
    with pytest.raises(ValidationError, match="name"):
        containers("pre_processing", "model")


def test_every_problem_of_the_containers_is_reported_at_once():
    given = PIPELINE.validate_python([
        {"name": "features", "image": "docker.io/library/sklearn:latest"},
        {"name": "features", "image": IMAGE.replace("us-east-1", "eu-west-1")},
        {"name": "model", "image": IMAGE, "artifact_kms_key_arn": KEY},
        {"name": "post", "image": IMAGE, "artifact": "s3://models/post.tar.gz", "artifact_kms_key_arn": KEY.replace("us-east-1", "eu-west-1")},
    ])

    problems = {problem.location: problem.message for problem in containers_problems("models[0] (churn)", given, region="us-east-1")}

    assert problems.keys() == {
        "models[0] (churn).containers[0] (features).image",
        "models[0] (churn).containers[1] (features).name",
        "models[0] (churn).containers[1] (features).image",
        "models[0] (churn).containers[2] (model).artifact_kms_key_arn",
        "models[0] (churn).containers[3] (post).artifact_kms_key_arn",
    }
    assert problems["models[0] (churn).containers[1] (features).name"] == "duplicate hostname, already used by containers[0]"
    assert "not an Amazon ECR image URI" in problems["models[0] (churn).containers[0] (features).image"]
    assert "in eu-west-1, not in the portfolio's region us-east-1" in problems["models[0] (churn).containers[1] (features).image"]


def test_containers_as_written_in_the_portfolio_region_are_fine():
    assert containers_problems("models[0] (churn)", containers("features", "model"), region="us-east-1") == []
