"""Traces a simulation replays: presets shaped from each model's stated traffic, CSV files resampled to the
simulation's steps, and every bad CSV refused with exit 2 and one line naming the file and the line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from loadmaster.cli import main
from loadmaster.errors import EXIT_BAD_INPUT
from loadmaster.simulator.traces import PRESETS, parse_duration, preset_trace, read_trace
from loadmaster.spec.load import load_portfolio
from loadmaster.synthesis import DEFAULT_PORTFOLIO as EXAMPLE

STEP_S = 10


@pytest.fixture(scope="module")
def models():
    return load_portfolio(EXAMPLE).models


@pytest.fixture(scope="module")
def services(models):
    """What the command simulates each model's requests with: its latency objective (all of the example's state one)."""
    return {model.name: model.latency_slo_ms / 1000 for model in models}


def traffic_of(models, name):
    return next(model.traffic for model in models if model.name == name)


@pytest.mark.parametrize(("text", "seconds"), [("24h", 86_400), ("90m", 5_400), ("1w", 604_800), ("1h30m", 5_400), ("45s", 45), ("1.5d", 129_600)])
def test_a_duration_reads_as_people_write_it(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "24", "24x", "h", "0m", "1h 30"])
def test_a_duration_that_is_not_one_is_refused_with_the_forms_it_takes(text):
    with pytest.raises(ValueError, match="duration such as 90m, 24h|no time at all"):
        parse_duration(text)


def test_a_bad_duration_on_the_command_line_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["simulate", str(EXAMPLE), "--trace", "steady", "--duration", "a day"])

    assert exit.value.code == EXIT_BAD_INPUT
    assert "'a day' is not a duration such as 90m, 24h" in capsys.readouterr().err


def test_a_diurnal_day_averages_each_models_mean_and_reaches_its_peak_in_the_afternoon(models, services):
    trace = preset_trace("diurnal", models, "portfolio.yaml", 86_400, seed=1, step_s=STEP_S, service_time_s=services)

    for name, values in trace.demand.concurrency.items():
        traffic = traffic_of(models, name)
        assert len(values) == 8_640
        assert values.mean() == pytest.approx(traffic.mean_concurrency, rel=0.1, abs=0.05)
        hourly = values.reshape(24, -1).mean(axis=1)
        assert 12 <= int(hourly.argmax()) <= 15  # around 14:00
        around_two_pm = values[14 * 360 - 60:14 * 360 + 60]  # 13:50 to 14:10
        assert around_two_pm.mean() == pytest.approx(traffic.peak_concurrency, rel=0.2)


def test_a_step_holds_the_peak_over_the_middle_third_and_the_mean_around_it(models, services):
    values = preset_trace("step", models, "portfolio.yaml", 5_400, seed=0, step_s=STEP_S, service_time_s=services).demand.concurrency["blockgen"]

    before, during, after = np.split(values, 3)
    assert during.mean() == pytest.approx(24, rel=0.1)
    assert before.mean() == pytest.approx(10, rel=0.15) and after.mean() == pytest.approx(10, rel=0.15)


def test_idle_then_burst_has_no_traffic_until_the_burst_at_the_peak(models, services):
    values = preset_trace("idle-then-burst", models, "portfolio.yaml", 3_600, seed=0, step_s=STEP_S, service_time_s=services).demand.concurrency["apexguru"]

    assert not values[:216].any()  # the first 60 % of the hour
    assert values[216:].mean() == pytest.approx(6, rel=0.2)


def test_a_spike_reaches_the_peak_for_five_minutes_in_six_hours(models, services):
    values = preset_trace("spike", models, "portfolio.yaml", 6 * 3600, seed=3, step_s=STEP_S, service_time_s=services).demand.concurrency["flowgpt"]

    high = values > 13  # halfway between flowgpt's mean (6) and peak (20)
    assert 20 <= high.sum() <= 40  # about 30 steps of 10 s, give or take the noise


def test_requests_arrive_independently_so_a_step_varies_as_its_arrivals_do(models, services):
    trace = preset_trace("steady", models, "portfolio.yaml", 86_400, seed=2, step_s=STEP_S, service_time_s=services).demand.concurrency

    # blockgen: 10 in flight at 1.5 s, so 66.7 arrivals a step; each step's concurrency is arrivals x 1.5 s / 10 s.
    assert trace["blockgen"].var() == pytest.approx(10 * 1.5 / STEP_S, rel=0.1)
    # codegen-xl's requests take 30 s, longer than a step: a step varies as the requests in service do (Poisson).
    assert trace["codegen-xl"].var() == pytest.approx(0.3, rel=0.1)


@pytest.mark.parametrize("preset", PRESETS)
def test_the_same_seed_replays_the_same_trace_and_another_seed_another(preset, models, services):
    def drawn(seed):
        return preset_trace(preset, models, "portfolio.yaml", 7_200, seed=seed, step_s=STEP_S, service_time_s=services).demand.concurrency["inline"]

    assert np.array_equal(drawn(5), drawn(5))
    assert preset == "idle-then-burst" or not np.array_equal(drawn(5), drawn(6))


def test_a_preset_refuses_a_model_without_traffic_naming_it(tmp_path, capsys):
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text(EXAMPLE.read_text().replace("    traffic: {pattern: intermittent, mean_concurrency: 0.3, peak_concurrency: 3}\n", ""))

    code = main(["simulate", str(portfolio), "--trace", "diurnal", "--duration", "1h"])

    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == (
        f"{portfolio}: models[5] (codegen-xl).traffic: the 'diurnal' trace is scaled to the model's traffic "
        "(mean_concurrency, peak_concurrency), which it does not state: state it, or give a CSV trace")


def test_a_preset_leaves_out_a_model_of_a_pattern_the_engine_does_not_simulate_even_without_traffic(tmp_path, capsys):
    # Given the example and a nightly batch transform that states no traffic (it has none to state in real time)
    import yaml

    document = yaml.safe_load(EXAMPLE.read_text())
    batch = next(model for model in yaml.safe_load((EXAMPLE.parent / "every-pattern.yaml").read_text())["models"] if model.get("hosting") == "batch")
    batch.pop("traffic")
    document["models"].append(batch)
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text(yaml.safe_dump(document))

    # When a preset is replayed
    code = main(["simulate", str(portfolio), "--trace", "steady", "--duration", "1h", "--format", "json"])

    # Then the real-time models are simulated and the batch model is reported as not simulated, not refused
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert batch["name"] not in document["models"] and "blockgen" in document["models"]
    assert any("hosting batch is not simulated" in note for note in document["notes"])


def test_a_csv_value_holds_until_the_models_next_row_and_each_step_takes_its_time_weighted_mean(models, tmp_path):
    path = tmp_path / "trace.csv"
    path.write_text("timestamp,model,concurrency\n0,blockgen,4\n15,blockgen,8\n30,flowgpt,2\n")

    trace = read_trace(path, models, None, STEP_S, {})

    assert trace.demand.steps == 4  # until one step after the last row
    assert list(trace.demand.concurrency["blockgen"]) == [4, 6, 8, 8]
    assert list(trace.demand.concurrency["flowgpt"]) == [0, 0, 0, 2]
    assert not trace.demand.concurrency["inline"].any()
    assert any("no rows for inline, textevel, apexguru, codegen-xl: no traffic for them" in note for note in trace.notes)


def test_a_csv_of_iso_times_over_a_longer_duration_holds_its_last_values(models, tmp_path):
    path = tmp_path / "trace.csv"
    path.write_text("timestamp,model,concurrency\n2026-12-01T14:00:00Z,inline,30\n2026-12-01T14:00:20+00:00,inline,50\n")

    values = read_trace(path, models, 60, STEP_S, {}).demand.concurrency["inline"]

    assert list(values) == [30, 30, 50, 50, 50, 50]


def test_requests_per_second_become_concurrency_at_the_models_service_time(models, tmp_path):
    path = tmp_path / "trace.csv"
    path.write_text("timestamp,model,requests_per_s\n0,blockgen,10\n")

    trace = read_trace(path, models, 20, STEP_S, {"blockgen": 1.5})

    assert list(trace.demand.concurrency["blockgen"]) == [15, 15]
    assert any("by Little's law at each model's service time: blockgen 1.5 s" in note for note in trace.notes)


BAD_TRACES = {  # the CSV, and what its one line on stderr says after "trace.csv: "
    "wrong columns": ("time,model,concurrency\n0,inline,3\n",
                      "line 1: expected the columns timestamp,model,concurrency or timestamp,model,requests_per_s, found time,model,concurrency"),
    "empty file": ("", "line 1: expected the columns timestamp,model,concurrency or timestamp,model,requests_per_s, found nothing"),
    "no rows": ("timestamp,model,concurrency\n", "line 2: the trace has no rows after its header"),
    "unknown model": ("timestamp,model,concurrency\n0,inline,3\n10,chat,2\n",
                      "line 3: unknown model 'chat' (the portfolio has inline, textevel, blockgen, flowgpt, apexguru, codegen-xl)"),
    "unsorted": ("timestamp,model,concurrency\n0,inline,3\n20,inline,2\n10,inline,1\n",
                 "line 4: timestamp 10 is before the line above's: sort the trace by time"),
    "negative": ("timestamp,model,requests_per_s\n0,inline,3\n10,inline,-1\n", "line 3: requests_per_s -1 is negative"),
    "unparsable value": ("timestamp,model,concurrency\n0,inline,many\n", "line 2: concurrency 'many' is not a number"),
    "not finite": ("timestamp,model,concurrency\n0,inline,nan\n", "line 2: concurrency 'nan' is not a number"),
    "unparsable timestamp": ("timestamp,model,concurrency\nnoon,inline,3\n",
                             "line 2: timestamp 'noon' is neither seconds from the start nor an ISO 8601 time such as 2026-12-01T14:00:00Z"),
    "no time zone": ("timestamp,model,concurrency\n2026-12-01T14:00:00,inline,3\n",
                     "line 2: timestamp '2026-12-01T14:00:00' has no time zone: add Z or an offset such as +01:00"),
    "mixed timestamps": ("timestamp,model,concurrency\n0,inline,3\n2026-12-01T14:00:00Z,inline,4\n",
                         "line 3: timestamp 2026-12-01T14:00:00Z is an ISO 8601 time but the first row's is seconds from the start: "
                         "write every timestamp the same way"),
    "missing value": ("timestamp,model,concurrency\n0,inline,3\n10,inline\n", "line 3: expected 3 values (timestamp,model,concurrency), found 2"),
}


@pytest.mark.parametrize(("text", "line"), BAD_TRACES.values(), ids=BAD_TRACES.keys())
def test_a_bad_trace_is_one_line_naming_the_file_and_line_with_exit_2(text, line, tmp_path, capsys):
    path = tmp_path / "trace.csv"
    path.write_text(text)

    code = main(["simulate", str(EXAMPLE), "--trace", str(path)])

    assert code == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"{path}: {line}\n")


def test_a_trace_that_is_neither_a_preset_nor_a_file_names_the_presets(tmp_path, capsys):
    code = main(["simulate", str(EXAMPLE), "--trace", str(tmp_path / "diurnl")])

    assert code == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == (
        f"{tmp_path / 'diurnl'}: trace file not found (or name a preset: steady, diurnal, spike, step, idle-then-burst)")

