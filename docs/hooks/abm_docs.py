"""MkDocs hooks: the pages that are generated from the code, so that nothing is written twice.

- ``<!-- abm:scenario-blocks -->`` (docs/scenarios.md): the top-level, ``[horizon]``,
  ``[output]`` and ``[experiment]`` keys of a scenario file, from :mod:`abm.scenarios`' schema.
- ``<!-- abm:parameter-table -->`` (docs/scenarios.md): the ``[market]`` keys,
  :func:`abm.market.config.parameter_table`.
- ``<!-- abm:cli -->`` (docs/cli.md): every command and option, from the argparse parser
  :func:`abm.cli.build_parser`.
- ``<!-- abm:first-run -->`` (docs/getting-started.md): what ``abm run scenarios/baseline.toml``
  prints, with its figures, from a run made during the build.
- ``reference/``: one API page per module of ``abm`` (mkdocstrings), with its SUMMARY.md for
  mkdocs-literate-nav.
- ``scenario.schema.json``: the JSON Schema ``abm schema`` prints, to download.

Set ``ABM_DOCS_FIRST_RUN=0`` to skip the first run (a placeholder is shown instead).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import os
import pkgutil
import re
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]

#: Modules left out of the API reference: ``__main__`` only calls :func:`abm.cli.main`.
SKIPPED = ("abm.__main__",)

_first_run: dict[str, Any] = {}


# --- the API reference ----------------------------------------------------------------------


def _modules() -> list[str]:
    """Every public module of the ``abm`` package, in import order."""
    import abm

    names = ["abm"]
    for info in pkgutil.walk_packages(abm.__path__, "abm."):
        name = info.name
        if any(part.startswith("_") for part in name.split(".")):
            continue
        if name in SKIPPED:
            continue
        names.append(name)
    return sorted(names)


def _reference_files(config: Any) -> list[File]:
    """One page per module (a package's page is its folder's index), and the nav's SUMMARY.md."""
    import importlib.util

    files, summary = [], []
    for name in _modules():
        spec = importlib.util.find_spec(name)
        package = spec is not None and spec.submodule_search_locations is not None
        path = name.replace(".", "/") + ("/index.md" if package else ".md")
        page = f"---\ntitle: {name}\n---\n\n::: {name}\n"
        files.append(File.generated(config, f"reference/{path}", content=page))
        summary.append(f"{'    ' * name.count('.')}* [{name}]({path})")
    files.append(File.generated(config, "reference/SUMMARY.md", content="\n".join(summary) + "\n"))
    return files


# --- the scenario file ----------------------------------------------------------------------


def _cell(text: Any) -> str:
    """Text for a Markdown table cell: no pipes, no newlines, no HTML."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def _default(info: Any) -> str:
    from pydantic_core import PydanticUndefined

    from abm.schema import default_of

    value = default_of(info)
    if value is PydanticUndefined:
        return "the file's stem"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value!r}`"
    return f"`{value}`"


def scenario_blocks() -> str:
    """The scenario file's keys outside ``[market]``, one table per block."""
    from abm.scenarios import Scenario
    from abm.schema import Schema, accepted, scalar_type

    def table(model: type[Schema], prefix: str) -> str:
        rows = ["| key | default | accepted | meaning |", "|---|---|---|---|"]
        for name, info in model.model_fields.items():
            base = scalar_type(info.annotation)
            if name == "source" or (isinstance(base, type) and issubclass(base, Schema)):
                continue
            if name == "market":
                continue
            what = "a table" if str(info.annotation).startswith("dict") else None
            what = what or accepted(info.annotation, info)
            rows.append(
                f"| `{prefix}{name}` | {_default(info)} | {_cell(what)} | "
                f"{_cell(info.description or '')} |"
            )
        return "\n".join(rows) + "\n"

    parts = ["### Top level\n", table(Scenario, "")]
    for name, info in Scenario.model_fields.items():
        base = scalar_type(info.annotation)
        if isinstance(base, type) and issubclass(base, Schema):
            parts.append(f"\n### `[{name}]`: {info.description}\n")
            parts.append(table(base, ""))
    return "\n".join(parts)


# --- the command line -----------------------------------------------------------------------


def _flags(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    metavar = ""
    if action.nargs != 0:
        shown = action.metavar or action.dest.upper()
        metavar = " " + (" ".join(shown) if isinstance(shown, tuple) else shown)
    return ", ".join(f"`{flag}{metavar}`" for flag in action.option_strings)


def _options(parser: argparse.ArgumentParser) -> str:
    formatter = parser._get_formatter()
    out = []
    for group in parser._action_groups:
        actions = [
            a
            for a in group._group_actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
            and a.help != argparse.SUPPRESS
        ]
        if not actions:
            continue
        out.append(f"\n*{group.title}*\n\n| option | meaning |\n|---|---|")
        for action in actions:
            text = formatter._expand_help(action) if action.help else ""
            for empty in (" (default: None)", " (default: False)"):
                text = text.removesuffix(empty)
            if action.choices and not isinstance(action, argparse._SubParsersAction):
                choices = ", ".join(f"`{c}`" for c in action.choices)
                text = f"{text} (one of {choices})" if "{" not in text else text
            out.append(f"| {_flags(action)} | {_cell(text)} |")
    return "\n".join(out) + "\n"


def cli_reference() -> str:
    """Every ``abm`` command: its description, usage and options, from the parser itself."""
    from abm.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in subparsers._choices_actions}
    lines = ["| command | what it does |", "|---|---|"]
    lines += [f"| [`abm {name}`](#abm-{name}) | {_cell(helps[name])} |" for name in helps]
    parts = ["\n".join(lines) + "\n"]
    # the options every command takes, given before its name (`abm --max-memory 8G run …`)
    parts.append("\n## Options of `abm` itself {#abm}\n")
    parts.append(_options(parser))
    for name, sub in subparsers.choices.items():
        usage = sub.format_usage().strip().removeprefix("usage: ")
        parts.append(f"\n## `abm {name}` {{#abm-{name}}}\n")
        parts.append(_cell(sub.description or helps[name]).replace("\\|", "|") + "\n")
        parts.append(f"```text\n{usage}\n```\n")
        parts.append(_options(sub))
    return "\n".join(parts)


# --- the first run --------------------------------------------------------------------------


def _run_baseline(config: Any) -> list[File]:
    """Run ``abm run scenarios/baseline.toml`` once; keep what it printed and its figures."""
    if os.environ.get("ABM_DOCS_FIRST_RUN", "1") == "0":
        _first_run["printed"] = None
        return []
    from abm.cli import main

    with tempfile.TemporaryDirectory(prefix="abm-docs-") as folder:
        out = Path(folder) / "baseline"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
            code = main(["run", str(ROOT / "scenarios" / "baseline.toml"), "--out", str(out)])
        if code != 0:
            raise RuntimeError(f"abm run scenarios/baseline.toml exited with {code}")
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        figures = {png.name: png.read_bytes() for png in sorted(out.glob("*.png"))}
        _first_run.update(
            printed=printed.getvalue().replace(str(out), "results/baseline"),
            files=sorted(p.name for p in out.iterdir() if not p.name.startswith(".")),
            manifest=sorted(manifest),
            figures=sorted(figures),
        )
    return [
        File.generated(config, f"getting-started/{name}", content=content)
        for name, content in figures.items()
    ]


def first_run() -> str:
    """What the first command prints and writes, from the run made during the build."""
    if _first_run.get("printed") is None:
        return "*(The first run was skipped in this build: `ABM_DOCS_FIRST_RUN=0`.)*\n"
    figures = "\n\n".join(
        f"![{name} of the baseline run](getting-started/{name})" for name in _first_run["figures"]
    )
    files = ", ".join(f"`{name}`" for name in _first_run["files"])
    keys = ", ".join(f"`{key}`" for key in _first_run["manifest"])
    return (
        f"It prints (this run was made while this site was built):\n\n"
        f"```text\n{_first_run['printed'].strip()}\n```\n\n"
        f"and writes {files} into `results/baseline/`; the manifest's keys are {keys}.\n\n"
        f"{figures}\n"
    )


# --- hooks ----------------------------------------------------------------------------------


def on_files(files: Files, config: Any) -> Files:
    """Add the generated pages and files."""
    from abm.scenarios import scenario_schema

    for file in _reference_files(config):
        files.append(file)
    schema = json.dumps(scenario_schema(), indent=2, ensure_ascii=False) + "\n"
    files.append(File.generated(config, "scenario.schema.json", content=schema))
    for file in _run_baseline(config):
        files.append(file)
    return files


MARKERS = {
    "<!-- abm:scenario-blocks -->": scenario_blocks,
    "<!-- abm:parameter-table -->": lambda: __import__(
        "abm.market.config", fromlist=["parameter_table"]
    ).parameter_table(),
    "<!-- abm:rule-names -->": lambda: ", ".join(
        f"`{name}`" for name in __import__("abm.learning", fromlist=["rule_names"]).rule_names()
    ),
    "<!-- abm:cli -->": cli_reference,
    "<!-- abm:first-run -->": first_run,
}


#: A code span in a table row: GitHub needs its pipes escaped, Python-Markdown shows them as typed.
CODE_SPAN = re.compile(r"`[^`\n]*`")


def _table_code_pipes(markdown: str) -> str:
    """Unescape the escaped pipes in the code spans of table rows (kept whole by Markdown)."""
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("|") and "\\|" in line:
            lines[i] = CODE_SPAN.sub(lambda m: m.group(0).replace("\\|", "|"), line)
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Replace each generation marker with what it stands for."""
    for marker, make in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return _table_code_pipes(markdown)
