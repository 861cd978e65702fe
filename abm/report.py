"""One self-contained HTML report of an output folder (``abm run``/``mc``/``sweep``/``sa``/study).

The page embeds every PNG figure as base64, summarises ``manifest.json`` (command, seed,
versions, timings) and the scenario, and turns the tables into key numbers: the last period of
one run, quantiles across runs of ``runs.parquet``, outcome means per sweep point, and small
tables (sensitivity indices, study findings) in full. Every piece of text from the folder is
HTML-escaped; the file needs no server and no network.

Numbers are plain (integers whole, no thousands separators); the scenario lists only the fields
that apply (a uniform distribution's bounds, not its unused mean); tables scroll sideways on a
narrow page instead of widening it; and any quantile band drawn from fewer than
:data:`~abm.figures.compare.FEW_RUNS` runs carries a caveat.

:func:`build_comparison` sets two or more folders side by side (``abm report A B``), as users of
BehaviorSpace or the EMA workbench compare policies: the settings that differ, each outcome's
mean and 5–95 % range per folder, the difference from the first folder with its 95 % interval,
and figures of the outcomes and of the time paths.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abm.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

#: Tables up to this many rows are shown whole; longer ones as their first rows.
FULL_TABLE_ROWS = 40
#: Observables shown first when present (the rest follow).
KEY_OBSERVABLES = (
    "participation",
    "mean_openness",
    "open_share",
    "share_comply",
    "share_pay",
    "share_abstain",
    "penalties_paid",
    "welfare",
    "hhi",
    "mean_alpha1",
    "closed_mean_compute",
)
_IDS = ("run_id", "point", "replication", "seed", "step")

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.7em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:1.8em}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#eef4fa}td.text,th.text{text-align:left}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{color:#555;font-size:.9em}pre{background:#f6f6f6;padding:.8em;overflow-x:auto;
font-size:.85em}details{margin:.6em 0}.note{color:#666}.caveat{color:#8a4b00}
td.text{overflow-wrap:anywhere}
@media (max-width:700px){body{margin:1em auto}table{font-size:.8em}}
"""


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}"
    return str(value)


def html_table(frame: pd.DataFrame, *, index: bool = False) -> str:
    """An HTML table of ``frame`` with escaped cells and numbers to 4 significant digits."""
    import numpy as np
    from pandas.api.types import is_numeric_dtype

    if index:
        frame = frame.reset_index()
    head = "".join(
        f'<th class="{"" if is_numeric_dtype(frame[c]) else "text"}">{_escape(c)}</th>'
        for c in frame.columns
    )
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            if isinstance(value, np.generic):
                value = value.item()
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append(f'<td class="{"" if numeric else "text"}">{_escape(_number(value))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _ordered(columns: list[str]) -> list[str]:
    first = [c for c in KEY_OBSERVABLES if c in columns]
    return first + [c for c in columns if c not in first]


def _numeric(frame: pd.DataFrame) -> list[str]:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return [
        c
        for c in frame.columns
        if c not in _IDS and is_numeric_dtype(frame[c]) and not is_bool_dtype(frame[c])
    ]


def _caveat(runs: int, what: str = "5 % and 95 % columns") -> str:
    """A caveat paragraph when a band rests on fewer than ``FEW_RUNS`` runs (else nothing)."""
    from abm.figures.compare import FEW_RUNS

    if not 1 < runs < FEW_RUNS:
        return ""
    text = (
        f"Caveat ({what}): only {runs} runs, fewer than {FEW_RUNS}, so the 5 % and 95 % edges "
        "rest on one or two runs and will move with more replications."
    )
    return f'<p class="caveat">{_escape(text)}</p>'


def _band_runs(folder: Path, tables: list[Path]) -> dict[str, int]:
    """Runs behind each banded figure: the fan chart's runs, the sweep's runs per point."""
    import pandas as pd

    counts: dict[str, int] = {}
    runs_file = folder / "runs.parquet"
    if runs_file in tables:
        runs = pd.read_parquet(runs_file, columns=None)
        ok = runs[runs["status"] == "ok"] if "status" in runs else runs
        counts["fan_chart.png"] = len(ok)
        if "point" in ok and len(ok):
            counts["sweep.png"] = int(ok.groupby("point").size().min())
    return counts


def _runs_summary(runs: pd.DataFrame) -> list[tuple[str, str]]:
    """Quantiles across runs; with several parameter points, the means per point too."""
    sections = []
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    failed = len(runs) - len(ok)
    columns = _ordered(_numeric(ok))
    if columns and len(ok):
        stats = ok[columns].describe(percentiles=[0.05, 0.5, 0.95]).T
        stats = stats[["count", "mean", "std", "5%", "50%", "95%"]]
        stats.index.name = "observable"
        note = f"{len(ok)} runs ok, {failed} failed. Each run: mean over the summary window."
        sections.append(
            (
                "Across runs (runs.parquet)",
                f'<p class="note">{_escape(note)}</p>'
                + html_table(stats, index=True)
                + _caveat(len(ok)),
            )
        )
    if "point" in ok and ok["point"].nunique() > 1:
        from abm.experiments.simulate import observables

        measured = set(observables())
        parameters = [c for c in ok.columns if c not in (*_IDS, "status", "error", *measured)]
        shown = [c for c in columns if c in measured and c not in parameters][:6]
        keys = ["point", *parameters]
        means = ok.groupby(keys, dropna=False)[shown].mean().reset_index()
        sections.append(
            (
                "Per parameter point (mean over replications)",
                html_table(means.head(FULL_TABLE_ROWS))
                + (
                    f'<p class="note">first {FULL_TABLE_ROWS} of {len(means)} points</p>'
                    if len(means) > FULL_TABLE_ROWS
                    else ""
                ),
            )
        )
    return sections


def _timeseries_summary(path: Path) -> tuple[str, str]:
    import pandas as pd

    series = pd.read_parquet(path)
    columns = _ordered(_numeric(series))
    if "run_id" in series and series["run_id"].nunique() > 1:
        last = series[series["step"] == series["step"].max()]
        stats = last[columns].describe(percentiles=[0.05, 0.5, 0.95]).T
        stats = stats[["mean", "5%", "50%", "95%"]]
        stats.index.name = "observable"
        text = (
            f"Last period (step {int(series['step'].max())}) across "
            f"{series['run_id'].nunique()} runs."
        )
        return "Final period (timeseries.parquet)", (
            f'<p class="note">{_escape(text)}</p>'
            + html_table(stats, index=True)
            + _caveat(series["run_id"].nunique())
        )
    first, last = series.iloc[0], series.iloc[-1]
    table = pd.DataFrame(
        {
            "observable": columns,
            "first period": [first[c] for c in columns],
            "last period": [last[c] for c in columns],
            "mean": [series[c].mean() for c in columns],
        }
    )
    text = f"{len(series)} periods."
    return "Time series (timeseries.parquet)", f'<p class="note">{text}</p>' + html_table(table)


def _other_table(path: Path) -> tuple[str, str]:
    import pandas as pd

    frame = pd.read_parquet(path)
    shown = frame.head(FULL_TABLE_ROWS)
    note = (
        f'<p class="note">first {FULL_TABLE_ROWS} of {len(frame)} rows</p>'
        if len(frame) > FULL_TABLE_ROWS
        else ""
    )
    return f"Table {path.name}", html_table(shown) + note


def _finite(value: Any) -> bool:
    try:
        return abs(float(value)) != float("inf")
    except (TypeError, ValueError):
        return False


def _distribution(spec: dict[str, Any]) -> Any:
    """Only the fields of a distribution that its kind uses (a constant: its value)."""
    kind = spec.get("kind")
    if kind == "constant":
        return spec.get("value")
    if kind == "uniform":
        return {"kind": kind, "low": spec.get("low"), "high": spec.get("high")}
    if kind == "list":
        return {"kind": kind, "values": spec.get("values")}
    used = {"kind": kind, "mean": spec.get("mean"), "sd": spec.get("sd")}
    used.update({bound: spec[bound] for bound in ("low", "high") if _finite(spec.get(bound))})
    return used


#: Regulator fields that apply in each mode.
_REGULATOR = {
    "static": ("mode", "theta", "penalty"),
    "schedule": ("mode", "schedule"),
    "adaptive": ("mode", "theta", "penalty", "lever", "target_open_share", "gain", "lever_max"),
}


def applicable(data: Any) -> Any:
    """A resolved market block with only the fields that apply.

    Distributions keep their kind's fields (a uniform α0 shows low and high, not an unused mean
    of 0 or a low of −inf; a constant is its value); the regulator keeps its mode's fields;
    the exogenous frontier's fields go when the frontier is endogenous and the reverse; Model
    III's settings go when no firm has in-house applications; empty lists and
    ``agent_every = 0`` go.
    """
    if isinstance(data, list):
        return [applicable(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "kind" in data and "values" in data:
        return _distribution(data)
    out = {key: applicable(value) for key, value in data.items() if value != []}
    regulator = out.get("regulator")
    if isinstance(regulator, dict) and regulator.get("mode") in _REGULATOR:
        keep = _REGULATOR[regulator["mode"]]
        out["regulator"] = {key: value for key, value in regulator.items() if key in keep}
    frontier = out.get("frontier")
    if isinstance(frontier, dict) and "mode" in frontier:
        if frontier["mode"] == "endogenous":
            drop = {"compute", "catchup_compute", "catchup_period"}
        else:
            drop = {"value_per_alpha", "floor_compute"}
            if not frontier.get("catchup_compute"):
                drop |= {"catchup_compute", "catchup_period"}
        out["frontier"] = {key: value for key, value in frontier.items() if key not in drop}
    firm_size = out.get("firm_size")
    if isinstance(firm_size, dict) and firm_size.get("in_house") == 0:
        out["firm_size"] = {"in_house": firm_size["in_house"]}
    if out.get("agent_every") == 0:  # no agent snapshots: the setting says nothing
        del out["agent_every"]
    return out


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        items: list[tuple[str, Any]] = []
        for key, value in data.items():
            items += _flatten(value, f"{prefix}{key}.")
        return items
    return [(prefix.rstrip("."), data)]


def _key_value(pairs: list[tuple[str, Any]]) -> str:
    rows = "".join(
        f'<tr><th class="text">{_escape(key)}</th>'
        f'<td class="text">{_escape(_number(value) if not isinstance(value, (list, dict)) else json.dumps(value))}</td></tr>'  # noqa: E501
        for key, value in pairs
    )
    return f'<div class="scroll"><table><tbody>{rows}</tbody></table></div>'


def _manifest_section(manifest: dict[str, Any]) -> str:
    timings = manifest.get("timings", {})
    versions = manifest.get("versions", {}) or {}
    pairs = [
        ("command", manifest.get("command")),
        ("seed", manifest.get("seed")),
        ("git commit", manifest.get("git_commit")),
        ("started", timings.get("started_at")),
        ("wall time (s)", timings.get("wall_seconds")),
        ("platform", (manifest.get("platform") or {}).get("system")),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items() if v)),
        ("command line", " ".join(str(a) for a in manifest.get("argv", []))),
    ]
    body = _key_value([(k, v) for k, v in pairs if v not in (None, "")])
    parameters = manifest.get("parameters", {})
    scenario = parameters.get("scenario") if isinstance(parameters, dict) else None
    if isinstance(scenario, dict):
        summary = [
            ("name", scenario.get("name")),
            ("description", scenario.get("description")),
            ("seed", scenario.get("seed")),
            ("periods", (scenario.get("horizon") or {}).get("steps")),
        ]
        market = applicable(scenario.get("market") or {})
        summary += [(f"market.{k}", v) for k, v in _flatten(market)]
        body += "<h3>Scenario</h3>" + _key_value([(k, v) for k, v in summary if v is not None])
    body += (
        "<details><summary>All parameters (manifest.json)</summary><pre>"
        + _escape(json.dumps(parameters, indent=2, default=str))
        + "</pre></details>"
    )
    return body


def _figure(path: Path, folder: Path, caveat: str = "") -> str:
    return _embed(path.read_bytes(), str(path.relative_to(folder)), caveat)


def _embed(png: bytes, caption: str, caveat: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img alt="{_escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_escape(caption)}</figcaption>{caveat}</figure>"
    )


def build_report(folder: str | Path, title: str | None = None) -> str:
    """The HTML text of the report on ``folder``.

    Args:
        folder: The output folder of ``abm run``, ``mc``, ``sweep``, ``sa`` or a study.
        title: Page title (default: the manifest's command and the folder's name).

    Raises:
        ParameterError: If ``folder`` is not a folder or holds neither a manifest nor tables.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"DIR must be an output folder, got {str(folder)!r} (not a folder)")
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    tables = sorted(p for p in folder.rglob("*.parquet") if "chunks" not in p.parts)
    figures = sorted(p for p in folder.rglob("*.png") if "chunks" not in p.parts)
    if not manifest and not tables and not figures:
        raise ParameterError(
            f"DIR must hold the output of abm run/mc/sweep/sa or a study, got {str(folder)!r} "
            "(no manifest.json, tables or figures)"
        )
    command = manifest.get("command", "output")
    heading = title or f"abm {command}: {folder.resolve().name}"
    sections: list[tuple[str, str]] = []
    findings = folder / "findings.json"
    if findings.exists():
        data = json.loads(findings.read_text())
        sections.append(("Findings", _key_value(_flatten(data))))
    import pandas as pd

    for path in tables:
        if path.name == "runs.parquet":
            sections += _runs_summary(pd.read_parquet(path))
        elif path.name == "timeseries.parquet":
            sections.append(_timeseries_summary(path))
        elif path.name == "agents.parquet":
            frame = pd.read_parquet(path, columns=["type"])
            counts = frame["type"].value_counts().rename_axis("agent type").reset_index()
            sections.append(("Agent records (agents.parquet)", html_table(counts)))
        else:
            sections.append(_other_table(path))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_escape(heading)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_escape(heading)}</h1>",
        f'<p class="note">Folder {_escape(folder.resolve())}; {len(figures)} figures, '
        f"{len(tables)} tables.</p>",
    ]
    if figures:
        parts.append("<h2>Figures</h2>")
        band_runs = _band_runs(folder, tables)
        what = {"fan_chart.png": "the band", "sweep.png": "the intervals, per point"}
        parts += [
            _figure(path, folder, _caveat(band_runs.get(path.name, 0), what.get(path.name, "")))
            for path in figures
        ]
    for name, body in sections:
        parts.append(f"<h2>{_escape(name)}</h2>{body}")
    if manifest:
        parts.append("<h2>Run record</h2>" + _manifest_section(manifest))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the report on ``folder`` to ``out`` (default ``folder/report.html``)."""
    from abm.io import write_text

    target = Path(out) if out is not None else Path(folder) / "report.html"
    return write_text(target, build_report(folder))


# --- comparing folders ------------------------------------------------------------------------


#: Observables drawn in the comparison's figures (those present in every folder).
COMPARED = (
    "open_share",
    "mean_openness",
    "participation",
    "share_pay",
    "penalties_paid",
    "welfare",
)


@dataclass
class Outputs:
    """What a comparison reads from one output folder.

    Attributes:
        label: The folder's name in tables and legends (unique within a comparison).
        path: The folder.
        manifest: Its ``manifest.json`` (empty if absent).
        runs: One row per run, one column per observable (a single run: the mean over the
            scenario's summary window).
        series: The time series (``step``, ``run_id`` when there are several runs, observables).
    """

    label: str
    path: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    series: pd.DataFrame


def read_outputs(folder: str | Path, label: str | None = None) -> Outputs:
    """Read one output folder for a comparison (raises ParameterError naming what is missing)."""
    import pandas as pd

    path = Path(folder)
    if not path.is_dir():
        raise ParameterError(f"DIR must be an output folder, got {str(path)!r} (not a folder)")
    manifest_path = path / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    runs_file, series_file = path / "runs.parquet", path / "timeseries.parquet"
    if not runs_file.exists() and not series_file.exists():
        raise ParameterError(
            f"DIR must hold runs.parquet or timeseries.parquet to be compared, got {str(path)!r}"
        )
    series = pd.read_parquet(series_file) if series_file.exists() else pd.DataFrame()
    if runs_file.exists():
        runs = pd.read_parquet(runs_file)
        if "status" in runs:
            runs = runs[runs["status"] == "ok"]
    else:
        scenario = (manifest.get("parameters") or {}).get("scenario") or {}
        window = int((scenario.get("output") or {}).get("summary_window", 10) or 10)
        runs = series.tail(window).mean(numeric_only=True).to_frame().T
    return Outputs(
        label or path.resolve().name, path, manifest, runs.reset_index(drop=True), series
    )


def _labels(folders: list[Path]) -> list[str]:
    names = [folder.resolve().name for folder in folders]
    if len(set(names)) == len(names):
        return names
    return [str(folder) for folder in folders]


def _settings(outputs: list[Outputs]) -> pd.DataFrame:
    """The settings that differ between the folders (the command, seed and size always)."""
    import pandas as pd

    rows: dict[str, dict[str, Any]] = {}
    for out in outputs:
        manifest = out.manifest
        scenario = (manifest.get("parameters") or {}).get("scenario") or {}
        pairs = [
            ("command", manifest.get("command", "")),
            ("scenario", scenario.get("name", "")),
            ("seed", manifest.get("seed", scenario.get("seed", ""))),
            ("runs", len(out.runs)),
            ("periods", int(out.series["step"].max()) if "step" in out.series else ""),
        ]
        pairs += [
            (f"market.{key}", value)
            for key, value in _flatten(applicable(scenario.get("market") or {}))
        ]
        for key, value in pairs:
            text = json.dumps(value) if isinstance(value, (list, dict)) else value
            rows.setdefault(key, {})[out.label] = text
    always = {"command", "scenario", "seed", "runs", "periods"}
    kept = {
        key: values
        for key, values in rows.items()
        if key in always or len({repr(values.get(out.label)) for out in outputs}) > 1
    }
    frame = pd.DataFrame.from_dict(kept, orient="index")
    frame.index.name = "setting"
    return frame.reindex(columns=[out.label for out in outputs]).fillna("–")


def _welch(a: Any, b: Any) -> tuple[float, float, float]:
    """Difference of means b − a and its 95 % Welch interval (NaN bounds below 2 runs each)."""
    import numpy as np
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) == 0 or len(b) == 0:  # an observable one folder never had (NaN in every run)
        return float("nan"), float("nan"), float("nan")
    difference = float(b.mean() - a.mean())
    if len(a) < 2 or len(b) < 2:
        return difference, float("nan"), float("nan")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0:
        return difference, difference, difference
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.975, dof)) * se
    return difference, difference - half, difference + half


def _outcome_table(outputs: list[Outputs], observables: list[str]) -> pd.DataFrame:
    """Per observable: each folder's mean [5 %, 95 %], and the difference from the first."""
    import numpy as np
    import pandas as pd

    first = outputs[0]
    table: dict[str, dict[str, str]] = {}
    for name in observables:
        row: dict[str, str] = {}
        for out in outputs:
            values = out.runs[name].dropna().to_numpy(float)
            if len(values) == 0:
                row[out.label] = "–"
            elif len(values) == 1:
                row[out.label] = _number(float(values[0]))
            else:
                low, high = np.quantile(values, [0.05, 0.95])
                row[out.label] = (
                    f"{_number(float(values.mean()))} [{_number(float(low))}, "
                    f"{_number(float(high))}]"
                )
        for out in outputs[1:]:
            difference, low, high = _welch(first.runs[name].dropna(), out.runs[name].dropna())
            if difference != difference:  # NaN: nothing to compare
                text = "–"
            elif low != low:  # NaN: too few runs for an interval
                text = _number(difference)
            else:
                apart = "" if low <= 0 <= high else " *"
                text = f"{_number(difference)} [{_number(low)}, {_number(high)}]{apart}"
            row[f"{out.label} − {first.label}"] = text
        table[name] = row
    frame = pd.DataFrame.from_dict(table, orient="index")
    frame.index.name = "observable"
    return frame


def _png(figure: Any) -> bytes:
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def build_comparison(folders: list[str | Path], title: str | None = None) -> str:
    """The HTML text of a side-by-side report on two or more output folders.

    Args:
        folders: Output folders of ``abm run``, ``mc``, ``sweep`` or ``sa`` (the first is the
            reference the others are compared with).
        title: Page title (default: the folders' names).

    Raises:
        ParameterError: With fewer than two folders, or a folder with nothing to compare.
    """
    from abm.figures.compare import few_runs_caveat, outcomes_figure, paths_figure

    paths = [Path(folder) for folder in folders]
    if len(paths) < 2:
        raise ParameterError(f"DIR must be given at least twice to compare, got {len(paths)}")
    outputs = [read_outputs(path, label) for path, label in zip(paths, _labels(paths), strict=True)]
    common = [
        name
        for name in _ordered(_numeric(outputs[0].runs))
        if all(name in out.runs for out in outputs) and name not in ("theta", "penalty")
    ]
    if not common:
        raise ParameterError("DIR folders share no observable to compare")
    heading = title or "Comparison: " + " vs ".join(out.label for out in outputs)
    counts = {out.label: len(out.runs) for out in outputs}
    caveat = few_runs_caveat(counts)
    caveat_html = f'<p class="caveat">{_escape(caveat)}</p>' if caveat else ""
    drawn = [name for name in COMPARED if name in common] or common[:6]
    pooled = [
        out.label for out in outputs if "point" in out.runs and out.runs["point"].nunique() > 1
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_escape(heading)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_escape(heading)}</h1>",
        '<p class="note">'
        + _escape("Folders: " + "; ".join(f"{out.label} = {out.path.resolve()}" for out in outputs))
        + "</p>",
        "<h2>Settings that differ</h2>",
        '<p class="note">The command, scenario, seed and size of each folder, then every '
        "market setting whose value is not the same in all of them.</p>",
        html_table(_settings(outputs), index=True),
        "<h2>Outcomes</h2>",
        '<p class="note">'
        + _escape(
            "Each run: mean over its summary window. Per folder: mean [5 %, 95 %] across runs. "
            f"Differences from {outputs[0].label}: mean [95 % Welch interval]; * marks an "
            "interval that excludes 0."
        )
        + "</p>",
        html_table(_outcome_table(outputs, common), index=True),
        caveat_html,
    ]
    if pooled:
        parts.append(
            '<p class="note">'
            + _escape(f"Sweeps ({', '.join(pooled)}): all parameter points pooled.")
            + "</p>"
        )
    parts.append("<h2>Figures</h2>")
    parts.append(
        _embed(
            _png(outcomes_figure({out.label: out.runs for out in outputs}, drawn, heading)),
            "outcomes per folder",
            caveat_html,
        )
    )
    series = {out.label: out.series for out in outputs if "step" in out.series}
    if len(series) == len(outputs):
        parts.append(_embed(_png(paths_figure(series, drawn[:4], heading)), "time paths"))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_comparison(folders: list[str | Path], out: str | Path) -> Path:
    """Write the comparison of ``folders`` to ``out``."""
    from abm.io import write_text

    return write_text(Path(out), build_comparison(folders))
