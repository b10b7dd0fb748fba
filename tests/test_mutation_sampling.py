"""mutation/run.py's rate on a sample of a module's mutants: what `make mutation` reports by default."""

import importlib.util
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("mutation_run", Path(__file__).resolve().parent.parent / "mutation" / "run.py")
run = importlib.util.module_from_spec(_SPEC)
sys.modules["mutation_run"] = run  # its dataclasses look their module up while they are made
_SPEC.loader.exec_module(run)


def _tally(killed: int, survived: int, untested: int = 0) -> "run.Tally":
    status = {f"m.k{i}": "killed" for i in range(killed)}
    status |= {f"m.s{i}": "survived" for i in range(survived)}
    status |= {f"m.u{i}": "not checked" for i in range(untested)}
    return run.Tally(status)


def test_a_sampled_rate_is_reported_with_its_wilson_interval():
    # Given 85 of 100 sampled mutants killed and 900 not tested
    tally = _tally(85, 15, untested=900)
    # Then the rate is of the tested ones, and its 95 % interval is Wilson's for n = 100
    assert tally.rate == pytest.approx(0.85)
    low, high = tally.interval
    assert low == pytest.approx(0.767, abs=0.001) and high == pytest.approx(0.907, abs=0.001)


def test_the_interval_narrows_as_more_mutants_are_tested_and_stays_within_0_and_1():
    assert _tally(850, 150).interval[1] - _tally(850, 150).interval[0] < _tally(85, 15).interval[1] - _tally(85, 15).interval[0]
    assert _tally(10, 0).interval[1] == 1.0 and _tally(0, 10).interval[0] == 0.0
    assert _tally(0, 0, untested=5).interval is None


def test_equivalent_mutants_are_left_out_of_the_sampled_rate():
    tally = _tally(9, 1)
    tally.equivalent.append((run.Equivalent("m.s0", "x", "changes nothing observable"), "x"))
    assert tally.rate == 1.0
