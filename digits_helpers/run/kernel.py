"""The project's Jupyter kernel: ipykernel on this interpreter, started and stopped quietly.

``python -m digits_helpers.run.kernel install`` (run by ``make venv``) installs the
``digits-book`` kernelspec into ``sys.prefix``, where papermill, nbclient and a
JupyterLab started from this environment find it. Its metadata names
:class:`ProjectProvisioner`, registered under the ``jupyter_client.kernel_provisioners``
entry point, and its argv names :class:`digits_helpers.run.ipkernel.ProjectKernel`:

* A kernel started over TCP gets CurveZMQ keys, as with jupyter_client's
  ``transport_encryption="auto"``. Plain ``papermill`` creates a kernel manager
  without configuration, so TCP without encryption, and ipykernel warns "Kernel is
  running over TCP without encryption" on every start.
* ``ProjectKernel`` keeps its main loop running until its shutdown request has been
  carried out; ipykernel's stops it 0.1 s into the request, and a child process that
  outlives SIGTERM then leaves a pending ``Kernel.dispatch_control`` task behind
  ("Task was destroyed but it is pending!").
* jupyter_client's ``shutdown_kernel`` interrupts the kernel (SIGINT to its process
  group) *before* its shutdown request. A kernel that has just sent its reply to
  nbclient's last ``kernel_info_request`` may still have SIGINT mapped to
  KeyboardInterrupt (ipykernel's ``pre_handler_hook``), which then prints
  "KeyboardInterrupt caught in kernel", and children such as joblib's workers print
  KeyboardInterrupt tracebacks. The provisioner does not send that interrupt: the
  kernel gets the shutdown request alone, and one that does not exit on it (still
  running a cell) gets the manager's SIGTERM at half its ``shutdown_wait_time``
  (2.5 s), then SIGKILL, as before. ``interrupt_kernel`` itself is unchanged.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.provisioning import LocalProvisioner

KERNEL_NAME = "digits-book"
DISPLAY_NAME = "Python 3 (digits-book)"
PROVISIONER_NAME = "digits-book"
KERNEL_CLASS = "digits_helpers.run.ipkernel.ProjectKernel"


def kernel_spec_dict(python: str | None = None) -> dict[str, Any]:
    """The kernelspec: ipykernel on ``python`` (this interpreter by default)."""
    return {
        "argv": [
            python or sys.executable,
            "-m",
            "ipykernel_launcher",
            f"--IPKernelApp.kernel_class={KERNEL_CLASS}",
            "-f",
            "{connection_file}",
        ],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {
            "debugger": True,
            "supported_encryption": ["curve"],
            "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME},
        },
    }


class ProjectProvisioner(LocalProvisioner):
    """A local kernel with encrypted TCP, shut down by its shutdown request alone."""

    _shutdown_request_sent = False

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        self._shutdown_request_sent = False
        km = self.parent
        # start_kernel(transport_encryption=...) has already been stored on the manager
        if km is not None and km.transport == "tcp" and km.transport_encryption == "disabled":
            if zmq.has("curve"):
                kwargs["transport_encryption"] = "auto"
        return await super().pre_launch(**kwargs)

    async def send_signal(self, signum: int) -> None:
        shutting_down = getattr(self.parent, "shutting_down", False)
        if signum == signal.SIGINT and shutting_down and not self._shutdown_request_sent:
            # shutdown_kernel's interrupt, which comes before its shutdown request: a
            # kernel that does not exit on the request gets SIGTERM at half the
            # manager's shutdown_wait_time, then SIGKILL.
            self.log.debug("not interrupting kernel %s: it is being shut down", self.kernel_id)
            return
        await super().send_signal(signum)

    async def shutdown_requested(self, restart: bool = False) -> None:
        await super().shutdown_requested(restart=restart)
        self._shutdown_request_sent = True


class ProjectKernelSpecManager(KernelSpecManager):
    """Kernelspecs as usual, and the project's kernel even where it is not installed."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name == KERNEL_NAME:
            return self.kernel_spec_class(resource_dir=_resources(), **kernel_spec_dict())
        return super().get_kernel_spec(kernel_name)


def _resources() -> str:
    from ipykernel.kernelspec import RESOURCES

    return RESOURCES


def install(prefix: str | None = None) -> str:
    """Install the kernelspec under ``prefix``/share/jupyter/kernels; return its folder."""
    with tempfile.TemporaryDirectory() as tmp:
        for logo in Path(_resources()).glob("logo-*"):
            shutil.copy(logo, tmp)
        (Path(tmp) / "kernel.json").write_text(json.dumps(kernel_spec_dict(), indent=1) + "\n")
        return KernelSpecManager().install_kernel_spec(
            tmp, KERNEL_NAME, prefix=prefix or sys.prefix
        )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print("usage: python -m digits_helpers.run.kernel install", file=sys.stderr)
        return 2
    print(f"installed the {KERNEL_NAME} kernelspec in {install()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
