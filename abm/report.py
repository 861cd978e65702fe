"""One self-contained HTML report of an output folder (``abm run``/``mc``/``sweep``/``sa``/study).

The page embeds every PNG figure as base64, summarises ``manifest.json`` (command, seed,
versions, timings) and the scenario, and turns the tables into key numbers: the last period of
one run, quantiles across runs of ``runs.parquet``, outcome means per sweep point, and small
tables (sensitivity indices, study findings) in full. Every piece of text from the folder is
HTML-escaped; the file needs no server and no network.
"""

from __future__ import annotations

import base64
import html
import json
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
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#eef4fa}td.text,th.text{text-align:left}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{color:#555;font-size:.9em}pre{background:#f6f6f6;padding:.8em;overflow-x:auto;
font-size:.85em}details{margin:.6em 0}.note{color:#666}
"""


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
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
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


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
                f'<p class="note">{_escape(note)}</p>' + html_table(stats, index=True),
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
            f'<p class="note">{_escape(text)}</p>' + html_table(stats, index=True)
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
    return f"<table><tbody>{rows}</tbody></table>"


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
        market = scenario.get("market") or {}
        summary += [(f"market.{k}", v) for k, v in _flatten(market)][:60]
        body += "<h3>Scenario</h3>" + _key_value([(k, v) for k, v in summary if v is not None])
    body += (
        "<details><summary>All parameters (manifest.json)</summary><pre>"
        + _escape(json.dumps(parameters, indent=2, default=str))
        + "</pre></details>"
    )
    return body


def _figure(path: Path, folder: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = str(path.relative_to(folder))
    return (
        f'<figure><img alt="{_escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_escape(caption)}</figcaption></figure>"
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
        parts += [_figure(path, folder) for path in figures]
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
