"""The CI example (examples/ci): the review step of the GitHub Actions workflow, run locally on a pull request's
two revisions of a portfolio in a temporary git repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from loadmaster.synthesis import PROJECT_ROOT
from portfolio_repository import entry, repository_with_change

pytestmark = pytest.mark.slow(minutes=3)

WORKFLOW = PROJECT_ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = PROJECT_ROOT / "examples" / "ci" / "gitlab-ci.yml"
SCRIPT = PROJECT_ROOT / "examples" / "ci" / "review.sh"


def review_step(workflow: dict) -> dict:
    (step,) = [step for step in workflow["jobs"]["review"]["steps"] if step.get("id") == "review"]
    return step


def test_the_workflow_reviews_pull_requests_touching_the_portfolio_and_posts_one_comment():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["review"]["steps"]
    # PyYAML reads the key `on` as True (YAML 1.1).
    triggers = workflow[True]

    assert workflow["env"]["PORTFOLIO"] in triggers["pull_request"]["paths"]
    assert "examples/ci/review.sh" in review_step(workflow)["run"]
    post = next(step for step in steps if step.get("name", "").startswith("Post"))
    assert "<!-- loadmaster-review -->" in post["run"] and "PATCH" in post["run"]
    assert workflow["permissions"]["pull-requests"] == "write"


def test_the_gitlab_job_runs_the_same_script():
    job = yaml.safe_load(GITLAB.read_text())["loadmaster-review"]

    assert any("examples/ci/review.sh" in line for line in job["script"])


def test_the_workflows_review_step_validates_reviews_and_rehearses_a_change(tmp_path):
    # Given a pull request that raises blockgen's scaling target, with main as its base
    repository = repository_with_change(tmp_path / "repository", lambda document: entry(document, "models", "blockgen")["scaling"].update(target=6))
    base = subprocess.run(["git", "rev-parse", "HEAD~1"], cwd=repository, check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", base], cwd=repository, check=True)
    (repository / "examples" / "ci").mkdir(parents=True)
    (repository / "examples" / "ci" / "review.sh").symlink_to(SCRIPT)
    workflow = yaml.safe_load(WORKFLOW.read_text())
    script = review_step(workflow)["run"].replace("${{ github.base_ref }}", "main")
    outputs = tmp_path / "github-output"
    environment = {
        **os.environ,
        **workflow["env"],
        "GITHUB_OUTPUT": str(outputs),
        # This checkout's environment instead of a second `make setup`.
        "LOADMASTER": str(Path(sys.executable).parent / "loadmaster"),
    }

    # When the step runs as GitHub Actions runs it (bash -e)
    result = subprocess.run(["bash", "-e", "-c", script], cwd=repository, env=environment, capture_output=True, text=True, timeout=900)

    # Then it succeeds, and the comment has the review and the rehearsal
    assert result.returncode == 0, result.stderr
    assert outputs.read_text() == "status=0\n", result.stderr
    comment = (repository / "loadmaster-review" / "review.md").read_text()
    assert comment.startswith("<!-- loadmaster-review -->\n## loadmaster review: `origin/main:portfolio.yaml` -> `portfolio.yaml`")
    assert "| model blockgen | `scaling.target` | `4` | `6` |" in comment
    assert "Nothing: every resource is updated in place or added." in comment
    assert "Rehearsal in moto (create BASE, update to HEAD, delete): passed" in comment
    assert "rehearsal passed" in comment
    assert (repository / "loadmaster-review" / "placement.png").read_bytes().startswith(b"\x89PNG")


def test_the_script_exits_1_on_a_client_breaking_change_with_the_comment_written(tmp_path):
    repository = repository_with_change(tmp_path / "repository", lambda document: entry(document, "models", "flowgpt").update(pool="a100-pool"))
    environment = {**os.environ, "LOADMASTER": str(Path(sys.executable).parent / "loadmaster")}

    result = subprocess.run([str(SCRIPT), "HEAD~1", "portfolio.yaml", "out"], cwd=repository, env=environment, capture_output=True, text=True, timeout=900)

    assert result.returncode == 1, result.stderr
    comment = (repository / "out" / "review.md").read_text()
    assert "| **client-breaking** | model flowgpt | inference component `codegen-platform-flowgpt` moves from endpoint `codegen-platform-a10g-pool` to `codegen-platform-a100-pool`" in comment
    assert "Rehearsal in moto" in comment
