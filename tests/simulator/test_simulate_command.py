"""`loadmaster simulate`: the acceptance command's JSON, its Markdown, the run's cost against the baseline and the
plan's estimate, `--plot` writing one PNG per unit without touching anything else in the folder, `--set` overrides,
and the progress bar."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from loadmaster.cli import main
from loadmaster.errors import EXIT_BAD_INPUT
from loadmaster.planner.make import plan_file
from loadmaster.progress import ProgressBar
from loadmaster.simulator import Parameters, simulate
from loadmaster.simulator.report import run_costs
from loadmaster.simulator.traces import preset_trace
from loadmaster.spec.load import load_portfolio
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE

MODELS = ("inline", "textevel", "blockgen", "flowgpt", "apexguru", "codegen-xl")
UNITS = ("pool:a10g-pool", "pool:a100-pool", "dedicated:inline")


@pytest.fixture(scope="module")
def diurnal_day():
    """The acceptance command: `loadmaster simulate examples/codegen-platform.yaml --trace diurnal --duration 24h --format json`."""
    with pytest.MonkeyPatch.context() as patch:
        out, err = io.StringIO(), io.StringIO()
        patch.setattr("sys.stdout", out)
        patch.setattr("sys.stderr", err)
        code = main(["simulate", str(EXAMPLE), "--trace", "diurnal", "--duration", "24h", "--format", "json"])
    return code, json.loads(out.getvalue()), err.getvalue()


def test_the_acceptance_command_prints_every_field_the_issue_names(diurnal_day):
    code, document, _ = diurnal_day

    assert code == 0
    for key in ("cost", "baseline_cost", "plan_estimate_cost", "instance_hours", "events"):
        assert key in document
    assert set(document["models"]) == set(MODELS)
    for outcome in document["models"].values():
        assert {"served", "failed", "p50_wait_s", "p90_wait_s", "p99_wait_s", "first_scale_out_s", "full_capacity_s"} <= set(outcome)
    assert set(document["instance_hours"]) == set(UNITS)
    assert document["duration_s"] == 86_400 and document["trace"] == "diurnal"


def test_a_diurnal_day_serves_the_busy_models_scales_them_and_costs_what_its_instance_hours_do(diurnal_day):
    _, document, _ = diurnal_day
    units = document["units"]

    assert document["models"]["blockgen"]["served"] > 100_000  # ten requests in flight at 1.5 s for a day
    assert any(event["kind"] == "scale-out" and event["model"] == "blockgen" for event in document["events"])
    assert document["events"] == sorted(document["events"], key=lambda event: event["time_s"])
    # The cost is the instance-hours at each unit's price (no unit here is billed by use).
    assert document["cost"] == pytest.approx(sum(unit["instance_hours"] * unit["price_usd_per_hour"] for unit in units.values()), abs=0.05)
    # The inline endpoint keeps at least its 2 instances all day.
    assert document["instance_hours"]["dedicated:inline"] >= 48


def test_the_plan_estimate_is_the_plans_hourly_cost_at_mean_for_the_runs_hours(diurnal_day):
    _, document, _ = diurnal_day

    assert document["plan_estimate_cost"] == pytest.approx(plan_file(EXAMPLE).cost.hourly_at_mean * 24, abs=0.01)


def test_the_baseline_puts_every_model_on_its_own_endpoint_with_an_instance_per_serving_copy(diurnal_day):
    _, document, _ = diurnal_day
    plan = plan_file(EXAMPLE)

    # At least one instance per model all day, at its baseline type's price: the floor of the baseline.
    floor = sum(endpoint.price * 24 for endpoint in plan.cost.baseline)
    assert document["baseline_cost"] >= floor
    assert document["baseline_cost"] > document["cost"] / 10  # same order as the run, not a made-up figure


def test_the_markdown_names_the_costs_models_units_and_events(capsys):
    code = main(["simulate", str(EXAMPLE), "--trace", "step", "--duration", "90m"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("# Simulation of codegen-platform: step trace, 1.5 h\n")
    assert "on one endpoint per model at the same traffic (baseline)" in out and "mean-traffic estimate" in out
    for heading in ("## Models", "## Instances", "## Scaling events", "## Assumptions"):
        assert heading in out
    assert "| blockgen | pool:a10g-pool |" in out


def test_plot_writes_one_png_per_unit_and_leaves_the_users_files_alone(tmp_path, capsys):
    import matplotlib.image

    (tmp_path / "notes.txt").write_text("mine")

    code = main(["simulate", str(EXAMPLE), "--trace", "step", "--duration", "30m", "--format", "json", "--plot", str(tmp_path)])

    assert code == 0
    written = json.loads(capsys.readouterr().out)["plots"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dedicated-inline.png", "notes.txt", "pool-a100-pool.png", "pool-a10g-pool.png"]
    assert sorted(written) == sorted(str(tmp_path / name) for name in ("dedicated-inline.png", "pool-a100-pool.png", "pool-a10g-pool.png"))
    assert (tmp_path / "notes.txt").read_text() == "mine"
    height, width, _ = matplotlib.image.imread(tmp_path / "pool-a10g-pool.png").shape
    assert (width, height) == (1100, 650)


def test_plot_into_a_file_is_refused_before_the_work(tmp_path, capsys):
    target = tmp_path / "out.png"
    target.write_text("mine")

    code = main(["simulate", str(EXAMPLE), "--trace", "steady", "--duration", "10m", "--plot", str(target)])

    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr() == ("", f"{target}: cannot write the pictures: it is a file, not a folder\n")
    assert target.read_text() == "mine"


def test_plot_that_fails_to_draw_leaves_no_new_folder_and_no_partial_file(tmp_path, capsys, monkeypatch):
    from loadmaster.simulator import plots

    def broken(plt, result, unit):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plots, "_figure", broken)
    folder = tmp_path / "pictures"

    code = main(["simulate", str(EXAMPLE), "--trace", "steady", "--duration", "10m", "--plot", str(folder)])

    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err == f"{folder}: cannot write the pictures: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


def test_a_parameter_override_reaches_the_simulation_and_an_unknown_one_is_refused(capsys):
    slow, fast = (json.loads(_out(capsys, ["simulate", str(EXAMPLE), "--trace", "idle-then-burst", "--duration", "1h", "--format", "json",
                                           "--set", f"model_download_s={seconds}"]))["models"]["apexguru"] for seconds in (1200, 30))
    assert slow["failed"] > fast["failed"]

    code = main(["simulate", str(EXAMPLE), "--trace", "steady", "--duration", "10m", "--set", "model_dowload_s=3"])

    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.startswith("--set: parameters.model_dowload_s: unknown parameter (known: ")


def _out(capsys, argv):
    assert main(argv) == 0
    return capsys.readouterr().out


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_stays_silent_on_short_runs_and_draws_on_a_terminal_after_two_seconds():
    now = [0.0]
    stream = Terminal()
    bar = ProgressBar("simulating", stream, clock=lambda: now[0])

    bar.update(0.3)
    assert stream.getvalue() == ""
    now[0] = 2.5
    bar.update(0.5)
    bar.close()

    assert stream.getvalue().startswith("\rsimulating [###############...............]  50%")
    assert stream.getvalue().endswith("\r")  # the line is cleared at the end


def test_the_progress_bar_writes_a_line_per_quarter_into_a_log():
    now = [10.0]
    stream = io.StringIO()
    bar = ProgressBar("simulating", stream, clock=lambda: now[0])
    now[0] = 13.0

    for fraction in (0.1, 0.26, 0.3, 0.55, 1.0):
        bar.update(fraction)

    assert stream.getvalue() == "simulating: 26%\nsimulating: 55%\nsimulating: 100%\n"



def test_the_baseline_of_every_simulated_pattern_bills_an_instance_per_serving_copy_and_serverless_use_as_the_run_does(tmp_path):
    # Given every-pattern's models of the patterns the engine simulates (the others are reported as not simulated)
    import yaml

    document = yaml.safe_load((EXAMPLE.parent / "every-pattern.yaml").read_text())
    document["models"] = [model for model in document["models"] if model.get("hosting", "inference-component") in ("inference-component", "dedicated", "async", "serverless")]
    every_pattern = tmp_path / "simulated-patterns.yaml"
    every_pattern.write_text(yaml.safe_dump(document))
    plan = plan_file(every_pattern)
    models = load_portfolio(every_pattern).models
    services = {model.name: 1.0 for model in models}
    trace = preset_trace("step", models, str(every_pattern), 1_800, seed=0, step_s=10, service_time_s=services)

    result = simulate(plan, trace.demand, Parameters())
    costs = run_costs(plan, result)

    def serving(model):
        return result.units[result.models[model].unit].copies[model]

    on_instances = sum(endpoint.price * np.maximum(serving(endpoint.model), 1).sum() * 10 / 3600 for endpoint in plan.cost.baseline)
    tagger = result.units["serverless:tagger"]
    assert tagger.instance_hours is None and tagger.cost_usd > 0  # billed by use, the same endpoint in both
    assert costs.baseline_cost == pytest.approx(on_instances + tagger.cost_usd)
    assert costs.cost == pytest.approx(sum(unit.cost_usd for unit in result.units.values()))
    assert costs.plan_estimate_cost == pytest.approx(plan.cost.hourly_at_mean / 2)


@pytest.mark.parametrize(("override", "line"), [
    ("model_download_s", "--set: model_download_s: expected KEY=VALUE, such as model_download_s=300"),
    ("model_download_s=soon", "--set: model_download_s=soon: 'soon' is not a number"),
    ("models.chat.service_time_s=2", "--set: models.chat: no such model in the portfolio"),
    ("model_download_s=-5", "--set: parameters.model_download_s: expected a number >= 0, got -5.0"),
])
def test_a_bad_override_is_one_line_and_exit_2(override, line, capsys):
    code = main(["simulate", str(EXAMPLE), "--trace", "steady", "--duration", "10m", "--set", override])

    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr() == ("", line + "\n")
