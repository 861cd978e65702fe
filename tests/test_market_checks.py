from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from abm.cli import main
from abm.market.checks import _away_from_boundary, agreement, check_race_revenue, format_results


@pytest.mark.slow
def test_validate_quick_lists_v0_to_v6(capsys):
    code = main(["validate", "--quick", "--json"])
    payload = json.loads(capsys.readouterr().out)
    rows = {row["check"].split()[0] + " " + row["check"]: row for row in payload["checks"]}
    names = [row["check"] for row in payload["checks"]]
    for prefix in ("V0", "V1", "V2", "V3", "V4", "V5", "V6"):
        assert any(name.startswith(prefix) for name in names), prefix
    judged = [row for row in payload["checks"] if row["passed"] is not None]
    assert all(row["passed"] is True for row in judged), [
        (row["check"], row["figure"]) for row in judged if row["passed"] is not True
    ]
    # V6 (firm size inside the market) passes: the inverted U from the mechanism
    v6 = [row for row in payload["checks"] if row["check"].startswith("V6")]
    assert v6 and v6[0]["passed"] is True
    assert code == 0 and payload["passed"] is True
    assert rows


def test_validate_table_output(capsys):
    code = main(["validate", "--quick", "--only", "V0", "V5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "V0 Model II reduction" in out and "pass" in out
    assert out.splitlines()[0].split()[:4] == ["check", "figure", "threshold", "status"]


def test_validate_on_two_workers_gives_the_same_results(capsys):
    found = {}
    for workers in ("1", "2"):
        command = ["validate", "--quick", "--only", "V0", "V5", "--json", "--workers", workers]
        assert main(command) == 0
        rows = json.loads(capsys.readouterr().out)["checks"]
        found[workers] = [{k: v for k, v in row.items() if k != "seconds"} for row in rows]
    assert found["2"] == found["1"] and len(found["1"]) == 3


def test_format_results_marks_gaps_and_failures():
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
    text = format_results(rows)
    assert "FAIL" in text and "gap" in text


def test_race_revenue_is_model_two_to_1e9():
    result = check_race_revenue()
    assert result.passed and result.figure <= 1e-9


def test_boundary_cells():
    regimes = np.array([[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 1], [1, 1, 1, 1]])
    interior = _away_from_boundary(regimes)
    assert interior[0, 0] and not interior[1, 2] and not interior[3, 0]


def test_agreement_needs_regime_and_openness():
    learned = np.array([0.2, np.nan, 0.1, 0.5])
    target = np.array([0.21, np.nan, 0.4, 0.4])
    regime = np.array([0, 3, 2, 1])
    theta = np.array([0.0, 0.9, 0.4, 0.39])
    assert agreement(learned, target, regime, theta).tolist() == [True, True, False, False]


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
