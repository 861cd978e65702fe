"""Epoch AI's Notable AI Models as a tidy table: openness, compute frontier, supply chain.

The snapshot ships inside the package (``abm/data/epoch-notable-ai-models.csv``, read through
:mod:`importlib.resources`, no network). :func:`tidy` turns the raw frame (any frame with the
snapshot's column names, so tests can feed a small synthetic one) into one row per model;
:func:`load_models` is ``tidy(read_raw())``; :func:`finetune_graph` gives the base → derivative
edges of ``Base model`` as a :class:`networkx.DiGraph`.

The choices (docs/evidence.md explains each):

- **Openness** (:data:`ACCESS_OPENNESS`, :data:`CODE_BONUS`): an ordinal score in [0, 1] from
  ``Model accessibility``, plus a bonus for open training code; NaN where accessibility is
  missing. A missing training-code cell earns no bonus.
- **Compute frontier**: the running maximum of log10 training compute over every model of the
  snapshot with a known compute published on or before the model's date (all domains, whatever
  its accessibility); ``frontier_gap`` is the frontier minus the model's own log-compute, in
  orders of magnitude (0 for a model that sets the frontier).
- **Edge over rivals** (``compute_edge``): log-compute minus the median log-compute of the
  snapshot's models of the same year (with known compute).
- **Big tech** (:data:`BIG_TECH`): a model is big tech's when any of its organisations is one
  of the listed firms (or their labs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import networkx as nx

#: The credit line every figure, table and report using the data carries (CC BY 4.0).
CREDIT = "Data: Epoch AI, Notable AI Models (epoch.ai/data/notable-ai-models), CC BY 4.0"

#: The shipped snapshot, inside the package ``abm``.
DATA_FILE = "data/epoch-notable-ai-models.csv"

#: Ordinal openness of each ``Model accessibility`` grade (docs/evidence.md, "Openness").
ACCESS_OPENNESS: dict[str, float] = {
    "Unreleased": 0.0,
    "Hosted access (no API)": 0.1,
    "API access": 0.25,
    "Open weights (non-commercial)": 0.6,
    "Open weights (restricted use)": 0.75,
    "Open weights (unrestricted)": 0.9,
}

#: Bonus for open training code, by ``Training code accessibility`` (missing: none).
CODE_BONUS: dict[str, float] = {
    "Unreleased": 0.0,
    "Open (non-commercial)": 0.05,
    "Open (restricted use)": 0.05,
    "Open source": 0.1,
}

#: The grades that release the weights (``open_weights`` is True for these).
OPEN_WEIGHTS: tuple[str, ...] = (
    "Open weights (non-commercial)",
    "Open weights (restricted use)",
    "Open weights (unrestricted)",
)

#: Large incumbent technology firms (US and Chinese platforms, cloud and chip makers) and the
#: organisation names their labs carry in the snapshot. An organisation is big tech's when its
#: name starts with one of these words (case-insensitive, whole word): "Google DeepMind",
#: "Meta AI", "Microsoft Research Asia", "Intel Labs", "Alibaba DAMO Academy" count, "MetaMind
#: Inc" and "MIT-IBM Watson AI Lab" do not. AI-first labs (OpenAI, Anthropic, xAI, Mistral,
#: DeepSeek, Moonshot, Zhipu …) are not on the list: they are large, but not incumbents with a
#: business outside the models.
BIG_TECH: dict[str, tuple[str, ...]] = {
    "Alphabet": ("Google", "DeepMind"),
    "Meta": ("Meta", "Facebook"),
    "Microsoft": ("Microsoft",),
    "Amazon": ("Amazon",),
    "Apple": ("Apple",),
    "NVIDIA": ("NVIDIA",),
    "IBM": ("IBM",),
    "Intel": ("Intel",),
    "Samsung": ("Samsung",),
    "Alibaba": ("Alibaba",),
    "Tencent": ("Tencent",),
    "Baidu": ("Baidu",),
    "ByteDance": ("ByteDance",),
    "Huawei": ("Huawei",),
}

_BIG_TECH_PATTERN = re.compile(
    r"^(?:" + "|".join(re.escape(word) for words in BIG_TECH.values() for word in words) + r")\b",
    re.IGNORECASE,
)

#: Columns of the tidy table, in order.
COLUMNS: tuple[str, ...] = (
    "model",
    "organisation",
    "organisations",
    "lead_organisation",
    "publication_date",
    "year",
    "domain",
    "country",
    "parameters",
    "training_compute",
    "log_compute",
    "compute_frontier",
    "frontier_gap",
    "compute_edge",
    "accessibility",
    "training_code",
    "openness",
    "open_weights",
    "org_type",
    "industry",
    "big_tech",
    "base_models",
    "frontier_model",
    "confidence",
    "link",
)

#: The raw columns :func:`tidy` needs.
RAW_COLUMNS: tuple[str, ...] = (
    "Model",
    "Organization",
    "Publication date",
    "Training compute (FLOP)",
    "Organization categorization",
    "Base model",
    "Model accessibility",
    "Training code accessibility",
)


def read_raw() -> pd.DataFrame:
    """The shipped snapshot as read from the CSV, untouched (976 rows, 20 columns)."""
    with resources.files("abm").joinpath(DATA_FILE).open("rb") as stream:
        return pd.read_csv(stream)


def clean_name(value: object) -> str | None:
    """A name with surrounding and repeated whitespace (and line breaks) removed; None if empty."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def split_cell(value: object) -> list[str]:
    """The comma-separated entries of a cell, cleaned, empty ones and duplicates dropped."""
    if not isinstance(value, str):
        return []
    seen: dict[str, None] = {}
    for part in value.split(","):
        name = clean_name(part)
        if name is not None:
            seen.setdefault(name, None)
    return list(seen)


def is_big_tech(organisation: str) -> bool:
    """Whether one organisation name is a :data:`BIG_TECH` firm's."""
    return bool(_BIG_TECH_PATTERN.match(organisation.strip()))


def org_type(categories: Iterable[str]) -> str | None:
    """One type from the ``Organization categorization`` entries of a model.

    ``industry`` or ``academia`` when every organisation is of that kind, ``industry-academia``
    for a mix of the two (with or without others), ``other`` for government and research
    collectives alone or mixed with one of the two kinds; None when the cell is empty.
    """
    kinds = {category.strip().lower() for category in categories if category.strip()}
    if not kinds:
        return None
    if kinds == {"industry"}:
        return "industry"
    if kinds == {"academia"}:
        return "academia"
    if {"industry", "academia"} <= kinds:
        return "industry-academia"
    return "other"


def openness_score(accessibility: object, training_code: object) -> float:
    """The ordinal openness of one model (NaN when its accessibility is missing or unknown)."""
    grade = clean_name(accessibility)
    if grade not in ACCESS_OPENNESS:
        return float("nan")
    code = clean_name(training_code)
    bonus = CODE_BONUS.get(code, 0.0) if code is not None else 0.0
    return min(1.0, ACCESS_OPENNESS[grade] + bonus)


def running_frontier(dates: pd.Series, log_compute: pd.Series) -> np.ndarray:
    """The running maximum of ``log_compute`` over models published on or before each date.

    Models with a missing compute or date do not move the frontier; a date before the first
    known compute gets NaN. Same-day models share one frontier (ties count as published).
    """
    known = pd.DataFrame({"date": dates, "value": log_compute}).dropna()
    if known.empty:
        return np.full(len(dates), np.nan)
    steps = known.groupby("date")["value"].max().sort_index().cummax()
    when = steps.index.to_numpy()
    position = np.searchsorted(when, pd.to_datetime(dates).to_numpy(), side="right") - 1
    values = steps.to_numpy()[np.clip(position, 0, None)]
    return np.where((position >= 0) & pd.notna(dates).to_numpy(), values, np.nan)


def tidy(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per model with the derived columns :data:`COLUMNS` (see the module docstring).

    Rows without a model name or a valid publication date are dropped; every other gap stays
    a missing value. Sorted by publication date, then model name.

    Raises:
        KeyError: ``raw`` lacks one of :data:`RAW_COLUMNS`.
    """
    missing = [column for column in RAW_COLUMNS if column not in raw.columns]
    if missing:
        raise KeyError(f"the raw frame lacks the columns {missing}")

    def column(name: str) -> pd.Series:
        return raw[name] if name in raw.columns else pd.Series(np.nan, index=raw.index)

    frame = pd.DataFrame(index=raw.index)
    frame["model"] = raw["Model"].map(clean_name)
    organisations = raw["Organization"].map(split_cell)
    frame["organisation"] = organisations.map(lambda names: ", ".join(names) or None)
    frame["organisations"] = organisations.map(len).astype(int)
    frame["lead_organisation"] = organisations.map(lambda names: names[0] if names else None)
    frame["publication_date"] = pd.to_datetime(raw["Publication date"], errors="coerce")
    frame = frame[frame["model"].notna() & frame["publication_date"].notna()].copy()
    raw = raw.loc[frame.index]
    organisations = organisations.loc[frame.index]
    frame["year"] = frame["publication_date"].dt.year.astype(int)
    frame["domain"] = column("Domain").loc[frame.index].map(clean_name)
    frame["country"] = column("Country (of organization)").loc[frame.index].map(clean_name)
    frame["parameters"] = pd.to_numeric(column("Parameters").loc[frame.index], errors="coerce")
    compute = pd.to_numeric(raw["Training compute (FLOP)"], errors="coerce")
    compute = compute.where(compute > 0)
    frame["training_compute"] = compute
    frame["log_compute"] = np.log10(compute)
    frame["compute_frontier"] = running_frontier(frame["publication_date"], frame["log_compute"])
    frame["frontier_gap"] = frame["compute_frontier"] - frame["log_compute"]
    median = frame.groupby("year")["log_compute"].transform("median")
    frame["compute_edge"] = frame["log_compute"] - median
    frame["accessibility"] = raw["Model accessibility"].map(clean_name)
    frame["training_code"] = raw["Training code accessibility"].map(clean_name)
    frame["openness"] = [
        openness_score(access, code)
        for access, code in zip(frame["accessibility"], frame["training_code"], strict=True)
    ]
    known = frame["accessibility"].isin(list(ACCESS_OPENNESS))
    frame["open_weights"] = (
        frame["accessibility"].isin(OPEN_WEIGHTS).astype("boolean").where(known, pd.NA)
    )
    categories = raw["Organization categorization"].map(split_cell)
    frame["org_type"] = categories.map(org_type)
    frame["industry"] = categories.map(lambda kinds: "Industry" in kinds).astype(bool)
    frame["big_tech"] = organisations.map(lambda names: any(map(is_big_tech, names))).astype(bool)
    frame["base_models"] = raw["Base model"].map(lambda cell: ", ".join(split_cell(cell)) or None)
    frontier = column("Frontier model").loc[frame.index]
    frame["frontier_model"] = frontier.map(
        lambda cell: cell is True or str(cell).strip().lower() == "true"
    ).astype(bool)
    frame["confidence"] = column("Confidence").loc[frame.index].map(clean_name)
    frame["link"] = column("Link").loc[frame.index].map(clean_name)
    frame = frame.sort_values(["publication_date", "model"], kind="stable")
    return frame.reset_index(drop=True)[list(COLUMNS)]


def load_models() -> pd.DataFrame:
    """The shipped snapshot as a tidy table (:func:`tidy` of :func:`read_raw`).

    Examples:
        >>> models = load_models()
        >>> len(models), "openness" in models, "frontier_gap" in models
        (976, True, True)
    """
    return tidy(read_raw())


def family(name: str) -> str:
    """A model's family: the leading letters of its name, lower-case ("Qwen2.5-7B" → "qwen").

    A heuristic for grouping derivatives by lineage (Llama, Qwen, Mistral, GPT …). A prefix of
    fewer than three letters keeps the digits after it ("T5-11B" → "t5", "mT5" → "mt5"); a name
    that starts with no letter is its own family.
    """
    text = name.strip()
    match = re.match(r"([A-Za-z]+)(\d*)", text)
    if not match:
        return text.lower()
    letters, digits = match.groups()
    return (letters if len(letters) >= 3 else letters + digits).lower()


def finetune_graph(models: pd.DataFrame | None = None) -> nx.DiGraph:
    """The supply chain: an edge base → derivative for every entry of ``Base model``.

    Nodes are model names; a base the snapshot does not list as a model of its own is still a
    node (``in_snapshot`` False, its other attributes missing). A derivative with several bases
    gets one edge from each. Node attributes: ``in_snapshot``, ``organisation``, ``year``,
    ``open_weights`` (None if unknown), ``big_tech``, ``family``; edge attribute ``year`` (the
    derivative's publication year).

    Args:
        models: A table from :func:`tidy` (default :func:`load_models`).
    """
    import networkx as nx

    table = load_models() if models is None else models
    graph = nx.DiGraph()
    for row in table.itertuples(index=False):
        graph.add_node(
            row.model,
            in_snapshot=True,
            organisation=row.organisation,
            year=int(row.year),
            open_weights=None if pd.isna(row.open_weights) else bool(row.open_weights),
            big_tech=bool(row.big_tech),
            family=family(row.model),
        )
    for row in table.itertuples(index=False):
        for base in split_cell(row.base_models):
            if base == row.model:
                continue
            if base not in graph:
                graph.add_node(base, in_snapshot=False, family=family(base))
            graph.add_edge(base, row.model, year=int(row.year))
    return graph
