"""The kernel class of the ``digits-book`` kernelspec (see :mod:`digits_helpers.run.kernel`).

Imported in the kernel process only: it pulls in IPython.
"""

from __future__ import annotations

from typing import Any

from ipykernel.ipkernel import IPythonKernel


class ProjectKernel(IPythonKernel):
    """ipykernel's kernel, whose main loop outlives the handling of a shutdown request.

    ``Kernel.shutdown_request`` runs on the control thread: it replies, then awaits
    ``_at_shutdown()``, which sends SIGTERM to the kernel's child processes and waits
    until they are gone (from 0.01 up to 10 s between checks), and only then stops the
    main loop. ``IPythonKernel.do_shutdown``, called before that, also sets
    ``shell.exit_now``, whose observer stops the main loop 0.1 s later without waiting.
    A child that outlives SIGTERM (the resource trackers of joblib and multiprocessing
    ignore it and exit when the kernel does) lets the main thread return first; the
    interpreter's exit then closes the control thread under the pending
    ``Kernel.dispatch_control`` task, and asyncio reports "Task was destroyed but it is
    pending!". This kernel leaves stopping the main loop to ``shutdown_request``.
    """

    async def do_shutdown(self, restart: bool) -> dict[str, Any]:
        return {"status": "ok", "restart": restart}
