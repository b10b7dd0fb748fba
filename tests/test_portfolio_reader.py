"""The portfolio reader's refusals, message by message: what a user sees before any schema check runs.

tests/test_fuzz_portfolios.py checks that hostile files are refused quickly through the CLI; these pin each
refusal's words and where it points, with the reader called directly (fast enough for mutation testing)."""

from __future__ import annotations

import pytest

from loadmaster.errors import PortfolioError
from loadmaster.spec.load import load_portfolio
from loadmaster.spec.reader import MAX_DEPTH, MAX_VALUES, read_yaml


def refusal(tmp_path, text: str | bytes, *, load: bool = False) -> str:
    path = tmp_path / "team.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(PortfolioError) as refused:
        load_portfolio(path) if load else read_yaml(path, "team.yaml")
    return str(refused.value).replace(str(path), "team.yaml")  # load_portfolio names the file by its path


def test_a_yaml_syntax_error_names_its_line_and_column(tmp_path):
    # Given a flow mapping left open on line 3, column 8
    message = refusal(tmp_path, "version: 1\nname: x\nmodels: {a: 1\n")

    assert message.startswith("team.yaml: line 4, column 1: not valid YAML:")


def test_a_bad_indentation_is_pointed_at_where_yaml_noticed_it(tmp_path):
    message = refusal(tmp_path, "version: 1\nname: x\n  region: us-east-1\n")

    assert message == "team.yaml: line 3, column 9: not valid YAML: mapping values are not allowed here"


def test_a_yaml_bomb_is_refused_by_its_expanded_size(tmp_path):
    bomb = "l0: &l0 [" + ", ".join(["lol"] * 10) + "]\n" + "".join(
        f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]\n" for level in range(1, 7)
    )

    assert refusal(tmp_path, bomb) == f"team.yaml: expands to more than {MAX_VALUES:,} values through its aliases (a YAML bomb?): not a portfolio"


def test_a_collection_that_contains_itself_is_refused_where_it_starts(tmp_path):
    assert refusal(tmp_path, "version: 1\nname: &loop [x, *loop]\n") == (
        "team.yaml: line 2, column 7: an alias refers to a collection that contains it: not a portfolio"
    )


def test_nesting_is_refused_one_level_past_the_limit_and_accepted_at_it(tmp_path):
    def nested(levels: int) -> str:  # the document's mapping is the first level
        return "a: " + "[" * (levels - 1) + "]" * (levels - 1) + "\n"

    assert refusal(tmp_path, nested(MAX_DEPTH + 1)) == (
        f"team.yaml: line 1, column {MAX_DEPTH + 3}: nested more than {MAX_DEPTH} levels deep: not a portfolio"
    )
    (tmp_path / "ok.yaml").write_text(nested(MAX_DEPTH))
    document, duplicates = read_yaml(tmp_path / "ok.yaml", "ok.yaml")
    assert duplicates == [] and isinstance(document["a"], list)



def test_nesting_too_deep_for_the_yaml_parser_itself_is_refused_in_one_line(tmp_path):
    # Given a document nested far past the limit, deeper than PyYAML's recursive composer can go
    deep = "a: " + "[" * 20_000 + "]" * 20_000 + "\n"
    # Then it is refused as nesting, not with a RecursionError's traceback
    assert refusal(tmp_path, deep) == f"team.yaml: nested more than {MAX_DEPTH} levels deep: not a portfolio"


def test_a_shared_alias_is_counted_once_per_use_not_refused_as_a_loop(tmp_path):
    # Given the same list used twice, side by side: not a loop
    (tmp_path / "ok.yaml").write_text("a: &shared [1, 2]\nb: *shared\nc: *shared\n")

    document, _ = read_yaml(tmp_path / "ok.yaml", "ok.yaml")

    assert document == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}


def test_a_file_that_is_not_utf_8_is_refused_as_unreadable(tmp_path):
    assert refusal(tmp_path, b"name: \xff\xfe\n").startswith("team.yaml: cannot read the file: 'utf-8' codec can't decode byte 0xff")


def test_a_document_that_is_not_a_mapping_names_what_it_is(tmp_path):
    assert refusal(tmp_path, "- version: 1\n", load=True) == "team.yaml: expected a mapping of portfolio keys, found a list"


def test_duplicate_keys_are_reported_with_the_file_beside_the_schema_problems(tmp_path):
    message = refusal(tmp_path, "version: 1\nversion: 1\nname: x\nmodels: []\nbogus: 1\n", load=True)

    assert message.splitlines()[0] == "team.yaml: line 2, column 1: duplicate key 'version' (first on line 1); YAML would keep only the last"
    assert all(line.startswith("team.yaml: ") for line in message.splitlines()) and "bogus" in message


def test_a_million_values_through_aliases_are_refused_even_when_no_single_list_is_large(tmp_path):
    # Given a thousand scalars, and a list of a thousand aliases of them: 1,001,001 values once expanded
    text = "a: &a [" + ", ".join(["x"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 1000) + "]\n"

    assert refusal(tmp_path, text) == f"team.yaml: expands to more than {MAX_VALUES:,} values through its aliases (a YAML bomb?): not a portfolio"


def test_a_missing_file_a_directory_and_a_file_too_large_are_each_named(tmp_path):
    from loadmaster.spec.reader import MAX_PORTFOLIO_BYTES

    with pytest.raises(PortfolioError, match=r"^team\.yaml: file not found$"):
        read_yaml(tmp_path / "absent.yaml", "team.yaml")
    with pytest.raises(PortfolioError, match=r"^team\.yaml: is a directory, not a portfolio file$"):
        read_yaml(tmp_path, "team.yaml")
    (tmp_path / "big.yaml").write_bytes(b"#" * (MAX_PORTFOLIO_BYTES + 1))
    with pytest.raises(PortfolioError, match=rf"^team\.yaml: larger than {MAX_PORTFOLIO_BYTES // 2**20} MB: not a portfolio"):
        read_yaml(tmp_path / "big.yaml", "team.yaml")
    (tmp_path / "limit.yaml").write_bytes(b"#" * MAX_PORTFOLIO_BYTES)
    assert read_yaml(tmp_path / "limit.yaml", "limit.yaml") == (None, [])


def test_a_character_yaml_does_not_allow_is_pointed_at(tmp_path):
    assert refusal(tmp_path, b"version: 1\nname: a\x00b\n") == "team.yaml: line 2, column 8: not valid YAML: character 0x00 is not allowed"


@pytest.mark.parametrize(("value", "reason"), [
    ("2024-13-45", "month must be in 1..12"),
    ("9" * 5000, "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"),
])
def test_a_value_yaml_reads_but_python_cannot_hold_is_refused_naming_the_file_without_pythons_advice(tmp_path, value, reason):
    # Given a date that does not exist, or an integer longer than Python converts (its advice names sys.set_int_max_str_digits)
    assert refusal(tmp_path, f"version: 1\nname: x\ncreated: {value}\n") == f"team.yaml: not valid YAML: {reason}"
