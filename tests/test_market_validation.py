from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from abm.cli import main
from abm.cli.validate import format_table
from abm.market.validation import _boundary_cells, check_race_revenue


def test_validate_quick_passes(capsys):
    code = main(["validate", "--quick", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0, payload
    assert payload["passed"] is True
    names = [row["check"] for row in payload["checks"]]
    # every item of the spec's validation list is in the quick run
    for expected in (
        "pair convergence [best_response]",
        "pair convergence [logit]",
        "heterogeneous pairs MAE",
        "regime map",
        "race revenue vs Model II",
        "race upgrade sign",
        "open-sourcing inverted U",
    ):
        assert any(name.startswith(expected) for name in names), expected
    assert all(row["passed"] is True for row in payload["checks"])


def test_validate_table_output(capsys):
    code = main(["validate", "--quick", "--only", "race"])
    out = capsys.readouterr().out
    assert code == 0
    assert "race revenue vs Model II" in out and "pass" in out
    assert out.splitlines()[0].split()[:4] == ["check", "figure", "threshold", "status"]


def test_format_table_marks_gaps_and_failures():
    rows = [
        {
            "check": "a",
            "figure": 0.5,
            "threshold": ">= 1",
            "passed": False,
            "detail": "",
            "seconds": 0,
        },
        {
            "check": "b",
            "figure": 0.1,
            "threshold": ">= 1",
            "passed": None,
            "detail": "",
            "seconds": 0,
        },
    ]
    text = format_table(rows)
    assert "FAIL" in text and "gap" in text


def test_race_revenue_is_model_two_to_1e9():
    result = check_race_revenue()
    assert result.figure <= 1e-9
    # independent anchor from the spec: y = 16, x = 1, x′ = 8 on day 100 of 365, f = ln, n = 1
    expected = 100 * np.log(16) + 265 * (np.log(16) - np.log(8))
    assert abs(result.data["simulated"][3] - expected) <= 1e-9 * expected


def test_boundary_cells():
    regimes = np.array([[0, 0, 0], [0, 1, 1], [1, 1, 1]])
    near = _boundary_cells(regimes)
    assert near[0, 2] and near[1, 0] and near[1, 1]
    assert not near[0, 0] and not near[2, 2]


def test_validate_bad_option_exits_2_with_one_line():
    process = subprocess.run(
        [sys.executable, "-m", "abm", "validate", "--only", "nonsense"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 2
    assert len(process.stderr.strip().splitlines()) == 1
    assert "--only" in process.stderr
