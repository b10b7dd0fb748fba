"""The hardened YAML reader: a portfolio file's document, or one `Problem` that names its line, never a traceback.

It refuses what is not a portfolio before anything walks it: a file above a size cap (even an endless one), bytes
that are not UTF-8, characters YAML does not allow (NUL, control characters), nesting beyond a depth, a YAML bomb
(aliases expanding past a number of values) and an alias that contains itself; a key written twice is a problem too,
with its line (`tests/test_fuzz_portfolios.py` throws generated and hostile input at it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from loadmaster.errors import PortfolioError, Problem


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, but a key written twice in one mapping is a problem, not silently the last one."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicate_keys: list[Problem] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_lines: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value in first_lines:
                where = f"line {key.start_mark.line + 1}, column {key.start_mark.column + 1}"
                self.duplicate_keys.append(Problem(where, f"duplicate key {key.value!r} (first on line {first_lines[key.value]}); YAML would keep only the last"))
            elif isinstance(key, yaml.ScalarNode):
                first_lines[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep)


# A portfolio of a thousand models is a few hundred KB, and PyYAML reads about a MB a second: a bigger file is not
# a portfolio, and would only keep the command busy.
MAX_PORTFOLIO_BYTES = 4 * 1024 * 1024
# Far beyond any portfolio (models[2].scaling.target is 4 deep; a large portfolio holds some 10,000 values), far below
# what makes the validation hang or overflow: a YAML bomb's aliases expand to billions of values, and a list nested
# 10,000 times overflows Python's stack.
MAX_DEPTH = 50
MAX_VALUES = 1_000_000


def read_yaml(path: Path, source: str) -> tuple[Any, list[Problem]]:
    """The document and the keys written twice in it."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PORTFOLIO_BYTES + 1)  # never more, even from an endless file such as /dev/zero
    except FileNotFoundError:
        raise PortfolioError(source, [Problem("", "file not found")]) from None
    except IsADirectoryError:
        raise PortfolioError(source, [Problem("", "is a directory, not a portfolio file")]) from None
    except OSError as error:
        raise PortfolioError(source, [Problem("", f"cannot read the file: {error}")]) from None
    if len(data) > MAX_PORTFOLIO_BYTES:
        raise PortfolioError(source, [Problem("", f"larger than {MAX_PORTFOLIO_BYTES // 2**20} MB: not a portfolio (those are a few hundred KB at most)")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PortfolioError(source, [Problem("", f"cannot read the file: {error}")]) from None
    loader = None
    try:
        loader = _Loader(text)  # refuses characters YAML does not allow, such as NUL
        node = loader.get_single_node()
        _raise_if_too_large(node, source)
        return (loader.construct_document(node) if node is not None else None), loader.duplicate_keys
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, such as NUL or a control character
        line, column = text.count("\n", 0, error.position) + 1, error.position - text.rfind("\n", 0, error.position)
        raise PortfolioError(source, [Problem(f"line {line}, column {column}", f"not valid YAML: character {error.character:#04x} is not allowed")]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PortfolioError(source, [Problem(where, f"not valid YAML: {error.problem}")]) from None
    except yaml.YAMLError as error:
        raise PortfolioError(source, [Problem("", f"not valid YAML: {error}")]) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise PortfolioError(source, [Problem("", f"nested more than {MAX_DEPTH} levels deep: not a portfolio")]) from None
    except ValueError as error:  # a date such as 2024-13-45, an integer beyond Python's 4,300 digits
        reason = str(error).split(";")[0]  # not Python's advice on sys.set_int_max_str_digits()
        raise PortfolioError(source, [Problem("", f"not valid YAML: {reason}")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _raise_if_too_large(root: yaml.Node | None, source: str) -> None:
    """Refuse a document nested more than `MAX_DEPTH` levels, expanding to more than `MAX_VALUES` values once its
    aliases are followed, or containing itself, before anything walks it. Each node is visited once (aliases share
    their node), without recursion."""
    values: dict[int, int] = {}  # expanded values under each node finished so far, by id
    open_nodes: set[int] = set()  # the nodes whose children are being visited: the current path
    pending: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)] if root is not None else []
    while pending:
        node, depth, children_done = pending.pop()
        children = [child for pair in node.value for child in pair] if isinstance(node, yaml.MappingNode) else node.value if isinstance(node, yaml.SequenceNode) else []
        if children_done:
            open_nodes.discard(id(node))
            values[id(node)] = 1 + sum(values[id(child)] for child in children)
            if values[id(node)] > MAX_VALUES:
                raise PortfolioError(source, [Problem("", f"expands to more than {MAX_VALUES:,} values through its aliases (a YAML bomb?): not a portfolio")])
            continue
        if id(node) in values:
            continue
        where = f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"
        if id(node) in open_nodes:
            raise PortfolioError(source, [Problem(where, "an alias refers to a collection that contains it: not a portfolio")])
        if depth > MAX_DEPTH:
            raise PortfolioError(source, [Problem(where, f"nested more than {MAX_DEPTH} levels deep: not a portfolio")])
        open_nodes.add(id(node))
        pending.append((node, depth, True))
        pending.extend((child, depth + 1, False) for child in children)
