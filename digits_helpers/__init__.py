"""Helpers for the digits-book study, by layer: each folder imports only the folders below it.

From the top: ``cli`` (the ``digits-book`` command), ``book``, ``run``, ``study`` and ``reading``
(side by side, neither imports the other), ``models``, ``data``, ``core``. ARCHITECTURE.md says
what each holds; import-linter checks the order (``make lint``).
"""
