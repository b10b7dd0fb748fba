"""The model-level `request:` block: one request's payload and processing time, and whether callers can wait for
the result in S3, what each hosting's limits are checked against and `hosting: auto` weighs."""

from __future__ import annotations

import copy

import pytest
from test_portfolio_validation import INLINE, VALID, model, problems_in

from loadmaster.catalog import load_catalog
from loadmaster.spec.load import validate_portfolio


@pytest.fixture
def portfolio(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    return copy.deepcopy(VALID)


def test_a_request_block_is_read_with_its_default(portfolio):
    model(portfolio, INLINE)["request"] = {"payload_mb": 2, "processing_s": 1.5}

    request = validate_portfolio(portfolio, "portfolio.yaml", load_catalog()).models[INLINE].request

    assert (request.payload_mb, request.processing_s, request.callers_wait_for_s3) == (2, 1.5, False)


def test_a_model_without_a_request_block_states_none(portfolio):
    assert validate_portfolio(portfolio, "portfolio.yaml", load_catalog()).models[INLINE].request is None


def test_a_misspelt_request_key_is_named(portfolio):
    model(portfolio, INLINE)["request"] = {"payload_mb": 2, "processing_s": 1, "callers_wait_for_s4": True}

    assert problems_in(portfolio) == ["portfolio.yaml: models[0] (inline).request.callers_wait_for_s4: unknown key `callers_wait_for_s4`: did you mean `callers_wait_for_s3`?"]


def test_a_request_without_a_payload_is_refused(portfolio):
    model(portfolio, INLINE)["request"] = {"payload_mb": 0, "processing_s": 1}

    (line,) = problems_in(portfolio)
    assert line.startswith("portfolio.yaml: models[0] (inline).request.payload_mb: ")
