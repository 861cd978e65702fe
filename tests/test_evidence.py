"""Real data (abm.evidence): the loader on the shipped snapshot and on a messy synthetic frame,
and study 9's quick run, its headline rates recomputed from the raw CSV by independent pandas."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.cli import main
from abm.evidence import ACCESS_OPENNESS, CREDIT, finetune_graph, load_models, read_raw, tidy
from abm.evidence.findings import GAP_EDGES, hhi, wilson
from abm.evidence.models import family, is_big_tech, org_type

ROOT = Path(__file__).resolve().parent.parent
RAW_CSV = ROOT / "abm" / "data" / "epoch-notable-ai-models.csv"


@pytest.fixture(scope="module")
def models() -> pd.DataFrame:
    return load_models()


# --- the shipped snapshot -------------------------------------------------------------------


def test_snapshot_ships_as_package_data_with_its_credit() -> None:
    folder = resources.files("abm").joinpath("data")
    assert folder.joinpath("epoch-notable-ai-models.csv").is_file()
    assert CREDIT in folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in folder.joinpath("LICENSE").read_text(encoding="utf-8")
    raw = read_raw()
    assert raw.shape == (976, 20)


def test_loader_on_the_real_file(models: pd.DataFrame) -> None:
    assert len(models) == 976
    assert not models["model"].str.contains("\n").any()
    assert {"Solar Open 100B", "VAETKI", "GPT-3.5 (davinci-002)"} <= set(models["model"])
    assert models["publication_date"].is_monotonic_increasing
    # accessibility: 721 known, 302 with open weights (197 + 64 + 41)
    assert int(models["open_weights"].notna().sum()) == 721
    assert int(models["open_weights"].sum()) == 302
    known = models["openness"].dropna()
    assert len(known) == 721 and known.between(0.0, 1.0).all()
    assert models["openness"].isna().equals(models["open_weights"].isna())
    # open weights score above every closed grade
    open_rows = models[models["open_weights"].fillna(False).astype(bool)]
    closed_rows = models[~models["open_weights"].fillna(True).astype(bool)]
    assert open_rows["openness"].min() > closed_rows["openness"].max()
    # the frontier: non-decreasing in time, gap ≥ 0, zero for some model every time it moves
    with_compute = models.dropna(subset=["log_compute"])
    assert len(with_compute) == 515
    assert (with_compute["frontier_gap"] >= -1e-12).all()
    assert np.all(np.diff(models["compute_frontier"].dropna().to_numpy()) >= 0)
    assert (with_compute["frontier_gap"] == 0).sum() >= 20
    assert with_compute["compute_frontier"].max() == pytest.approx(
        with_compute["log_compute"].max()
    )
    # several organisations in one cell
    glm = models.set_index("model").loc["GLM-4.7"]
    assert glm["open_weights"] and glm["openness"] == pytest.approx(0.9)
    multi = models[models["organisations"] > 1]
    assert len(multi) > 250 and multi["organisation"].str.contains(", ").all()
    gemini = models[models["model"].str.startswith("Gemini")]
    assert gemini["big_tech"].all()
    assert not models.set_index("model").loc["Claude Opus 4.5", "big_tech"]
    assert set(models["org_type"].dropna()) <= {
        "industry",
        "academia",
        "industry-academia",
        "other",
    }


def test_finetune_graph_on_the_real_file(models: pd.DataFrame) -> None:
    graph = finetune_graph(models)
    assert graph.number_of_edges() == 138
    assert graph.has_edge("GLM-4.5", "GLM-4.7")
    assert graph.nodes["GLM-4.7"]["in_snapshot"]
    assert not graph.nodes["Qwen2.5-7B"]["in_snapshot"]  # a base the snapshot does not list
    assert graph.out_degree("VGG16") == 6
    assert family("Qwen2.5-72B") == "qwen" and family("T5-11B") == "t5"


# --- a messy synthetic frame ----------------------------------------------------------------


def _raw(rows: list[dict]) -> pd.DataFrame:
    columns = [
        "Model",
        "Organization",
        "Publication date",
        "Training compute (FLOP)",
        "Organization categorization",
        "Base model",
        "Model accessibility",
        "Training code accessibility",
    ]
    return pd.DataFrame([{column: row.get(column) for column in columns} for row in rows])


SYNTHETIC = [
    {
        "Model": "Big\n",
        "Organization": "Google DeepMind,Stanford University",
        "Publication date": "2020-01-01",
        "Training compute (FLOP)": 1e24,
        "Organization categorization": "Industry,Academia",
        "Model accessibility": "API access",
        "Training code accessibility": "Unreleased",
    },
    {
        "Model": "  Small  ",
        "Organization": "Some University",
        "Publication date": "2020-06-01",
        "Training compute (FLOP)": 1e21,
        "Organization categorization": "Academia",
        "Model accessibility": "Open weights (unrestricted)",
        "Training code accessibility": "Open source",
    },
    {
        "Model": "Tuned",
        "Organization": "MetaMind Inc",
        "Publication date": "2021-01-01",
        "Training compute (FLOP)": None,
        "Organization categorization": "Industry",
        "Base model": "Small, Outside base",
        "Model accessibility": "Open weights (non-commercial)",
        "Training code accessibility": None,
    },
    {
        "Model": "Bigger",
        "Organization": "Meta AI",
        "Publication date": "2021-01-01",
        "Training compute (FLOP)": 1e25,
        "Organization categorization": None,
        "Model accessibility": None,
        "Training code accessibility": "Open source",
    },
    {
        "Model": "Later",
        "Organization": None,
        "Publication date": "2022-01-01",
        "Training compute (FLOP)": 1e23,
        "Organization categorization": "Government",
        "Model accessibility": "Unreleased",
        "Training code accessibility": "Open (restricted use)",
    },
    {"Model": "Undated", "Publication date": "not a date", "Training compute (FLOP)": 1e30},
    {"Model": None, "Publication date": "2020-01-01"},
]


def test_tidy_handles_messy_rows() -> None:
    table = tidy(_raw(SYNTHETIC)).set_index("model")
    assert list(table.index) == ["Big", "Small", "Bigger", "Tuned", "Later"]  # by date, name
    # openness mapping and the training-code bonus; missing accessibility gives NaN
    assert table.loc["Big", "openness"] == ACCESS_OPENNESS["API access"]
    assert table.loc["Small", "openness"] == pytest.approx(1.0)
    assert table.loc["Tuned", "openness"] == pytest.approx(0.6)
    assert np.isnan(table.loc["Bigger", "openness"]) and pd.isna(
        table.loc["Bigger", "open_weights"]
    )
    assert table.loc["Later", "openness"] == pytest.approx(0.05)
    assert table.loc["Small", "open_weights"] and not table.loc["Big", "open_weights"]
    # frontier: running max over dated models with compute (the undated 1e30 is dropped)
    assert table["compute_frontier"].tolist() == pytest.approx([24, 24, 25, 25, 25])
    assert table.loc["Small", "frontier_gap"] == pytest.approx(3.0)
    assert table.loc["Bigger", "frontier_gap"] == pytest.approx(0.0)
    assert table.loc["Later", "frontier_gap"] == pytest.approx(2.0)
    assert np.isnan(table.loc["Tuned", "frontier_gap"])
    # edge over the same year's median (2020: 24 and 21 → median 22.5)
    assert table.loc["Big", "compute_edge"] == pytest.approx(1.5)
    # organisations, types and big tech
    assert table.loc["Big", "organisations"] == 2 and table.loc["Big", "big_tech"]
    assert table.loc["Big", "lead_organisation"] == "Google DeepMind"
    assert table.loc["Big", "org_type"] == "industry-academia"
    assert not table.loc["Tuned", "big_tech"] and table.loc["Bigger", "big_tech"]
    assert table.loc["Later", "organisations"] == 0 and not table.loc["Later", "big_tech"]
    assert table.loc["Later", "org_type"] == "other" and pd.isna(table.loc["Bigger", "org_type"])
    graph = finetune_graph(table.reset_index())
    assert set(graph.edges) == {("Small", "Tuned"), ("Outside base", "Tuned")}
    assert not graph.nodes["Outside base"]["in_snapshot"]
    assert graph.edges["Small", "Tuned"]["year"] == 2021


def test_small_helpers() -> None:
    assert is_big_tech("Alibaba DAMO Academy") and is_big_tech("Intel Labs")
    assert not is_big_tech("MetaMind Inc") and not is_big_tech("MIT-IBM Watson AI Lab")
    assert org_type(["Academia", "Academia"]) == "academia" and org_type([]) is None
    assert hhi(["a", "a", "b", "b"]) == pytest.approx(0.5) and hhi(["a"] * 3) == 1.0
    # statsmodels' Wilson interval is the one abm.stats computes
    from abm.stats.propensity import wilson_interval

    hits, trials = np.array([0, 7, 28, 143]), np.array([5, 38, 90, 243])
    assert np.allclose(wilson(hits, trials), wilson_interval(hits, trials))


def test_tidy_rejects_a_frame_without_its_columns() -> None:
    with pytest.raises(KeyError, match="Model accessibility"):
        tidy(pd.DataFrame({"Model": ["a"], "Organization": ["b"]}).assign(**{
            "Publication date": "2020-01-01", "Training compute (FLOP)": 1.0,
            "Organization categorization": "Industry", "Base model": None,
            "Training code accessibility": None,
        }))  # fmt: skip


# --- the study ------------------------------------------------------------------------------


def _independent_rates() -> pd.DataFrame:
    """Open share by gap bin straight from the CSV: a few lines of pandas, not the study's."""
    raw = pd.read_csv(RAW_CSV)
    raw["date"] = pd.to_datetime(raw["Publication date"])
    raw["lc"] = np.log10(raw["Training compute (FLOP)"])
    daily = raw.dropna(subset=["lc"]).groupby("date")["lc"].max().sort_index().cummax()
    frontier = pd.merge_asof(
        raw[["date"]].reset_index().sort_values("date"),
        daily.rename("frontier").reset_index(),
        on="date",
    ).set_index("index")["frontier"]
    raw["gap"] = frontier - raw["lc"]
    sample = raw.dropna(subset=["gap", "Model accessibility"])
    opened = sample["Model accessibility"].str.startswith("Open weights")
    bins = pd.cut(sample["gap"], list(GAP_EDGES), right=False)
    return opened.groupby(bins, observed=False).agg(["sum", "size", "mean"])


def test_study_quick_run(tmp_path: Path) -> None:
    assert main(["study", "evidence", "--quick", "--quiet", "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["command"] == "study evidence"
    for output in manifest["outputs"]:
        assert (tmp_path / output).exists(), output
    for stem in ("open_share_gap", "propensity", "closed_open_gap", "supply_chain"):
        assert (tmp_path / f"evidence_{stem}.png").stat().st_size > 20_000
    findings = json.loads((tmp_path / "findings.json").read_text())
    assert findings["credit"] == CREDIT and len(findings["limitations"]) >= 3
    assert findings["sample"]["with_both"] == 418

    # the headline binned rates, recomputed from the raw CSV
    independent = _independent_rates()
    bins = pd.read_parquet(tmp_path / "evidence_open_share_by_gap.parquet")
    assert bins["models"].tolist() == independent["size"].tolist()
    assert bins["open"].tolist() == independent["sum"].astype(int).tolist()
    assert np.allclose(bins["rate"], independent["mean"])
    assert bins["models"].sum() == 418

    # Qiu et al.: near the frontier (gap < 1 OOM) 28/90 open, 1–4 OOM behind 143/243
    qiu = findings["1 strong close, weak open (Qiu et al.)"]
    near, behind = qiu["open share, gap < 1 OOM"], qiu["open share, gap 1–4 OOM"]
    assert (near["n"], behind["n"]) == (90, 243)
    assert near["estimate"] == pytest.approx(28 / 90) and behind["estimate"] == pytest.approx(
        143 / 243
    )
    assert near["upper"] < behind["lower"]  # the Wilson intervals do not even overlap
    difference = qiu["difference behind − near"]
    assert difference["clears"] and difference["lower"] > 0.1
    # ... but not monotone: far behind (≥ 4 OOM) the share falls back, and the linear logit
    # slope is not distinguishable from 0 while the quadratic's curvature is negative
    assert qiu["open share, gap ≥ 4 OOM"]["estimate"] < behind["estimate"]
    assert not qiu["logit slope on gap"]["clears"]
    assert qiu["logit curvature on gap²"]["clears"] and qiu["logit curvature on gap²"]["upper"] < 0

    # Habibi: the year clears; big tech does not open more (point estimate negative)
    habibi = findings["2 propensity: edge and big tech (Habibi)"]
    assert habibi["logit: year"]["clears"] and habibi["logit: year"]["estimate"] > 0
    assert habibi["logit: big tech"]["estimate"] < 0 and not habibi["logit: big tech"]["clears"]
    assert habibi["logit: edge over year median"]["estimate"] < 0
    coefficients = pd.read_parquet(tmp_path / "evidence_propensity_logit.parquet")
    assert set(coefficients["specification"]) == {
        "edge over year median",
        "edge = -gap to frontier",
    }
    assert (coefficients["n"] == 418).all()
    assert "Logit Regression Results" in (tmp_path / "evidence_logits.txt").read_text()

    # the race post: no trend shown in the closed–open gap
    race = findings["3 closed–open compute gap (race post)"]
    assert not race["trend of the gap"]["clears"] and race["trend of the gap"]["n"] >= 8

    # the supply chain: 138 links; concentration reported for 2022–2025
    chain = findings["4 supply chain: derivatives and concentration"]
    assert chain["derivatives per base (mean, bases with ≥ 1)"]["n"] == 92
    concentration = pd.read_parquet(tmp_path / "evidence_concentration.parquet")
    shown = concentration[concentration["reported"]]
    assert shown["year"].tolist() == [2022, 2023, 2024, 2025]
    assert (shown["hhi_base"] >= shown["hhi_floor"]).all()
    assert (shown["hhi_base_lower"] <= shown["hhi_base"]).all()
    assert (shown["hhi_base"] <= shown["hhi_base_upper"]).all()
    tidy_models = pd.read_parquet(tmp_path / "evidence_models.parquet")
    assert len(tidy_models) == 976
