"""Tests that need a program of the machine (Debian's chromium, nginx): skipped where it is
missing, except on CI (CI=true), which installs it and must run them."""

import os
from typing import NoReturn

import pytest


def cannot_run(problem: str, *, tests: str) -> NoReturn:
    """Skip the test for `problem`; on CI fail it instead, so that nothing is hidden there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs {tests} to run, but {problem}", pytrace=False)
    pytest.skip(problem)
