"""Level ``unit``: the package's functions and commands in-process, in seconds.

No TensorFlow, no notebook, no browser: ``make test-fast`` runs this folder alone, in
under a minute. A test that needs one of those belongs to ``training/``, ``study/`` or
``book/`` (``test_tiers.py`` checks the imports).
"""
