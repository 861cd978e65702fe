"""The documentation: docstring examples run, links point at files, the site builds strictly.

The site's build (``mkdocs build --strict``, mkdocs.yml) needs the ``docs`` extra, which the
``test`` extra includes; without MkDocs installed that one test is skipped. The tutorials are not
executed by this build (``ABM_DOCS_EXECUTE=false``): tests/test_notebooks.py executes them.
"""

from __future__ import annotations

import doctest
import importlib
import json
import os
import re
import subprocess
import sys
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


@pytest.mark.parametrize(
    "block",
    re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S),
    ids=lambda block: block.splitlines()[0][:40],
)
def test_the_readmes_python_examples_run(block: str, capsys: pytest.CaptureFixture) -> None:
    """Every Python block of the README runs as a user would paste it, and prints something."""
    exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.strip()


def test_readme_and_docs_link_only_to_files_that_exist() -> None:
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    for page in [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target in link.findall(text):
            if re.match(r"[a-z]+:", target):  # http:, mailto:
                continue
            generated = target == "scenario.schema.json" or target.startswith("reference/")
            if generated and page.is_relative_to(ROOT / "docs"):
                continue  # files the site's build generates (docs/hooks/abm_docs.py)
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}"


@pytest.mark.slow
def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter"):
        pytest.importorskip(module, reason="the docs extra is not installed")
    site = tmp_path / "site"
    env = {
        **os.environ,
        "ABM_DOCS_EXECUTE": "false",  # tests/test_notebooks.py executes the tutorials
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
    }
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-6000:]

    # Search finds the right pages.
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))

    def pages_with(word: str) -> set[str]:
        return {
            doc["location"].split("#")[0]
            for doc in index["docs"]
            if word.lower() in (doc["title"] + " " + doc["text"]).lower()
        }

    assert "model/openness-game/" in pages_with("ω⁰")
    assert {"scenarios/", "cli/", "model/openness-game/"} <= pages_with("penalty")
    # Generated pages hold what the code says.
    scenarios = (site / "scenarios" / "index.html").read_text(encoding="utf-8")
    assert "regulator.penalty" in scenarios and "summary_window" in scenarios
    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    from abm.cli import COMMANDS

    for command in COMMANDS:
        assert f'id="abm-{command}"' in cli, f"abm {command} is missing from the CLI page"
    assert 'id="abm"' in cli and "--max-memory SIZE" in cli  # the options before a command
    assert (site / "reference" / "abm" / "market" / "model" / "index.html").is_file()
    assert (site / "getting-started" / "openness.png").is_file()
    schema = json.loads((site / "scenario.schema.json").read_text(encoding="utf-8"))
    assert "market" in schema["properties"]


@pytest.mark.parametrize("package", ["abm", "abm.theory", "abm.experiments", "abm.market"])
def test_package_docstrings_name_every_module(package: str) -> None:
    import pkgutil

    module = importlib.import_module(package)
    names = [info.name for info in pkgutil.iter_modules(module.__path__)]
    missing = [name for name in names if not name.startswith("_") and name not in module.__doc__]
    assert not missing, f"{package}'s docstring does not name {missing}"
