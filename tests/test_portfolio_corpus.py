"""Portfolios a team would write, unlike the examples (`tests/portfolios/`), each through every command a user runs:
validate, plan (Markdown and JSON), synth (cfn-lint clean) and rehearse (create, peak, minimum, delete).

Each portfolio is synthesized once, in this process (one jsii runtime for them all), and its templates are both
rehearsed and linted; cfn-lint runs once per region of the corpus, started before the first rehearsal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from loadmaster.cli import main
from loadmaster.plan import Plan
from loadmaster.planner.make import plan_file
from loadmaster.rehearsal import DEFAULT_REGION, Stack, portfolio_names, rehearse
from loadmaster.synthesis import SynthesizedStack, synthesize

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "portfolios"
PORTFOLIOS = sorted(CORPUS.glob("*.yaml"))

# Portfolios that fail today for a bug fixed elsewhere. Strict: each one must come off this list once its fix lands.
KNOWN_FAILING: dict[str, str] = {
}


@dataclass
class Synthesized:
    """A portfolio's plan and stacks, or what stopped them."""

    plan: Plan | None = None
    stacks: list[SynthesizedStack] = field(default_factory=list)
    error: Exception | None = None

    def ready(self) -> "Synthesized":
        if self.error is not None:
            raise self.error
        return self


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Synthesized]:
    out = tmp_path_factory.mktemp("corpus")
    synthesized = {}
    for path in PORTFOLIOS:
        try:
            plan = plan_file(path)
            synthesized[path.name] = Synthesized(plan, synthesize(plan, out / path.stem))
        except Exception as error:  # reported by the portfolio's own tests
            synthesized[path.name] = Synthesized(error=error)
    return synthesized


class CfnLint:
    """cfn-lint over every template, one process per region, started at once and read when first asked."""

    def __init__(self, corpus: dict[str, Synthesized]):
        by_region: dict[str, list[str]] = {}
        for synthesized in corpus.values():
            if synthesized.error is None:
                region = synthesized.plan.region or DEFAULT_REGION
                by_region.setdefault(region, []).extend(str(stack.template_file) for stack in synthesized.stacks)
        cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
        self._running = {
            region: subprocess.Popen([cfn_lint, "--regions", region, "--format", "parseable", "--", *templates], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for region, templates in by_region.items()
        }
        self._templates = {region: set(templates) for region, templates in by_region.items()}
        self._output: dict[str, list[str]] = {}

    def findings(self, template: Path, region: str) -> list[str]:
        """cfn-lint's findings on the template, and anything it printed about no template (a crash)."""
        if region not in self._output:
            self._output[region] = self._running[region].communicate(timeout=600)[0].splitlines()
        lines = self._output[region]
        return [line for line in lines if line.startswith(f"{template}:") or line.split(":", 1)[0] not in self._templates[region]]

    def stop(self) -> None:
        for process in self._running.values():
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def cfn_lint(corpus):
    """cfn-lint started on every template before the first rehearsal, linting while the portfolios rehearse."""
    lint = CfnLint(corpus)
    yield lint
    lint.stop()


def model_names(portfolio: Path) -> list[str]:
    return [model["name"] for model in yaml.safe_load(portfolio.read_text())["models"]]


def malformed_tables(markdown: str) -> list[str]:
    """Rows of the Markdown tables whose cell count differs from their header's."""
    problems, columns = [], None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = line.strip().strip("|").count("|") + 1
        if columns is None:
            columns = cells
        elif cells != columns:
            problems.append(line)
    return problems


@pytest.mark.parametrize("portfolio", [
    pytest.param(path, id=path.name, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILING[path.name])] if path.name in KNOWN_FAILING else [])
    for path in PORTFOLIOS
])
def test_a_team_portfolio_validates_plans_synthesizes_lint_clean_and_rehearses_through_its_peak(portfolio, corpus, cfn_lint, capsys):
    # validate
    assert main(["validate", str(portfolio)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    # plan, as Markdown and as JSON, both naming every model
    assert main(["plan", str(portfolio)]) == 0, capsys.readouterr().err
    markdown = capsys.readouterr().out
    assert markdown.startswith(f"# Plan for {yaml.safe_load(portfolio.read_text())['name']}\n")
    assert malformed_tables(markdown) == []
    assert all(f"| {name} |" in markdown for name in model_names(portfolio))
    assert main(["plan", str(portfolio), "--format", "json"]) == 0, capsys.readouterr().err
    planned = json.loads(capsys.readouterr().out)
    assert sorted(model["name"] for model in planned["models"]) == sorted(model_names(portfolio))
    # An unknown price is never counted as free: the costs it enters are unknown. At peak every portfolio runs
    # something (at mean, models that scale to zero may rightly cost nothing).
    costs = {key: planned[key] for key in ("hourly_at_mean", "hourly_at_peak", "baseline_hourly_at_peak")}
    if planned["unknown_prices"]:
        assert planned["hourly_at_mean"] is None and planned["hourly_at_peak"] is None, costs
    else:
        assert planned["hourly_at_peak"] > 0 and planned["hourly_at_mean"] >= 0, costs
    # synth, once for the rehearsal and cfn-lint
    synthesized = corpus[portfolio.name].ready()
    assert synthesized.stacks
    # rehearse: create, every target to its maximum and to its minimum, delete
    region = synthesized.plan.region or DEFAULT_REGION
    report = rehearse([Stack(stack.name, stack.template) for stack in synthesized.stacks], None, region, portfolio_names(synthesized.plan))
    assert report[-1].startswith("rehearsal passed")
    assert any(line.startswith("at peak: ") for line in report)
    # cfn-lint, in the portfolio's region, reports nothing on the same templates
    assert [finding for stack in synthesized.stacks for finding in cfn_lint.findings(stack.template_file, region)] == []


def test_the_corpus_holds_at_least_30_portfolios_each_saying_whose_it_is():
    assert len(PORTFOLIOS) >= 30
    assert [path.name for path in PORTFOLIOS if not path.read_text().startswith("# ")] == []
    assert set(KNOWN_FAILING) <= {path.name for path in PORTFOLIOS}
