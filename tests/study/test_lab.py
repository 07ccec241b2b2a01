"""``make lab``: the real JupyterLab server on notebooks/, with this environment's kernel.

The server runs as ``make lab`` runs it (``--ServerApp.root_dir=notebooks``), plus
``--no-browser``, a token of the test's and a free port on 127.0.0.1. Jupyter's runtime
files (connection files, the server's ``jpserver-*.json``), its configuration folder
(hence JupyterLab's workspaces and settings) and IPython's are in a temporary folder, so
the test neither reads nor writes the user's ``~/.jupyter``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from study import REPO as ROOT
from tornado.websocket import websocket_connect

from digits_helpers.core.registry import STAGES

pytestmark = pytest.mark.notebooks  # a real JupyterLab server and a kernel

LAB_ROOT = ROOT / "notebooks"  # make lab: --ServerApp.root_dir=notebooks
START_TIMEOUT = 120  # seconds; JupyterLab answers in a few seconds on two cores
KERNEL_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


@dataclass
class Lab:
    """A running ``jupyter lab`` and how to talk to it."""

    process: subprocess.Popen
    url: str
    token: str
    runtime_dir: Path
    log: Path

    def request(self, method: str, path: str, body: dict | None = None, token: bool = True):
        """``(status, decoded JSON or None)`` of one REST call."""
        headers = {"Authorization": f"token {self.token}"} if token else {}
        data = None if body is None else json.dumps(body).encode()
        call = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(call, timeout=30) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, None

    def stop(self) -> int:
        """SIGTERM, as Ctrl-C would, and wait: the server shuts its kernels down."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"jupyter lab ignored SIGTERM for 60 s; log: {self.log}")
        return self.process.returncode


@contextlib.contextmanager
def _running_lab(home: Path) -> Iterator[Lab]:
    """``jupyter lab`` as ``make lab`` starts it, with its files under ``home``."""
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    token = secrets.token_hex(16)
    port = _free_port()
    log = home / "lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={LAB_ROOT}",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        # jupyter refuses root without it (make lab passes it too: CI runs as root)
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    server = Lab(process, f"http://127.0.0.1:{port}", token, home / "runtime", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}: {_tail(log)}")
            try:
                if server.request("GET", "/api/status")[0] == 200:
                    break
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in {START_TIMEOUT} s: {_tail(log)}")
            time.sleep(0.25)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with _running_lab(tmp_path_factory.mktemp("jupyter")) as server:
        yield server


def test_lab_lists_the_five_notebooks(lab):
    status, listing = lab.request("GET", "/api/contents")
    assert status == 200
    notebooks = {item["name"] for item in listing["content"] if item["type"] == "notebook"}
    assert {step.filename for step in STAGES} <= notebooks


def test_lab_refuses_a_request_without_its_token(lab):
    assert lab.request("GET", "/api/contents", token=False)[0] == 403


async def _execute(lab: Lab, kernel_id: str, code: str) -> str:
    """Run ``code`` in the kernel through its websocket; return what it printed."""
    session, msg_id = uuid.uuid4().hex, uuid.uuid4().hex
    ws_url = lab.url.replace("http", "ws", 1)
    channels = await websocket_connect(
        f"{ws_url}/api/kernels/{kernel_id}/channels?session_id={session}&token={lab.token}"
    )
    request = {
        "header": {
            "msg_id": msg_id,
            "session": session,
            "username": "test",
            "msg_type": "execute_request",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {"code": code, "silent": False, "store_history": False, "allow_stdin": False},
        "channel": "shell",
        "buffers": [],
    }
    await channels.write_message(json.dumps(request))
    printed, replied, idle = [], None, False
    while replied is None or not idle:
        message = json.loads(await channels.read_message())
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            printed.append("\n".join(content["traceback"]))
        elif kind == "execute_reply":
            replied = content["status"]
        elif kind == "status":
            idle = content["execution_state"] == "idle"
    channels.close()
    assert replied == "ok", "".join(printed)
    return "".join(printed)


def _first_notebooks_kernel(lab: Lab) -> tuple[Path, Path, int]:
    """Open the first notebook's kernel; its working folder, Python prefix and pid."""
    notebook = STAGES[0].filename
    status, session = lab.request(
        "POST",
        "/api/sessions",
        {"path": notebook, "name": notebook, "type": "notebook", "kernel": {"name": "python3"}},
    )
    assert status == 201
    code = "import os, sys, digits_helpers\nprint(os.getcwd(), sys.prefix, os.getpid())"
    printed = asyncio.run(
        asyncio.wait_for(_execute(lab, session["kernel"]["id"], code), KERNEL_TIMEOUT)
    )
    cwd, prefix, pid = printed.split()
    return Path(cwd), Path(prefix), int(pid)


def test_a_notebook_kernel_runs_in_notebooks_with_this_environment(lab):
    """The first notebook's kernel: notebooks/ as working folder, so ``run_dir`` is
    notebooks/runs/interactive, and this environment's Python with digits_helpers."""
    cwd, prefix, _ = _first_notebooks_kernel(lab)
    assert cwd == LAB_ROOT
    assert prefix == Path(sys.prefix)


def test_lab_stops_cleanly_with_its_kernel(tmp_path):
    """A server of its own (the module's serves the other tests, in any order)."""
    with _running_lab(tmp_path) as lab:
        _, _, pid = _first_notebooks_kernel(lab)
        assert lab.stop() == 0, _tail(lab.log)
    # A clean shutdown removes the server's runtime file and ends the kernels it started.
    assert list(lab.runtime_dir.glob("jpserver-*.json")) == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
