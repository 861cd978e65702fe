"""What the command line imports: start-up is paid on every command, so nothing unused is loaded.

Each check runs in a fresh interpreter (this one has imported everything already) and reads its
``sys.modules`` at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Libraries for drawing (seconds of start-up).
PLOTTING = ("matplotlib", "seaborn")

TINY = """
name = "tiny"
seed = 3
[horizon]
steps = 2
[market.generalists]
count = 2
[market.specialists]
count = 2
"""


def _imported(code: str, *names: str) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter; which of ``names`` it imported."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps({{n: n in sys.modules for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_parsing_the_command_line_imports_no_numerical_library() -> None:
    heavy = ("numpy", "pandas", "scipy", "mesa", "pydantic", "pyarrow", *PLOTTING)
    imported = _imported("import abm.cli; abm.cli.build_parser()", *heavy)
    assert not any(imported.values()), imported


def _run_code(tmp_path: Path, *options: str) -> tuple[str, Path]:
    """Code that runs the tiny scenario with ``options`` into ``tmp_path/run``, and that folder."""
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    out = tmp_path / "run"
    arguments = ["run", str(scenario), *options, "--quiet", "--out", str(out)]
    return f"from abm.cli import main\nassert main({arguments!r}) == 0", out


def test_a_run_without_figures_imports_no_plotting_library_nor_mesa(tmp_path: Path) -> None:
    # a market a batch can hold runs as a batch of one (Mesa's imports take 0.3 s), and only
    # truncated normals and imitation's neighbourhoods need scipy
    code, out = _run_code(tmp_path, "--no-figures")
    imported = _imported(code, "abm.market.batch", "mesa", "scipy", *PLOTTING)
    assert imported.pop("abm.market.batch"), "the run did not run"
    assert not any(imported.values()), imported
    assert (out / "network.graphml").exists()


def test_a_run_draws_its_figures_without_seaborn(tmp_path: Path) -> None:
    code, out = _run_code(tmp_path)
    imported = _imported(code, "matplotlib", "seaborn", "scipy.stats")
    assert imported == {"matplotlib": True, "seaborn": False, "scipy.stats": False}
    assert sorted(path.name for path in out.glob("*.png")) == ["openness.png", "payoffs.png"]
    assert not list(out.glob("*.svg"))


def test_a_study_of_stacked_runs_imports_no_mesa(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    arguments = ["mc", str(scenario), "--replications", "4", "--quiet", "--no-figures"]
    arguments += ["--out", str(tmp_path / "mc")]
    code = f"from abm.cli import main\nassert main({arguments!r}) == 0"
    imported = _imported(code, "abm.market.batch", "mesa", "networkx")
    assert imported == {"abm.market.batch": True, "mesa": False, "networkx": False}
