"""`corpus report`: one self-contained HTML quality report (and optionally Markdown + PNGs).

DuckDB reads the corpus once into a small temp table (per-record counts, scores
and per-turn lengths, no text), and every figure and table is computed from it.
Figures are PNGs inlined as base64, so the HTML opens anywhere without network.
A section whose data is absent (no meta scores, no rejects, no translate stats)
is listed with the reason instead of an empty or broken plot.

Example:
    >>> build_report("train.json", "report.html", stats=["translate.stats.json"])  # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from corpus.errors import UnusableInput, UsageError

TM_KEYS = ("segments_total", "segments_unique", "memory_hits", "engine_calls")


@dataclass
class Section:
    key: str
    title: str
    png: bytes | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    omitted: str = ""  # why the section has no data; empty when it has


@dataclass
class Report:
    input: str
    sections: list[Section]
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[Section]:
        return [s for s in self.sections if s.png]


def read_stats(paths: Iterable[str | os.PathLike]) -> list[tuple[str, dict]]:
    out = []
    for p in paths:
        try:
            doc = json.loads(Path(p).read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise UnusableInput(p, "json", f"not a stats JSON: {e.msg}", f"line {e.lineno}") from None
        if not isinstance(doc, dict):
            raise UnusableInput(p, "schema", "a stats file holds one JSON object")
        out.append((Path(p).name, doc))
    return out


def _pct(values, qs=(0.1, 0.5, 0.9, 0.99)) -> list[Any]:
    import numpy as np

    if not len(values):
        return [0, "", "", "", "", "", ""]
    p = np.quantile(values, qs, method="inverted_cdf")
    return [f"{len(values):,}", round(float(values.mean()), 1), *(int(x) for x in p), int(values.max())]


def _collect(corpus) -> dict[str, Any]:
    """One pass over the input: per-record numbers and per-turn lengths, no text."""
    cat = corpus.catalog
    cols = ["n_turns", "image", "placeholders",
            "list_transform(conversations, lambda t: {'role': t.\"from\", 'chars': length(t.value)}) AS tl"]
    cols += [c for c in ("lang_score", "variant_ptbr", "lang_label") if cat.has(f"records.{c}")]
    if cat.has_source:
        cols.append("list_transform(source_conversations, lambda t: length(t.value)) AS sl")
    corpus.execute(f"CREATE OR REPLACE TEMP TABLE _rep AS SELECT {', '.join(cols)} FROM records")
    con = corpus.con
    data: dict[str, Any] = {"catalog": cat}
    data["overview"] = con.execute("""SELECT count(*), CAST(coalesce(sum(n_turns), 0) AS BIGINT),
        CAST(coalesce(sum(list_sum(list_transform(tl, lambda t: t.chars))), 0) AS BIGINT), count(image),
        count(*) - count(image), count(DISTINCT image), CAST(coalesce(sum(placeholders), 0) AS BIGINT) FROM _rep""").fetchone()
    turns = con.execute("SELECT t.role AS role, t.chars AS chars FROM (SELECT unnest(tl) AS t FROM _rep)").fetchnumpy()
    data["turns"] = turns
    data["turns_per_record"] = con.execute("SELECT n_turns, count(*) FROM _rep GROUP BY 1 ORDER BY 1").fetchall()
    if cat.has_source:
        data["source_chars"] = con.execute(
            "SELECT unnest(sl) AS c FROM _rep WHERE sl IS NOT NULL").fetchnumpy()["c"]
        data["translated_chars"] = con.execute(
            "SELECT t.chars AS c FROM (SELECT unnest(tl) AS t FROM _rep WHERE sl IS NOT NULL)").fetchnumpy()["c"]
    for c in ("lang_score", "variant_ptbr"):
        if cat.has(f"records.{c}"):
            data[c] = con.execute(f"SELECT {c}::DOUBLE AS v FROM _rep WHERE {c} IS NOT NULL").fetchnumpy()["v"]
    if cat.has("records.lang_label"):
        data["lang_labels"] = con.execute(
            "SELECT lang_label, count(*), round(avg(lang_score), 3) FROM _rep GROUP BY 1 ORDER BY 2 DESC LIMIT 20"
            if cat.has("records.lang_score") else
            "SELECT lang_label, count(*), NULL FROM _rep GROUP BY 1 ORDER BY 2 DESC LIMIT 20").fetchall()
    if cat.has("rejects"):
        data["rejects"] = con.execute(
            "SELECT coalesce(reason, '(none)'), count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    return data


def _length_section(data) -> Section:
    from corpus import report_plots as plots

    s = Section("turn_lengths", "Turn lengths", columns=["series", "turns", "mean", "p10", "p50", "p90", "p99", "max"])
    if "source_chars" in data and len(data["source_chars"]):
        series = {"source": data["source_chars"], "pt-BR": data["translated_chars"]}
        s.title = "Turn lengths: source vs pt-BR"
        s.note = "Characters per turn, source text (kept by translate --keep-source) against its translation."
    else:
        roles, chars = data["turns"]["role"], data["turns"]["chars"]
        series = {str(r): chars[roles == r] for r in sorted(set(roles.tolist()), key=str)}
        s.note = "Characters per turn by role. Source vs pt-BR needs `corpus translate --keep-source`."
    if not any(len(v) for v in series.values()):
        s.omitted = "the corpus has no turns"
        return s
    s.rows = [[label, *_pct(v)] for label, v in series.items()]
    s.png = plots.length_histogram({k: v for k, v in series.items() if len(v)}, s.title)
    return s


def _score_section(data, key: str, title: str, xlabel: str, hint: str) -> Section:
    from corpus import report_plots as plots
    import numpy as np

    s = Section(key, title, columns=["bin", "records", "%"])
    values = data.get(key)
    if values is None or not len(values):
        s.omitted = f"no meta.{key} in the input ({hint})"
        return s
    counts, edges = np.histogram(np.clip(values, 0, 1), bins=np.linspace(0, 1, 11))
    s.rows = [[f"{edges[i]:.1f}–{edges[i + 1]:.1f}", int(n), round(100 * n / len(values), 2)]
              for i, n in enumerate(counts)]
    s.png = plots.score_histogram(values, title, xlabel)
    s.note = f"mean {values.mean():.3f}, median {np.median(values):.3f}, below 0.5: {int((values < 0.5).sum()):,}"
    return s


def _turns_section(data) -> Section:
    from corpus import report_plots as plots

    s = Section("turns_per_record", "Turns per record", columns=["turns", "records", "%"])
    rows = data["turns_per_record"]
    total = sum(n for _, n in rows)
    if not total:
        s.omitted = "the corpus has no records"
        return s
    s.rows = [[t, n, round(100 * n / total, 2)] for t, n in rows]
    s.png = plots.bars([r[0] for r in rows], [r[1] for r in rows], s.title, "turns in the record")
    odd = sum(n for t, n in rows if t % 2)
    s.note = f"{odd:,} records have an odd number of turns (a question without an answer)." if odd else ""
    return s


def _rejects_section(data, stats) -> Section:
    from corpus import report_plots as plots

    s = Section("rejects", "Rejects by reason", columns=["reason", "records", "%"])
    rows = data.get("rejects")
    if rows is None:  # no rejects file: fall back on the stats files' counts
        merged: dict[str, int] = {}
        for _, doc in stats:
            for reason, n in (doc.get("rejected_by_reason") or {}).items():
                merged[reason] = merged.get(reason, 0) + int(n)
        rows = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        if rows:
            s.note = "From the stats files' rejected_by_reason (no --rejects file given)."
    if not rows:
        s.omitted = "no rejects (give --rejects FILE, or stats files with rejected_by_reason)"
        return s
    total = sum(n for _, n in rows)
    s.rows = [[r, n, round(100 * n / total, 2)] for r, n in rows]
    s.png = plots.bars([r for r, _ in rows[:25]], [n for _, n in rows[:25]], s.title, "records", horizontal=True)
    return s


def _memory_section(stats) -> Section:
    from corpus import report_plots as plots

    s = Section("translation_memory", "Translation memory hits vs engine calls",
                columns=["stats file", *TM_KEYS, "hit rate %"])
    docs = [(name, doc) for name, doc in stats if "memory_hits" in doc and "engine_calls" in doc]
    if not docs:
        s.omitted = "no translate stats (give --stats with a translate stats JSON: memory_hits, engine_calls)"
        return s
    for name, doc in docs:
        hits, calls = int(doc.get("memory_hits") or 0), int(doc.get("engine_calls") or 0)
        s.rows.append([name, *(doc.get(k, "") for k in TM_KEYS), round(100 * hits / (hits + calls), 2) if hits + calls else ""])
    series = {k: [float(doc.get(k) or 0) for _, doc in docs] for k in TM_KEYS}
    s.png = plots.grouped_bars([n for n, _ in docs], series, s.title, "segments")
    s.note = "memory_hits: segments served from the translation memory; engine_calls: segments sent to the engine."
    return s


def _pipeline_section(stats) -> Section:
    s = Section("pipeline", "Pipeline stats",
                columns=["stats file", "command", "records_in", "records_out", "rejected", "seconds"])
    if not stats:
        s.omitted = "no --stats files given"
        return s
    s.rows = [[name, doc.get("command", ""), doc.get("records_in", ""), doc.get("records_out", ""),
               doc.get("rejected", ""), doc.get("seconds", "")] for name, doc in stats]
    return s


def sections(corpus, stats: list[tuple[str, dict]]) -> list[Section]:
    data = _collect(corpus)
    ov = data["overview"]
    overview = Section("overview", "Overview", columns=["measure", "value"], rows=[
        [k, f"{v:,}"] for k, v in zip(("records", "turns", "characters", "records with image", "text-only records",
                                       "unique images", "<image> placeholders"), ov)])
    out = [overview, _length_section(data), _turns_section(data),
           _score_section(data, "lang_score", "Language score", "meta.lang_score (target-language probability)",
                          "language scoring in `corpus filter` writes it"),
           _score_section(data, "variant_ptbr", "pt-BR variant score", "meta.variant_ptbr (pt-BR probability)",
                          "the pt-BR variant filter writes it")]
    if data.get("lang_labels"):
        out.append(Section("lang_labels", "Detected languages", columns=["label", "records", "mean score"],
                           rows=[list(r) for r in data["lang_labels"]]))
    out += [_rejects_section(data, stats), _memory_section(stats), _pipeline_section(stats)]
    return out


def build_report(input: str | os.PathLike, output: str | os.PathLike, *, rejects: str | os.PathLike | None = None,
                 stats: Iterable[str | os.PathLike] = (), markdown: bool = False,
                 on_step: Callable[[str], None] | None = None) -> Report:
    """Write the HTML report (and, with `markdown`, `<stem>.md` + `<stem>_figures/*.png`)."""
    from corpus.query import open_corpus
    from corpus.report_html import write_html, write_markdown

    if Path(output).suffix.lower() not in (".html", ".htm", ".md"):
        raise UsageError(f"{output}: the report is .html (or .md for Markdown with PNG figures)")
    t0 = time.perf_counter()
    step = on_step or (lambda _: None)
    stats_docs = read_stats(stats)
    step("reading the corpus")
    with open_corpus([input], rejects) as corpus:
        secs = sections(corpus, stats_docs)
    report = Report(str(input), secs)
    step("writing the report")
    output = Path(output)
    if output.suffix.lower() != ".md":
        report.outputs.append(str(write_html(report, output)))
    if markdown or output.suffix.lower() == ".md":
        report.outputs.append(str(write_markdown(report, output.with_suffix(".md"))))
    report.seconds = time.perf_counter() - t0
    return report
