"""Execute the study's notebooks with papermill into ``runs/<name>/``.

A run is all or nothing: the notebooks execute in a staging directory, and only a
run in which every notebook succeeded replaces ``runs/<name>/``. A notebook whose
code, parameters, helper package and package versions are unchanged since an
earlier run is not executed again: its executed copy comes from ``runs/.cache/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # inherited by the notebook kernels

from digits_helpers import results
from digits_helpers.kernel import KERNEL_NAME, ProjectKernelSpecManager
from digits_helpers.params import validate
from digits_helpers.registry import STAGES, Stage
from digits_helpers.values import jsonable

CACHE_DIR = ".cache"
# Executed notebooks kept in runs/.cache, the most recently used first; older ones are
# removed after each successful run (a full run's five entries take a few MB).
CACHE_KEEP = 40
_KEY_PATTERN = re.compile(r"[0-9a-f]{64}")  # a cache entry's name: its sha256 key
LATEST_FILE = "LATEST"
INJECTED_TAG = "injected-parameters"


class LocalKernelManager(AsyncKernelManager):
    """Kernels run on this interpreter and talk over local IPC sockets.

    The ``digits-book`` kernel (:mod:`digits_helpers.kernel`) comes from this package
    even where it is not installed, and its provisioner shuts kernels down without the
    interrupt race. A ``python3`` kernelspec found elsewhere (a user-level one, say)
    could point at another Python; the notebooks must run with the packages whose
    versions key the cache and appear in ``results.json``. IPC sockets need no TCP port.
    """

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("kernel_spec_manager")
    def _default_kernel_spec_manager(self) -> ProjectKernelSpecManager:
        return ProjectKernelSpecManager(data_dir=self.data_dir)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        if "ipykernel_launcher" in command:
            command[0] = sys.executable
        return command


class RunFailed(RuntimeError):
    """A notebook failed; the message names the notebook and the cell."""


@dataclass
class StepReport:
    """What happened to one notebook in a run."""

    name: str
    seconds: float
    cached: bool


@dataclass
class RunReport:
    """A finished run: where it is and how long each notebook took."""

    run_dir: Path
    steps: list[StepReport] = field(default_factory=list)
    seconds: float = 0.0


def find_root(start: Path | None = None) -> Path:
    """The project directory: the nearest parent holding ``notebooks/`` and ``_toc.yml``."""
    start = Path(start or Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if (candidate / "notebooks").is_dir() and (candidate / "_toc.yml").exists():
            return candidate
    raise FileNotFoundError(
        f"no digits-book project (a folder with notebooks/ and _toc.yml) at or above {start}"
    )


def declared_parameters(notebook: Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``."""
    import papermill

    return list(papermill.inspect_notebook(str(notebook)))


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(len(part).to_bytes(8, "little"))
        sha.update(part)
    return sha.hexdigest()


def package_source_digest() -> str:
    """A hash of the helper package's source: the logic the notebooks call."""
    package = Path(__file__).parent
    files = sorted(package.rglob("*.py")) + sorted(package.rglob("*.yaml"))
    return _digest(*(p.relative_to(package).as_posix().encode() + p.read_bytes() for p in files))


def step_key(
    notebook: Path, parameters: Mapping[str, Any], upstream: Mapping[str, str], source: str
) -> str:
    """Cache key of one notebook execution: its code (not its prose) and all it depends on."""
    cells = nbformat.read(notebook, as_version=4).cells
    code = [c.source for c in cells if c.cell_type == "code"]
    return _digest(
        json.dumps(code).encode(),
        json.dumps(jsonable(parameters), sort_keys=True).encode(),
        json.dumps(upstream, sort_keys=True).encode(),
        json.dumps(results.package_versions(), sort_keys=True).encode(),
        source.encode(),
    )


def graft_prose(executed: Path, source: Path, output: Path) -> None:
    """Write ``output``: the prose of ``source`` with the code and outputs of ``executed``.

    A cached execution stays valid when only markdown changed (its key covers code
    only); this carries the new prose into it without executing anything.
    """
    ran = nbformat.read(executed, as_version=4)
    code_cells = iter(c for c in ran.cells if INJECTED_TAG not in c.metadata.get("tags", []))
    injected = [c for c in ran.cells if INJECTED_TAG in c.metadata.get("tags", [])]
    cells = []
    for cell in nbformat.read(source, as_version=4).cells:
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        ran_cell = next(c for c in code_cells if c.cell_type == "code")
        ran_cell.metadata = cell.metadata  # tags may have changed; the key covers code only
        cells.append(ran_cell)
        if "parameters" in cell.metadata.get("tags", []):
            cells.extend(injected)
    ran.cells = cells
    nbformat.write(ran, output)


def notebook_digest(notebook: Path) -> dict[str, str]:
    """Digests of a source notebook: its ``code`` and its ``prose``.

    ``code`` covers the code cells' sources, what :func:`step_key` keys executions
    on. ``prose`` covers every cell's type, tags and (for markdown and raw cells)
    text: what the book shows around the code. Outputs, execution counts and
    notebook metadata are left out: refreshing the committed outputs changes
    neither what a run executes nor what the book says.

    Parameters
    ----------
    notebook : Path
        A notebook of ``notebooks/``.

    Returns
    -------
    dict of str to str
        ``{"code": sha256, "prose": sha256}``, hex digests.
    """
    cells = nbformat.read(notebook, as_version=4).cells
    code = [c.source for c in cells if c.cell_type == "code"]
    prose = [
        [c.cell_type, "" if c.cell_type == "code" else c.source, c.metadata.get("tags", [])]
        for c in cells
    ]
    return {
        "code": _digest(json.dumps(code).encode()),
        "prose": _digest(json.dumps(prose).encode()),
    }


def prepare_for_book(path: Path, *, input_path: str, output_path: str) -> None:
    """Fold the injected parameters under a caption and drop the superseded defaults.

    Papermill records the absolute paths the notebook was executed from and into
    (a staging folder); the book offers the notebook for download, so they are
    replaced by ``input_path`` and ``output_path``, relative to the project.
    """
    nb = nbformat.read(path, as_version=4)
    if "papermill" in nb.metadata:
        nb.metadata.papermill["input_path"] = input_path
        nb.metadata.papermill["output_path"] = output_path
    injected = any(INJECTED_TAG in c.metadata.get("tags", []) for c in nb.cells)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if INJECTED_TAG in tags:
            if "hide-input" not in tags:
                tags.append("hide-input")
            cell.metadata["mystnb"] = {
                "code_prompt_show": "Show the parameters of this run",
                "code_prompt_hide": "Hide the parameters of this run",
            }
        elif "parameters" in tags and injected and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, path)


def _execute(step: Stage, source: Path, output: Path, parameters: dict, work: Path) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            cwd=str(work),
            progress_bar=sys.stderr.isatty(),
            log_output=False,
            kernel_manager_class=LocalKernelManager,
        )
    except PapermillExecutionError as exc:
        raise RunFailed(
            f"notebook {step.filename} failed in cell {exc.cell_index} "
            f"(execution count {exc.exec_count}): {exc.ename}: {exc.evalue}"
        ) from exc
    except Exception as exc:  # a dead kernel, a missing kernel, a timeout...
        raise RunFailed(
            f"notebook {step.filename} could not be executed: {type(exc).__name__}: {exc}"
        ) from exc


def run(
    parameters: Mapping[str, Any],
    *,
    name: str,
    root: Path | None = None,
    use_cache: bool = True,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> RunReport:
    """Execute every notebook with ``parameters`` and publish the run as ``runs/<name>/``.

    The parameters are validated first; nothing executes when one is invalid. Each
    notebook receives only the names its ``parameters`` cell declares, plus
    ``run_dir``. A failed run raises :class:`RunFailed` and leaves an earlier
    ``runs/<name>/`` untouched.
    """
    parameters = validate(parameters)
    check_run_name(name)
    root = find_root(root)
    runs = root / "runs"
    staging = runs / f".staging-{name}-{os.getpid()}"
    failed = runs / f".failed-{name}"
    cache = runs / CACHE_DIR
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    source_digest = package_source_digest()
    report = RunReport(run_dir=runs / name)
    keys: dict[str, str] = {}
    digests: dict[str, dict[str, str]] = {}
    start = time.perf_counter()
    try:
        for index, step in enumerate(STAGES, start=1):
            notebook = root / "notebooks" / step.filename
            declared = declared_parameters(notebook)
            given = {k: parameters[k] for k in declared if k in parameters}
            key = step_key(notebook, given, {s: keys[s] for s in step.reads}, source_digest)
            keys[step.key] = key
            digests[step.filename] = notebook_digest(notebook)
            relative = {
                "input_path": f"notebooks/{step.filename}",
                "output_path": f"runs/{name}/{step.filename}",
            }
            cached = cache / key
            output = staging / step.filename
            step_start = time.perf_counter()
            if use_cache and _cache_complete(cached, step):
                os.utime(cached)  # recently used: pruning keeps it
                graft_prose(cached / step.filename, notebook, output)
                prepare_for_book(output, **relative)
                shutil.copy2(cached / f"{step.key}.json", staging / f"{step.key}.json")
                seconds = json.loads((cached / "meta.json").read_text())["seconds"]
                report.steps.append(StepReport(step.notebook, seconds, cached=True))
                log(
                    f"[{index}/{len(STAGES)}] {step.notebook}: unchanged, reused "
                    f"({seconds:.1f} s when it ran)"
                )
                continue
            log(f"[{index}/{len(STAGES)}] {step.notebook}: executing")
            injected = dict(given)
            if "run_dir" in declared:
                injected["run_dir"] = "."
            _execute(step, notebook, output, injected, staging)
            seconds = time.perf_counter() - step_start
            prepare_for_book(output, **relative)
            report.steps.append(StepReport(step.notebook, seconds, cached=False))
            log(f"[{index}/{len(STAGES)}] {step.notebook}: done in {seconds:.1f} s")
            _store_in_cache(cached, step, staging, seconds)
        report.seconds = time.perf_counter() - start
        timings = {
            "notebooks": {s.name: round(s.seconds, 3) for s in report.steps},
            "cached": [s.name for s in report.steps if s.cached],
            "total_seconds": round(report.seconds, 3),
        }
        document = results.assemble(staging, parameters, timings)
        document["notebooks"] = digests  # what publish compares notebooks/ against
        results.write_json_atomic(staging / results.RESULTS_FILE, document)
    except BaseException as exc:
        shutil.rmtree(failed, ignore_errors=True)
        if staging.exists():
            staging.rename(failed)
        if isinstance(exc, RunFailed):
            raise RunFailed(
                f"{exc}\nthe failed run is kept in {failed}; runs/{name}/ is unchanged"
            ) from exc.__cause__
        raise
    _publish(staging, runs / name)
    (runs / LATEST_FILE).write_text(name + "\n")
    prune_cache(cache, protect=keys.values())
    return report


def prune_cache(cache: Path, *, keep: int | None = None, protect: Iterable[str] = ()) -> list[Path]:
    """Remove cache entries beyond the ``keep`` most recently used; never ``protect``'s.

    ``keep`` defaults to :data:`CACHE_KEEP` and counts the protected entries.
    Only complete entries (named by their key) are considered: a ``.tmp-<pid>``
    folder may belong to a run still writing it.
    """
    if not cache.is_dir():
        return []
    keep = CACHE_KEEP if keep is None else keep
    protected = set(protect)
    last_used = {}
    for entry in cache.iterdir():
        if _KEY_PATTERN.fullmatch(entry.name) and entry.name not in protected:
            try:
                last_used[entry] = entry.stat().st_mtime
            except OSError:  # removed meanwhile by another run: nothing to prune
                continue
    by_recency = sorted(last_used, key=last_used.__getitem__, reverse=True)
    removed = by_recency[max(keep - len(protected), 0) :]
    for entry in removed:
        shutil.rmtree(entry, ignore_errors=True)  # best effort: a cache, not results
    return removed


def _cache_complete(cached: Path, step: Stage) -> bool:
    names = (step.filename, f"{step.key}.json", "meta.json")
    return all((cached / name).exists() for name in names)


def _store_in_cache(cached: Path, step: Stage, staging: Path, seconds: float) -> None:
    tmp = cached.with_name(cached.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shutil.copy2(staging / step.filename, tmp / step.filename)
    shutil.copy2(staging / f"{step.key}.json", tmp / f"{step.key}.json")
    (tmp / "meta.json").write_text(json.dumps({"seconds": seconds}))
    shutil.rmtree(cached, ignore_errors=True)
    tmp.rename(cached)


def _publish(staging: Path, target: Path) -> None:
    """Swap a finished run into place; the previous one is removed only afterwards."""
    previous = target.with_name(f".previous-{target.name}-{os.getpid()}")
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


def check_run_name(name: str) -> None:
    """A run name is one plain folder name."""
    if (
        not name
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or name != name.strip()
        or name == LATEST_FILE
    ):
        raise ValueError(
            "--name must be a plain folder name without '/' or a leading '.', "
            f"other than {LATEST_FILE!r} (got {name!r})"
        )


def latest_run(root: Path | None = None) -> str:
    """Name of the most recent successful run."""
    path = find_root(root) / "runs" / LATEST_FILE
    if not path.exists():
        raise FileNotFoundError("no successful run yet: execute `digits-book run` first")
    return path.read_text().strip()
