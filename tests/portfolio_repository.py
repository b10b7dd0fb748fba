"""Two revisions of the built-in example in a temporary git repository: what a pull request changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from loadmaster.synthesis import DEFAULT_PORTFOLIO


def entry(document: dict, kind: str, name: str) -> dict:
    return next(item for item in document[kind] if item["name"] == name)


def git(repository: Path, *arguments: str) -> str:
    command = ["git", "-c", "user.name=loadmaster", "-c", "user.email=review@example.com", *arguments]
    return subprocess.run(command, cwd=repository, check=True, capture_output=True, text=True).stdout


def repository_with_change(directory: Path, change) -> Path:
    """A git repository holding the example as `portfolio.yaml`, then a second commit with `change` applied."""
    directory.mkdir(parents=True, exist_ok=True)
    git(directory, "init", "-q", "-b", "main")
    example = yaml.safe_load(DEFAULT_PORTFOLIO.read_text())
    (directory / "portfolio.yaml").write_text(yaml.safe_dump(example, sort_keys=False))
    git(directory, "add", "portfolio.yaml")
    git(directory, "commit", "-q", "-m", "the example")
    change(example)
    (directory / "portfolio.yaml").write_text(yaml.safe_dump(example, sort_keys=False))
    git(directory, "commit", "-q", "-am", "the change")
    return directory
