"""Every endpoint the plan names is unique, planner-made pools and dedicated endpoints included."""

from pathlib import Path

import pytest
import yaml

from loadmaster.errors import PortfolioError
from loadmaster.planner.make import plan_file

AUTO_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "auto-platform.yaml"


def test_an_auto_model_made_dedicated_cannot_take_the_name_of_a_planner_pool(tmp_path):
    # Given the auto example, whose steady model `inline` goes dedicated and whose planner pools include auto-g6-2xlarge
    document = yaml.safe_load(AUTO_EXAMPLE.read_text())
    document["models"][0]["name"] = "auto-g6-2xlarge"
    path = tmp_path / "portfolio.yaml"
    path.write_text(yaml.safe_dump(document))

    # When it is planned, Then both claimants of the endpoint name are reported, at the portfolio's models
    with pytest.raises(PortfolioError) as refused:
        plan_file(path)
    assert [(problem.location, problem.message) for problem in refused.value.problems] == [
        ("models", "pool auto-g6-2xlarge and dedicated model auto-g6-2xlarge would both be the endpoint auto-platform-auto-g6-2xlarge: rename one")]
