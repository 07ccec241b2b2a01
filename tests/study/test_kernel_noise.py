"""What executing a notebook prints on the terminal besides the notebook's own output.

Kernels inherit the terminal's stderr, so these tests read it at the file
descriptor level (``capfd``) or from a papermill subprocess.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import nbformat
import papermill
import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbformat.v4 import new_code_cell, new_notebook

from digits_helpers.run import kernel
from digits_helpers.run.pipeline import KERNEL_NAME, LocalKernelManager

pytestmark = pytest.mark.notebooks  # starts real kernels

TCP_WARNING = "Kernel is running over TCP without encryption"
PENDING_TASK = "Task was destroyed but it is pending"
KEYBOARD_INTERRUPT = "KeyboardInterrupt"

# What the study's notebooks do to a kernel, made deterministic: joblib (scikit-learn's
# n_jobs) and multiprocessing start resource trackers, children that ignore SIGINT and
# SIGTERM and exit when the kernel does; TensorFlow keeps the main loop busy and takes
# a while to exit; a busy process collects garbage often. The kernel's asyncio errors
# also go to a file: whether they reach the terminal depends on when the garbage
# collector runs relative to ipykernel's teardown of its stderr capture.
BUSY_KERNEL = """\
import atexit, gc, logging, subprocess, sys, time
from tornado.ioloop import PeriodicCallback
tracker = subprocess.Popen(
    [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
     "signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); sys.stdin.read()"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
)
tracker.stdout.readline()
PeriodicCallback(lambda: None, 50).start()
atexit.register(time.sleep, 0.5)
gc.set_threshold(1, 1, 1)
logging.getLogger("asyncio").addHandler(logging.FileHandler({log!r}))
"""


def _write(path, *sources, kernel_name=KERNEL_NAME):
    cells = [new_code_cell("test_size = 0.2", metadata={"tags": ["parameters"]})]
    cells += [new_code_cell(source) for source in sources]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": kernel_name,
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebook(tmp_path):
    return _write(tmp_path / "tiny.ipynb", "print(test_size)")


def _run_pipeline_kernel(notebook):
    papermill.execute_notebook(
        str(notebook),
        str(notebook.with_name("out.ipynb")),
        parameters={"test_size": 0.3},
        kernel_name=KERNEL_NAME,
        progress_bar=False,
        kernel_manager_class=LocalKernelManager,
    )


def test_pipeline_kernels_print_no_tcp_warning_and_no_pending_task(notebook, capfd):
    for _ in range(2):  # the second kernel starts while the first one's resources are freed
        _run_pipeline_kernel(notebook)
    err = capfd.readouterr().err
    assert TCP_WARNING not in err and PENDING_TASK not in err


def test_busy_kernel_with_resource_trackers_shuts_down_without_pending_task(tmp_path, capfd):
    # ipykernel's do_shutdown stops the main loop 0.1 s after a shutdown request while
    # the control thread still waits for the kernel's children (digits_helpers/run/ipkernel.py)
    log = tmp_path / "asyncio.log"
    busy = _write(tmp_path / "busy.ipynb", BUSY_KERNEL.format(log=str(log)))
    _run_pipeline_kernel(busy)
    logged = log.read_text() if log.exists() else ""
    err = capfd.readouterr().err
    assert PENDING_TASK not in logged and PENDING_TASK not in err
    assert KEYBOARD_INTERRUPT not in err


def test_shutdown_does_not_interrupt_but_interrupt_kernel_does(monkeypatch):
    # jupyter_client's shutdown_kernel sends SIGINT before its shutdown request, which
    # can land while the kernel still finishes its last reply ("KeyboardInterrupt
    # caught in kernel", or a main loop ended under the control thread).
    sent = []

    async def record(self, signum):
        sent.append(signum)

    monkeypatch.setattr(LocalProvisioner, "send_signal", record)
    manager = AsyncKernelManager()
    provisioner = kernel.ProjectProvisioner(kernel_id="k", kernel_spec=None, parent=manager)

    async def scenario():
        await provisioner.send_signal(signal.SIGINT)  # interrupt_kernel
        manager.shutting_down = True
        await provisioner.send_signal(signal.SIGINT)  # shutdown_kernel's interrupt
        await provisioner.shutdown_requested()
        await provisioner.send_signal(signal.SIGTERM)  # finish_shutdown's terminate
        await provisioner.send_signal(signal.SIGINT)  # an interrupt after the request

    asyncio.run(scenario())
    assert sent == [signal.SIGINT, signal.SIGTERM, signal.SIGINT]


def test_plain_papermill_prints_no_tcp_warning(tmp_path):
    # The notebooks name the digits-book kernelspec, which `make venv` installs into
    # the venv; here it is installed into a folder of its own.
    kernel.install(prefix=str(tmp_path / "prefix"))
    notebook = _write(tmp_path / "plain.ipynb", "print(test_size)")
    env = dict(os.environ, JUPYTER_PATH=str(tmp_path / "prefix" / "share" / "jupyter"))
    completed = subprocess.run(
        [sys.executable, "-m", "papermill", str(notebook), str(tmp_path / "out.ipynb")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert TCP_WARNING not in completed.stderr
    assert PENDING_TASK not in completed.stderr


def test_kernelspec_runs_this_interpreter_with_the_project_kernel_and_provisioner():
    spec = kernel.kernel_spec_dict()
    assert spec["argv"][0] == sys.executable
    assert f"--IPKernelApp.kernel_class={kernel.KERNEL_CLASS}" in spec["argv"]
    assert spec["metadata"]["kernel_provisioner"]["provisioner_name"] == "digits-book"
    assert "curve" in spec["metadata"]["supported_encryption"]
