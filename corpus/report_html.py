"""Render a `Report` as one self-contained HTML file, or as Markdown with PNG files.

The HTML has no external references: styles are inline and figures are
``data:image/png;base64`` images, so it can be mailed or opened offline.
"""
from __future__ import annotations

import base64
import html
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from corpus.atomic import atomic_path, write_text_atomic

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta{color:#666;font-size:.9em} .note{color:#555;font-size:.9em} .omitted{color:#8a5a00;background:#fff7e6;padding:.4em .6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em} th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f6f8} td:first-child,th:first-child{text-align:left} img{max-width:100%;height:auto;display:block}
nav a{margin-right:1em}
"""


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}".rstrip("0").rstrip(".")
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def _table_html(columns, rows) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>Quality report: {html.escape(Path(report.input).name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Quality report: {html.escape(Path(report.input).name)}</h1>",
             f"<p class='meta'>{html.escape(report.input)} · generated {now} by <code>corpus report</code></p>",
             "<nav>" + "".join(f"<a href='#{s.key}'>{html.escape(s.title)}</a>" for s in report.sections) + "</nav>"]
    for s in report.sections:
        parts.append(f"<section id='{s.key}'><h2>{html.escape(s.title)}</h2>")
        if s.omitted:
            parts.append(f"<p class='omitted'>Omitted: {html.escape(s.omitted)}.</p></section>")
            continue
        if s.png:
            b64 = base64.b64encode(s.png).decode("ascii")
            parts.append(f"<img class='plot' alt='{html.escape(s.title)}' src='data:image/png;base64,{b64}'>")
        if s.note:
            parts.append(f"<p class='note'>{html.escape(s.note)}</p>")
        if s.rows:
            parts.append(_table_html(s.columns, s.rows))
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_html(report, path: str | os.PathLike) -> Path:
    return write_text_atomic(path, render_html(report))


def _md_cell(v: Any) -> str:
    return _cell(v).replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def render_markdown(report, figures_dir: str) -> str:
    lines = [f"# Quality report: {Path(report.input).name}", ""]
    for s in report.sections:
        lines += [f"## {s.title}", ""]  # titles are ours: no escaping needed
        if s.omitted:
            lines += [f"_Omitted: {s.omitted}._", ""]
            continue
        if s.png:
            lines += [f"![{s.title}]({figures_dir}/{s.key}.png)", ""]
        if s.note:
            lines += [s.note, ""]
        if s.rows:
            lines.append("| " + " | ".join(s.columns) + " |")
            lines.append("|" + "|".join("---" for _ in s.columns) + "|")
            lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in s.rows]
            lines.append("")
    return "\n".join(lines)


def write_markdown(report, path: str | os.PathLike) -> Path:
    """`path` (.md) plus its figures in `<stem>_figures/`, linked relatively."""
    path = Path(path)
    figures = path.parent / f"{path.stem}_figures"
    figures.mkdir(parents=True, exist_ok=True)
    for s in report.figures:
        with atomic_path(figures / f"{s.key}.png") as tmp:
            tmp.write_bytes(s.png)
    return write_text_atomic(path, render_markdown(report, figures.name))
