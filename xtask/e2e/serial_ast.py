"""Schemathesis hooks for `cargo xtask e2e`: parse Python source one thread at a time.

Hypothesis describes each `.filter(lambda ...)` by parsing the lambda's module with `ast`.
CPython 3.11 keeps the parser's recursion-depth guard per interpreter, not per thread, so
two workers parsing at once can fail with "AST constructor recursion depth mismatch": the
tool failing, not the API. A lock around `ast.parse` keeps both workers and removes the race.
"""

import ast
import threading

_LOCK = threading.Lock()
_PARSE = ast.parse


def _serial_parse(*args, **kwargs):
    with _LOCK:
        return _PARSE(*args, **kwargs)


ast.parse = _serial_parse
