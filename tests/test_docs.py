"""The documentation: docstring examples run and links point at files that exist."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Modules whose docstring examples are run: those of the classes and functions the README and
#: the tutorials use.
DOCTEST_MODULES = (
    "abm.theory.openness_game",
    "abm.theory.outcomes",
    "abm.theory.generic_solver",
    "abm.market.config",
    "abm.market.distributions",
    "abm.market.model",
    "abm.market.checks",
    "abm.figures.style",
    "abm.scenarios",
    "abm.cli",
    "abm.evidence.models",
)

#: Every public class and function the README or a tutorial uses (constants aside): each has a
#: docstring with an example.
USED = (
    "abm.theory.openness_game.OpennessGame",
    "abm.theory.openness_game.stage_two",
    "abm.theory.openness_game.spe_benchmark",
    "abm.theory.openness_game.indifference_penalty",
    "abm.theory.outcomes.regulation_outcome",
    "abm.theory.generic_solver.GenericGame",
    "abm.market.MarketConfig",
    "abm.market.MarketConfig.from_dict",
    "abm.market.MarketModel",
    "abm.market.GeneralistConfig",
    "abm.market.SpecialistConfig",
    "abm.market.ClosedFirmConfig",
    "abm.market.DemandConfig",
    "abm.market.RegulatorConfig",
    "abm.market.Distribution",
    "abm.market.LearningConfig",
    "abm.market.checks.learned_release",
    "abm.figures.style.apply_style",
    "abm.scenarios.load_scenario",
    "abm.cli.main",
    "abm.evidence.load_models",
)

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _resolve(path: str) -> object:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ImportError(path)


@pytest.mark.parametrize("name", DOCTEST_MODULES)
def test_docstring_examples_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # examples read scenarios/ from the repository's root
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS, verbose=False)
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0, f"{result.failed} docstring examples of {name} failed (above)"


@pytest.mark.parametrize("path", USED)
def test_what_the_readme_and_tutorials_use_has_an_example(path: str) -> None:
    assert ">>>" in (_resolve(path).__doc__ or ""), f"{path}: add a docstring example"


def test_readme_and_docs_link_only_to_files_that_exist() -> None:
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target in link.findall(text):
            if re.match(r"[a-z]+:", target):  # http:, mailto:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}"
