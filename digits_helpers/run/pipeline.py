"""Execute the study's notebooks with papermill into ``runs/<name>/``.

A run is all or nothing: the notebooks execute in a staging directory, and only a
run in which every notebook succeeded replaces ``runs/<name>/``. A notebook whose
code, parameters, helper package and package versions are unchanged since an
earlier run is not executed again: its executed copy comes from ``runs/.cache/``,
once its files match the SHA-256 digests recorded with them.

One run of a name at a time: :func:`digits_helpers.run.lock.run_lock` holds
``runs/.lock-<name>`` while it runs. Whatever a killed process leaves behind (its staging
folder, its half-written cache entries) is removed by the next run, once that process is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # inherited by the notebook kernels

from digits_helpers.core import files, machine, progress
from digits_helpers.core.project import find_root
from digits_helpers.core.registry import SAVED_MODELS, STAGES, Stage
from digits_helpers.core.values import jsonable
from digits_helpers.data.mnist_files import find_mnist_files
from digits_helpers.data.mnist_package import DEFAULT_DEST, PROVENANCE_NAME
from digits_helpers.models import artifacts
from digits_helpers.models.artifacts import MODELS_DIR
from digits_helpers.run.kernel import KERNEL_NAME, ProjectKernelSpecManager
from digits_helpers.run.lock import LATEST_FILE, check_run_name, run_lock
from digits_helpers.run.lock import RunRefused as RunRefused  # what run() raises: callers catch it
from digits_helpers.run.params import validate
from digits_helpers.study import results

CACHE_DIR = ".cache"
# Executed notebooks kept in runs/.cache, the most recently used first; older ones are
# removed after each successful run (a full run's five entries take a few MB).
CACHE_KEEP = 40
_KEY_PATTERN = re.compile(r"[0-9a-f]{64}")  # a cache entry's name: its sha256 key
INJECTED_TAG = "injected-parameters"
# What a process leaves in runs/ (and runs/.cache/) while it works, named with its pid.
# .LATEST.<pid>.<random>.tmp: runs/LATEST half-written (core.files.replacing) by <pid>.
_DEBRIS = re.compile(
    r"\.(?:staging|previous)-.+-(?P<pid>\d+)|\.LATEST\.(?P<latest>\d+)\.[^.]+\.tmp"
)
_CACHE_DEBRIS = re.compile(r"[0-9a-f]{64}\.tmp-(?P<pid>\d+)")
_PREVIOUS = re.compile(r"\.previous-(?P<name>.+)-\d+")


class LocalKernelManager(AsyncKernelManager):
    """Kernels run on this interpreter and talk over local IPC sockets.

    The ``digits-book`` kernel (:mod:`digits_helpers.run.kernel`) comes from this package
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

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        process = getattr(self.provisioner, "process", None)
        if process is not None:
            _KERNELS.append(process)


# Kernels started by the notebook being executed; killed on Ctrl-C, when papermill
# has no chance to shut them down (they run in their own session, so a terminal's
# Ctrl-C does not reach them, and they would keep writing into the kept partial run).
_KERNELS: list[subprocess.Popen] = []


@contextlib.contextmanager
def _kernels_die_on_ctrl_c() -> Iterator[None]:
    """On Ctrl-C, kill the notebook's kernel at once, then raise ``KeyboardInterrupt``.

    Otherwise papermill's clean-up would shut the kernel down in the middle of its
    cell, and the kernel would print a traceback of its own.
    Only the main thread can set a signal handler; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(signum, frame):
        _kill_kernels()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _kill_kernels() -> None:
    """Kill the kernels of the interrupted notebook, with their worker processes."""
    while _KERNELS:
        process = _KERNELS.pop()
        if process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session: it and its workers
            process.wait()


class RunFailed(RuntimeError):
    """A notebook failed; the message names the notebook and the cell."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; the message says where the partial run is kept."""


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
    package = Path(__file__).parents[1]
    files = sorted(package.rglob("*.py")) + sorted(package.rglob("*.yaml"))
    return _digest(*(p.relative_to(package).as_posix().encode() + p.read_bytes() for p in files))


def data_files_digest(parameters: Mapping[str, Any]) -> str:
    """A digest of the names and contents of the run's data files.

    Part of every cache key, so that a run on files replaced in the same ``data_dir``
    executes again instead of reusing results of the old files, even files of the same
    size copied with their times kept. Reading MNIST's 55 MB takes a fraction of a
    second. Empty for a dataset that ships with scikit-learn.

    Parameters
    ----------
    parameters : Mapping[str, Any]
        The run's validated parameters.

    Returns
    -------
    str
        A hex digest, or ``""`` when ``data_dir`` is empty.
    """
    if not parameters.get("data_dir"):
        return ""
    sha = hashlib.sha256()
    for path in find_mnist_files(parameters["data_dir"]).paths:
        sha.update(path.name.encode() + b"|")
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                sha.update(chunk)
        sha.update(b"|")
    return sha.hexdigest()


def real_digits_digest(root: Path) -> str:
    """The digest of the real MNIST digits ``make data`` set up (chapters 6 and 7 read them).

    Their ``PROVENANCE.json`` records the SHA-256 of every file it wrote, so its own digest
    changes with any of them. Part of every cache key; ``""`` when they are not set up
    (the notebooks that read them then fail, saying so).

    Parameters
    ----------
    root : Path
        The project's folder.

    Returns
    -------
    str
        A hex digest, or ``""``.
    """
    provenance = root / DEFAULT_DEST / PROVENANCE_NAME
    return files.sha256(provenance) if provenance.is_file() else ""


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
        json.dumps(machine.package_versions(), sort_keys=True).encode(),
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


def _execute(
    step: Stage, source: Path, output: Path, parameters: dict, work: Path, prefix: str
) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _KERNELS.clear()
    try:
        # The kernel reports its long work (the search's fits, the trainings) and the
        # terminal shows it; papermill's own bar of cells would fight for the line.
        with _kernels_die_on_ctrl_c(), progress.to_terminal(prefix, folder=work):
            papermill.execute_notebook(
                str(source),
                str(output),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                cwd=str(work),
                progress_bar=False,
                log_output=False,
                kernel_manager_class=LocalKernelManager,
            )
    except KeyboardInterrupt:
        _kill_kernels()
        raise
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
    ``run_dir``. A failed or interrupted run leaves an earlier ``runs/<name>/``
    untouched and keeps what it did in ``runs/.failed-<name>/``.

    Parameters
    ----------
    parameters : Mapping[str, Any]
        Every parameter of :data:`digits_helpers.run.params.SCHEMA`.
    name : str
        The run's folder name in ``runs/``.
    root : Path, optional
        The project directory (default: found from the working directory).
    use_cache : bool
        Reuse unchanged notebook executions from ``runs/.cache/``.
    log : callable
        Receives one line per event (a notebook executed, reused, debris removed).

    Returns
    -------
    RunReport
        Where the run is and how long each notebook took.

    Raises
    ------
    ParameterError
        An invalid parameter (nothing executes).
    RunRefused
        A bad run name, or another process running the same name (nothing executes).
    RunFailed
        A notebook failed, or a file of the run could not be written.
    RunInterrupted
        Ctrl-C (a ``KeyboardInterrupt``) during the run.
    """
    parameters = validate(parameters)
    check_run_name(name)
    root = find_root(root)
    runs = root / "runs"
    runs.mkdir(exist_ok=True)
    with run_lock(runs, name, log):
        remove_debris(runs, log)
        return _run_locked(parameters, name, root, use_cache, log)


def _run_locked(
    parameters: dict[str, Any],
    name: str,
    root: Path,
    use_cache: bool,
    log: Callable[[str], None],
) -> RunReport:
    runs = root / "runs"
    staging = runs / f".staging-{name}-{os.getpid()}"
    cache = runs / CACHE_DIR
    keys: dict[str, str] = {}
    current = "the start of the run"
    try:
        staging.mkdir()
        report = RunReport(run_dir=runs / name)
        source_digest = (
            package_source_digest() + data_files_digest(parameters) + real_digits_digest(root)
        )
        digests: dict[str, dict[str, str]] = {}
        start = time.perf_counter()
        for index, step in enumerate(STAGES, start=1):
            current = f"notebook {step.filename}"
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
            prefix = f"[{index}/{len(STAGES)}] {step.notebook}"
            cached = cache / key
            output = staging / step.filename
            step_start = time.perf_counter()
            if use_cache:
                seconds = _reuse(cached, step, notebook, staging, relative, prefix, log)
                if seconds is not None:
                    report.steps.append(StepReport(step.notebook, seconds, cached=True))
                    continue
            log(f"{prefix}: executing")
            injected = dict(given)
            if "run_dir" in declared:
                injected["run_dir"] = "."
            _execute(step, notebook, output, injected, staging, prefix)
            seconds = time.perf_counter() - step_start
            # The form a reuse publishes (_reuse grafts the cached execution onto the
            # source): a run that reuses this one then publishes the same bytes, and the
            # book built from this run is still current after it.
            graft_prose(output, notebook, output)
            prepare_for_book(output, **relative)
            report.steps.append(StepReport(step.notebook, seconds, cached=False))
            log(f"{prefix}: done in {seconds:.1f} s")
            _store_in_cache(cached, step, staging, seconds)
        current = "the end of the run"
        report.seconds = time.perf_counter() - start
        timings = {
            "notebooks": {s.name: round(s.seconds, 3) for s in report.steps},
            "cached": [s.name for s in report.steps if s.cached],
            "total_seconds": round(report.seconds, 3),
        }
        document = results.assemble(staging, parameters, timings)
        spread = document.get("comparison", {}).get("spread", {})
        artifacts.record_repeated_splits(staging, spread)
        document["models"] = artifacts.models_section(staging, spread)
        document["notebooks"] = digests  # what publish compares notebooks/ against
        files.write_json(staging / results.RESULTS_FILE, document)
        _publish(staging, runs / name)
    except BaseException as exc:
        error = _failure(exc, staging, runs, name, current)
        if error is exc:
            raise
        raise error from exc
    try:
        _write_latest(runs, name)
    except OSError as exc:
        raise RunFailed(
            f"run {name!r} is published in {runs / name}, but runs/{LATEST_FILE} could not "
            f"be updated: {_os_error(exc)}"
        ) from exc
    prune_cache(cache, protect=keys.values())
    return report


def _failure(
    exc: BaseException, staging: Path, runs: Path, name: str, current: str
) -> BaseException:
    """Keep a failed run's staging folder as ``runs/.failed-<name>``; the error to raise."""
    failed = runs / f".failed-{name}"
    kept = f"kept in {failed}" if _keep_failed(staging, failed) else "not kept"
    where = f"{kept}; runs/{name}/ is unchanged"
    if isinstance(exc, KeyboardInterrupt):
        return RunInterrupted(f"interrupted (Ctrl-C) during {current}; the partial run is {where}")
    if isinstance(exc, RunFailed):
        return RunFailed(f"{exc}\nthe failed run is {where}")
    if isinstance(exc, OSError):
        return RunFailed(f"{current}: cannot write the run: {_os_error(exc)}\nthe run is {where}")
    return exc


def _keep_failed(staging: Path, failed: Path) -> bool:
    """Move ``staging`` to ``failed``; on a rename that fails, remove it (no debris)."""
    if not staging.exists():
        return False
    shutil.rmtree(failed, ignore_errors=True)
    try:
        staging.rename(failed)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return False
    return True


def _os_error(exc: OSError) -> str:
    """``No space left on device: '/path'``: the reason and the file, on one line."""
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename!s}" if exc.filename else reason


def _reuse(
    cached: Path,
    step: Stage,
    notebook: Path,
    staging: Path,
    relative: dict[str, str],
    prefix: str,
    log: Callable[[str], None],
) -> float | None:
    """Copy a verified cache entry into ``staging``; its seconds, or None on a miss."""
    if not cached.exists():
        return None
    problem = verify_cache_entry(cached, step)
    if problem is None:
        output = staging / step.filename
        try:
            graft_prose(cached / step.filename, notebook, output)
            prepare_for_book(output, **relative)
            for name in _recorded_files(cached):
                if name != step.filename:
                    (staging / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(cached / name, staging / name)
            seconds = float(json.loads((cached / "meta.json").read_text())["seconds"])
            os.utime(cached)  # recently used: pruning keeps it
        except FileNotFoundError:  # pruned meanwhile by a run of another name
            problem = "it was removed while being read"
        else:
            log(f"{prefix}: unchanged, reused ({seconds:.1f} s when it ran)")
            return seconds
    log(f"{prefix}: cached copy in {cached} does not verify ({problem}); executing again")
    return None


def verify_cache_entry(cached: Path, step: Stage) -> str | None:
    """What is wrong with a cache entry, or None when its files match their digests.

    Parameters
    ----------
    cached : Path
        ``runs/.cache/<key>``.
    step : Stage
        The notebook the entry holds an execution of.

    Returns
    -------
    str or None
        A short reason (``sklearn.json does not match its SHA-256``), or None.
    """
    try:
        meta = json.loads((cached / "meta.json").read_text())
        recorded = meta["sha256"]
        float(meta["seconds"])
    except FileNotFoundError:
        return "meta.json is missing"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"meta.json is unreadable: {type(exc).__name__}"
    if not isinstance(recorded, dict):
        return "meta.json records no SHA-256 of the files"
    for filename in (step.filename, f"{step.key}.json"):
        if filename not in recorded:
            return f"meta.json records no SHA-256 of {filename}"
    for filename, expected in recorded.items():
        if not _is_entry_path(filename):
            return f"meta.json names a file outside the entry: {filename!r}"
        try:
            actual = files.sha256(cached / filename)
        except OSError as exc:
            return f"{filename}: {exc.strerror or exc}"
        if actual != expected:
            return f"{filename} does not match its SHA-256"
    return None


def _is_entry_path(name: str) -> bool:
    """Whether ``name`` is a plain relative path inside a cache entry."""
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _recorded_files(cached: Path) -> list[str]:
    """The files a verified cache entry records, as paths relative to it."""
    return sorted(json.loads((cached / "meta.json").read_text())["sha256"])


def stage_files(step: Stage, folder: Path) -> list[str]:
    """The files a notebook's execution leaves in a run folder, relative to it.

    Parameters
    ----------
    step : Stage
        The notebook's stage.
    folder : Path
        The run (or staging) folder it executed in.

    Returns
    -------
    list of str
        The executed notebook, the stage's results file, and every file of the models
        the stage trains (``models/<key>/...``), sorted.
    """
    names = [step.filename, f"{step.key}.json"]
    for model in SAVED_MODELS:
        if model.stage == step.key:
            saved = folder / MODELS_DIR / model.key
            if saved.is_dir():
                names += sorted(
                    p.relative_to(folder).as_posix() for p in saved.rglob("*") if p.is_file()
                )
    return names


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


def _store_in_cache(cached: Path, step: Stage, staging: Path, seconds: float) -> None:
    """Copy a notebook's execution into ``runs/.cache/<key>`` with the SHA-256 of its files.

    The entry is written as ``<key>.tmp-<pid>`` and renamed into place: a killed
    run leaves a ``.tmp-<pid>`` folder (removed by the next run), never a partial entry.
    """
    tmp = cached.with_name(cached.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    digests = {}
    for filename in stage_files(step, staging):
        (tmp / filename).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(staging / filename, tmp / filename)
        digests[filename] = files.sha256(tmp / filename)
    (tmp / "meta.json").write_text(json.dumps({"seconds": seconds, "sha256": digests}))
    shutil.rmtree(cached, ignore_errors=True)
    try:
        tmp.rename(cached)
    except OSError:  # a run of another name stored the same execution meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
        if not cached.is_dir():
            raise


def _publish(staging: Path, target: Path) -> None:
    """Swap a finished run into place; the previous one is removed only afterwards."""
    previous = target.with_name(f".previous-{target.name}-{os.getpid()}")
    if target.exists():
        target.rename(previous)
    try:
        staging.rename(target)
    except BaseException:
        if previous.exists() and not target.exists():
            previous.rename(target)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _write_latest(runs: Path, name: str) -> None:
    files.write_text(runs / LATEST_FILE, name + "\n")


def _pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_debris(runs: Path, log: Callable[[str], None]) -> list[Path]:
    """Remove what runs of processes no longer running left in ``runs/`` and its cache.

    Their staging folders, half-written cache entries (``.tmp-<pid>``) and temporary
    files go. A ``.previous-<name>-<pid>`` folder is the earlier run of a process
    killed while swapping a new run in: it is put back as ``runs/<name>/`` when that
    folder is missing, and removed otherwise. Folders of live processes are left alone.

    Parameters
    ----------
    runs : Path
        The project's ``runs/`` folder.
    log : callable
        Receives one line naming what was removed or restored, if anything.

    Returns
    -------
    list of Path
        The removed folders and files.
    """
    candidates = []
    for folder, pattern in ((runs, _DEBRIS), (runs / CACHE_DIR, _CACHE_DEBRIS)):
        if folder.is_dir():
            for entry in folder.iterdir():
                match = pattern.fullmatch(entry.name)
                if match and not _pid_alive(int(next(g for g in match.groups() if g))):
                    candidates.append(entry)
    removed = []
    for entry in sorted(candidates):
        previous = _PREVIOUS.fullmatch(entry.name)
        if previous and not (runs / previous["name"]).exists():
            entry.rename(runs / previous["name"])  # a rename: it needs no free space
            log(f"restored runs/{previous['name']}/ from {entry.name}, left by a killed run")
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    if removed:
        names = ", ".join(str(p.relative_to(runs.parent)) for p in removed)
        log(f"removed what killed runs left behind: {names}")
    return removed
