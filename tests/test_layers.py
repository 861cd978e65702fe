"""The layering contracts of pyproject.toml hold (import-linter; see docs/architecture.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    """The ``lint-imports`` of this interpreter's environment (the ``test`` extra installs it)."""
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail('lint-imports not found: pip install -e ".[test]" (it has import-linter)')
    return found


def test_import_contracts_are_kept() -> None:
    # Run from the project root: lint-imports puts the working directory first on sys.path, so
    # it checks this checkout's abm and analysis, and reads [tool.importlinter] here.
    result = subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_contract_is_checked() -> None:
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    assert {contract["id"] for contract in contracts} >= {
        "layers",
        "studies-not-cli",
        "cli-not-studies",
    }
