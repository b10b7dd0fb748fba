"""`make mutation`: mutmut over each module of mutation/modules.toml, against the tests that cover it, and the kill
rate of each, the equivalent mutants of mutation/equivalent.toml left out and listed with their reason.

    python mutation/run.py [MODULE ...] [--changed] [--survivors] [--fresh] [--report] [--sample N] [--all]

Each module runs in its own folder, `.mutation/<module>/`: links to the repository's files and a pyproject.toml
whose `[tool.mutmut]` names the module's paths and tests. mutmut copies them into `mutants/` there and keeps its
results, so a second run tests only the mutants of functions that changed since; `--fresh` starts the module over.
`--changed` mutates only the files changed since `git merge-base HEAD main` (committed or not): the everyday run.
mutmut keeps a mutant's result until its function changes: after adding tests, `--survivors` tests the mutants that
survived again.

A full run of every mutant takes hours on 2 cores, so by default each module tests a seeded random sample of its
mutants (`sample` in mutation/modules.toml; `--sample N` for another size, `--all` for every mutant) and reports
the kill rate with its 95 % confidence interval (Wilson score): the sample is the same from run to run, so a rerun
after adding tests measures the same mutants again. Mutants tested earlier count too, sampled or not.

mutmut runs one mutant at a time (`--max-children 1`): each mutant's tests run in a process forked from mutmut's,
which has imported the CDK and started its jsii kernel once, so a mutant costs its tests only. Forked processes
share that one kernel: they must use it one after the other, never at once.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODULES_FILE = REPO / "mutation" / "modules.toml"
EQUIVALENT_FILE = REPO / "mutation" / "equivalent.toml"
WORK = REPO / ".mutation"
MUTMUT = Path(sys.executable).parent / "mutmut"

KILLED = {"killed", "timeout", "segfault"}  # a test failed, hung or crashed the interpreter: the mutant was caught
NOT_RUN = {"skipped", "not checked", "check was interrupted by user"}
SAMPLE_SEED = 14  # the sample stays the same from run to run: tests added after a run are measured on its mutants
NO_MUTANT = "no-mutant-has-this-name"  # a filter mutmut matches with nothing: it generates the mutants, then stops


@dataclass(frozen=True)
class Module:
    name: str
    paths: list[str]
    tests: list[str]

    def owns(self, path: str) -> bool:
        return any(path == each or path.startswith(each.rstrip("/") + "/") for each in self.paths)


@dataclass(frozen=True)
class Equivalent:
    mutant: str
    mutated: str  # the line the mutant changes, as mutmut shows it: an entry for a mutant that changed is stale
    reason: str


@dataclass
class Tally:
    status: dict[str, str]  # mutant -> mutmut's status
    equivalent: list[tuple[Equivalent, str]] = field(default_factory=list)  # with the line mutmut shows for it
    stale: list[tuple[Equivalent, str]] = field(default_factory=list)  # entries that no longer hold, and why

    @property
    def tested(self) -> list[str]:
        equivalent = {entry.mutant for entry, _ in self.equivalent}
        return [mutant for mutant, status in self.status.items() if status not in NOT_RUN and mutant not in equivalent]

    @property
    def killed(self) -> int:
        return sum(self.status[mutant] in KILLED for mutant in self.tested)

    @property
    def survivors(self) -> list[str]:
        return [mutant for mutant in self.tested if self.status[mutant] not in KILLED]

    @property
    def rate(self) -> float | None:
        return self.killed / len(self.tested) if self.tested else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The rate's 95 % confidence interval (Wilson score), for a rate measured on part of the mutants."""
        tested = len(self.tested)
        if not tested:
            return None
        z, rate = 1.96, self.killed / tested
        centre = (rate + z * z / (2 * tested)) / (1 + z * z / tested)
        half = z * math.sqrt(rate * (1 - rate) / tested + z * z / (4 * tested * tested)) / (1 + z * z / tested)
        return max(0.0, centre - half), min(1.0, centre + half)


def load_modules() -> tuple[float, int, dict[str, Module]]:
    config = tomllib.loads(MODULES_FILE.read_text())
    modules = {name: Module(name, entry["paths"], entry["tests"]) for name, entry in config["modules"].items()}
    return config["threshold"], config["sample"], modules


def load_equivalents() -> list[Equivalent]:
    if not EQUIVALENT_FILE.exists():
        return []
    return [Equivalent(entry["mutant"], entry["mutated"], entry["reason"]) for entry in tomllib.loads(EQUIVALENT_FILE.read_text()).get("mutant", [])]


def prepare(module: Module) -> Path:
    """The module's folder: links to the repository's files, and a pyproject.toml that configures mutmut for it."""
    folder = WORK / module.name
    folder.mkdir(parents=True, exist_ok=True)
    files = project_files()
    for name in sorted({file.split("/")[0] for file in files} - {"pyproject.toml"}):
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(REPO / name)
    settings = {
        "source_paths": module.paths,
        # Everything else the tests import or read, copied beside the mutated paths into mutants/.
        "also_copy": _besides(module.paths, files),
        "pytest_add_cli_args_test_selection": module.tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {_toml_list(value)}" for key, value in settings.items()]
    (folder / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text() + "\n".join(lines) + "\n")
    return folder


def project_files() -> list[str]:
    """The repository's files, committed or not, without what git ignores (.venv, node_modules, caches)."""
    return _git("ls-files", "--cached", "--others", "--exclude-standard").splitlines()


def _besides(paths: list[str], files: list[str]) -> list[str]:
    """The files and folders that hold none of `paths`, as few as possible: a folder whole unless it holds one."""

    def holds(folder: str) -> bool:
        return any(path.startswith(folder + "/") for path in paths)

    found = set()
    for file in files:
        if any(file == path or file.startswith(path.rstrip("/") + "/") for path in paths):
            continue
        parts = file.split("/")
        # The shortest leading folder of `file` that holds no mutated path, or the file itself.
        depth = next((index for index in range(1, len(parts)) if not holds("/".join(parts[:index]))), len(parts))
        found.add("/".join(parts[:depth]))
    return sorted(found)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{value}"' for value in values) + "]"


def changed_files() -> list[str]:
    """Files changed since the branch left main: committed, staged, in the work tree, or new."""
    # A clone made from a branch may know main only as origin/main.
    main = "main" if subprocess.run(["git", "rev-parse", "--verify", "-q", "main"], cwd=REPO, capture_output=True).returncode == 0 else "origin/main"
    base = _git("merge-base", "HEAD", main).strip()
    changed = _git("diff", "--name-only", base).splitlines() + _git("ls-files", "--others", "--exclude-standard").splitlines()
    return sorted(set(changed))


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout


def mutant_pattern(path: str) -> str:
    """mutmut's names for the mutants of one file: `policies/rules/rule.py` -> `policies.rules.rule.*`."""
    dotted = path.removesuffix(".py").replace("/", ".")
    # A package's __init__.py: mutmut names its mutants after the package.
    return dotted.removesuffix(".__init__") + ".x*" if dotted.endswith(".__init__") else dotted + ".*"


def widen_to_whole_test_files(folder: Path) -> None:
    """Run every mutant against every test of the files whose tests call its function.

    mutmut records which tests call each function, but a module-scoped fixture's calls count for the first test that
    uses it only: a mutant a later test of that file would kill (the fixture's template, asserted again) would survive.
    The first run of a module, which records the calls, runs as mutmut recorded them."""
    stats_file = folder / "mutants" / "mutmut-stats.json"
    if not stats_file.exists():
        return
    stats = json.loads(stats_file.read_text())
    by_file = defaultdict(set)
    for test in stats["duration_by_test"]:
        by_file[test.split("::")[0]].add(test)
    stats["tests_by_mangled_function_name"] = {
        function: sorted({each for test in tests for each in by_file[test.split("::")[0]]} | set(tests))
        for function, tests in stats["tests_by_mangled_function_name"].items()
    }
    stats_file.write_text(json.dumps(stats, indent=4))


def run(folder: Path, patterns: list[str]) -> None:
    widen_to_whole_test_files(folder)
    subprocess.run([str(MUTMUT), "run", "--max-children", "1", *patterns], cwd=folder, check=False)


def sample(folder: Path, size: int, patterns: list[str]) -> list[str]:
    """A seeded random sample of `size` of the module's mutants (of those matching `patterns`, if any), generating
    them first: mutmut names its mutants only once it has made them."""
    if not (folder / "mutants").exists():
        # mutmut generates every mutant and records which tests call each function, then stops: nothing matches.
        subprocess.run([str(MUTMUT), "run", "--max-children", "1", NO_MUTANT], cwd=folder, check=False, capture_output=True)
    names = sorted(Results(folder).status)
    if patterns:
        names = [name for name in names if any(fnmatch.fnmatch(name, pattern) for pattern in patterns)]
    return sorted(random.Random(SAMPLE_SEED).sample(names, min(size, len(names))))


class Results:
    """mutmut's results in a module's folder, read through mutmut 3.8's own functions (it is pinned), in this process:
    a `mutmut show` per mutant would start mutmut each time."""

    def __init__(self, folder: Path) -> None:
        from mutmut import configuration
        from mutmut.mutation.data import SourceFileMutationData
        from mutmut.stats import status_by_exit_code
        from mutmut.utils.file_utils import walk_mutatable_files

        self.folder = folder
        os.chdir(folder)  # mutmut reads its configuration and mutants/ from the working directory
        configuration.reset_config()
        self.status: dict[str, str] = {}
        self._path: dict[str, Path] = {}
        for path in walk_mutatable_files():
            data = SourceFileMutationData(path=path)
            data.load()
            for mutant, exit_code in data.exit_code_by_key.items():
                self.status[mutant] = status_by_exit_code[exit_code]
                self._path[mutant] = path

    def mutated_line(self, mutant: str) -> str:
        """The line as the mutant has it (the `+` lines of `mutmut show`); empty for a removed line."""
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        os.chdir(self.folder)
        diff = get_diff_for_mutant(mutant, path=self._path[mutant])
        return " / ".join(line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))


def tally(results: Results, equivalents: list[Equivalent]) -> Tally:
    status = results.status
    tallied = Tally(status)
    for entry in equivalents:
        if entry.mutant not in status:
            continue
        line = results.mutated_line(entry.mutant)
        if entry.mutated.strip() != line:
            tallied.stale.append((entry, f"mutmut's mutant of that name now changes: {line}"))
        elif status[entry.mutant] in KILLED:
            tallied.stale.append((entry, "a test kills it: it is not equivalent"))
        else:
            tallied.equivalent.append((entry, line))
    return tallied


def report(name: str, results: Results, result: Tally, threshold: float) -> bool:
    rate = result.rate
    verdict = "no mutants" if rate is None else f"{rate:.0%} killed ({result.killed} of {len(result.tested)})"
    unchecked = sum(status in NOT_RUN for status in result.status.values())
    partial = f"; {unchecked} not tested (the rate is of those tested, 95 % interval {_interval(result)})" if unchecked else ""
    print(f"\n== {name}: {verdict}; {len(result.equivalent)} equivalent left out, of {len(result.status)} mutants{partial}")
    print(f"   (each mutant's change: `mutmut show <mutant>` in .mutation/{name})")
    for entry, line in result.equivalent:
        print(f"   equivalent {entry.mutant}: {line}\n      because {entry.reason}")
    for entry, why in result.stale:
        print(f"   STALE equivalent entry {entry.mutant} (mutation/equivalent.toml): {why}")
    for mutant in result.survivors:
        print(f"   {result.status[mutant]}: {mutant}\n      {results.mutated_line(mutant) or '(line removed)'}")
    return rate is None or rate >= threshold


def _interval(result: Tally) -> str:
    interval = result.interval
    return "-" if interval is None else f"{interval[0]:.0%}-{interval[1]:.0%}"


def main() -> int:
    threshold, sample_size, modules = load_modules()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"default: all of {', '.join(modules)}")
    parser.add_argument("--changed", action="store_true", help="only the mutants of files changed since `git merge-base HEAD main`")
    parser.add_argument("--fresh", action="store_true", help="forget the modules' earlier results")
    parser.add_argument("--survivors", action="store_true", help="test again only the mutants that survived last time (after adding tests)")
    parser.add_argument("--report", action="store_true", help="report the last results without running mutmut")
    parser.add_argument("--sample", type=int, default=sample_size, metavar="N",
                        help=f"test a seeded random sample of N mutants per module (default {sample_size}, mutation/modules.toml)")
    parser.add_argument("--all", action="store_true", help="test every mutant (hours on 2 cores)")
    args = parser.parse_args()
    unknown = [name for name in args.modules if name not in modules]
    if unknown:
        parser.error(f"no module {', '.join(unknown)} in {MODULES_FILE.relative_to(REPO)}")
    chosen = [modules[name] for name in args.modules] or list(modules.values())
    changed = changed_files() if args.changed else []
    equivalents = load_equivalents()
    rows = []
    for module in chosen:
        patterns = [mutant_pattern(path) for path in changed if path.endswith(".py") and module.owns(path)]
        if args.changed and not patterns:
            continue
        if args.fresh:
            shutil.rmtree(WORK / module.name, ignore_errors=True)
        folder = prepare(module)
        if args.survivors:
            patterns = [mutant for mutant, status in Results(folder).status.items() if status not in KILLED | NOT_RUN]
        elif not args.all and not args.report:
            patterns = sample(folder, args.sample, patterns)
        if not args.report and (patterns or not args.survivors):
            run(folder, patterns)
        results = Results(folder)
        result = tally(results, equivalents)
        rows.append((module.name, result, report(module.name, results, result, threshold)))
    if not rows:
        print("No file of a module in mutation/modules.toml changed since the branch left main: nothing to mutate.")
        return 0
    print(f"\n{'module':<12} {'killed':>7} {'tested':>7} {'equiv.':>7} {'untested':>9} {'rate':>6} {'95% interval':>13}")
    for name, result, _ in rows:
        rate = "-" if result.rate is None else f"{result.rate:.0%}"
        untested = sum(status in NOT_RUN for status in result.status.values())
        interval = _interval(result) if untested else "(all)"
        print(f"{name:<12} {result.killed:>7} {len(result.tested):>7} {len(result.equivalent):>7} {untested:>9} {rate:>6} {interval:>13}")
    failing = [name for name, _, passed in rows if not passed]
    if failing:
        print(f"\nUnder {threshold:.0%} killed: {', '.join(failing)}", file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
