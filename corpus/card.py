"""The dataset card: YAML metadata (`DatasetCardData`) + a Jinja body from ``corpus.cards``.

The body says how the data was made using only what the stats JSON files say
(each stage's counts, engine, thresholds, drops by reason) and figures computed
on the shards themselves; a number that is not in a stats file or in the data
is never printed. Starting from the stats files given, the stats of each
stage's input are found and added (``x.jsonl`` -> ``x.jsonl.stats.json`` or
``x.stats.json``; a split folder -> ``split.stats.json``), so a card built at
the end of a pipeline describes the whole pipeline.

Re-generating keeps what the user edited in the YAML: the card carries a
snapshot of the metadata it generated (an HTML comment at its end); a field
whose current value differs from that snapshot, or that was added or deleted
by hand, is left as the user has it. Options given explicitly (``--license``)
always apply.

Example:
    write_card("out/llava-ptbr", ["out/filtered.jsonl.stats.json"], license="cc-by-nc-4.0")
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterable

from corpus import __version__
from corpus.atomic import write_text_atomic
from corpus.errors import UnusableInput

TEMPLATE = "dataset_card.md.j2"
DEFAULT_LICENSE = "cc-by-nc-4.0"
TASKS = ["visual-question-answering", "image-text-to-text"]
SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
# File stems of the public LLaVA releases -> their Hub dataset.
KNOWN_SOURCES = [
    (re.compile(r"llava_instruct|detail_23k|complex_reasoning_77k|conversation_58k|llava_v1_5_mix665k"),
     "liuhaotian/LLaVA-Instruct-150K"),
    (re.compile(r"blip_laion_cc_sbu|llava_pretrain"), "liuhaotian/LLaVA-Pretrain"),
]
_SNAPSHOT = re.compile(r"<!-- corpus-card-generated: ([A-Za-z0-9+/=]*) -->")
_SECRET = re.compile(r"token|secret|password|api_?key", re.I)
# Keys a stage line already shows, or that are paths / structures rendered elsewhere.
_SHOWN = {"command", "input", "output", "stats_file", "records_in", "records_out", "rejected", "rejected_by_reason",
          "thresholds", "engine", "engine_version", "seconds", "splits", "ratios", "by", "seed", "columns",
          "problems", "images_root", "stats", "rejects", "memory", "cache", "report"}


def size_category(n: int) -> str:
    for limit, name in SIZE_CATEGORIES:
        if n < limit:
            return name
    return "n>1B"


# ---------------------------------------------------------------- stats files

def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnusableInput(path, "unreadable", "no such stats file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UnusableInput(path, "malformed_json", str(e)) from None
    if not isinstance(data, dict):
        raise UnusableInput(path, "schema", "a stats file must be a JSON object")
    return data


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]


def _resolve(p: str, base: Path) -> Path:
    """Stats paths are written as given on the command line: try the cwd, then the stats file's folder."""
    path = Path(p)
    if path.is_absolute() or path.exists():
        return path
    return base / path


def _upstream(input_path: Path) -> list[Path]:
    if input_path.is_dir():
        return [input_path / "split.stats.json"]
    return [Path(str(input_path) + ".stats.json"), input_path.with_suffix(".stats.json"),
            input_path.parent / "split.stats.json"]


def collect_stats(paths: Iterable[str | os.PathLike], *, follow: bool = True) -> list[tuple[Path, dict[str, Any]]]:
    """The stats files given plus (with `follow`) those of their inputs, earliest stage first."""
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    queue = [Path(p) for p in paths]
    while queue:
        p = queue.pop(0)
        key = os.path.realpath(p)
        if key in found:
            continue
        data = _load_json(p)
        found[key] = (p, data)
        if follow:
            for inp in _as_list(data.get("input")):
                for cand in _upstream(_resolve(inp, p.parent)):
                    if cand.is_file() and os.path.realpath(cand) not in found:
                        queue.append(cand)
    return _pipeline_order(list(found.values()))


def _pipeline_order(items: list[tuple[Path, dict[str, Any]]]) -> list[tuple[Path, dict[str, Any]]]:
    """Stage A comes before B when A's output is (or contains) one of B's inputs."""
    def outs(item):
        return [os.path.realpath(_resolve(o, item[0].parent)) for o in _as_list(item[1].get("output"))]

    def ins(item):
        return [os.path.realpath(_resolve(i, item[0].parent)) for i in _as_list(item[1].get("input"))]

    def feeds(a, b) -> bool:
        return any(i == o or i.startswith(o + os.sep) for o in outs(a) for i in ins(b))

    ordered: list = []
    pending = list(items)
    while pending:
        ready = [b for b in pending if not any(feeds(a, b) for a in pending if a is not b)] or pending[:1]
        ordered.append(ready[-1])  # discovered later = further upstream
        pending.remove(ready[-1])
    return ordered


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def describe_stage(path: Path, s: dict[str, Any]) -> dict[str, Any]:
    """The lines of one pipeline stage, each figure taken verbatim from its stats file."""
    lines = []
    ins, outs = _as_list(s.get("input")), _as_list(s.get("output"))
    if ins or outs:
        lines.append(" → ".join(filter(None, [", ".join(f"`{Path(i).name}`" for i in ins),
                                                ", ".join(f"`{Path(o).name}`" for o in outs)])))
    counts = [f"{label}: {_fmt(s[k])}" for k, label in
              (("records_in", "records in"), ("records_out", "records out"), ("rejected", "rejected")) if k in s]
    if counts:
        lines.append("; ".join(counts))
    if "engine" in s:
        lines.append(f"translation engine: `{s['engine']}`"
                     + (f", version `{s['engine_version']}`" if s.get("engine_version") is not None else ""))
    if isinstance(s.get("thresholds"), dict) and s["thresholds"]:
        lines.append("thresholds: " + ", ".join(f"`{k}` = {_fmt(v)}" for k, v in s["thresholds"].items()))
    if "by" in s:
        lines.append(f"grouped by `{s['by']}`" + (f", seed {_fmt(s['seed'])}" if "seed" in s else ""))
    if isinstance(s.get("ratios"), dict):
        lines.append("shares: " + ", ".join(f"`{k}` {_fmt(v)}" for k, v in s["ratios"].items()))
    if isinstance(s.get("splits"), dict):
        lines.append("split sizes: " + ", ".join(f"`{k}` {_fmt(v['records'])}" for k, v in s["splits"].items()
                                                  if isinstance(v, dict) and "records" in v))
    for k, v in s.items():
        if k in _SHOWN or _SECRET.search(k) or isinstance(v, (dict, list)) or v is None:
            continue
        if isinstance(v, str) and ("/" in v or os.sep in v):  # a local path: its name, not the machine's layout
            v = f"`{Path(v).name}`"
        lines.append(f"{k.replace('_', ' ')}: {_fmt(v)}")
    if "seconds" in s:
        lines.append(f"took {_fmt(s['seconds'])} s")
    reasons = s.get("rejected_by_reason") if isinstance(s.get("rejected_by_reason"), dict) else {}
    return {"command": str(s.get("command", path.name)), "file": str(path), "lines": lines,
            "reasons": sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))}


def source_files(stages: list[tuple[Path, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Inputs no stage produced: the files the pipeline started from."""
    produced = {os.path.realpath(_resolve(o, p.parent)) for p, s in stages for o in _as_list(s.get("output"))}
    out = []
    for p, s in stages:
        inputs = _as_list(s.get("input"))
        for i in inputs:
            real = os.path.realpath(_resolve(i, p.parent))
            if real in produced or any(real.startswith(o + os.sep) for o in produced):
                continue
            out.append({"name": Path(i).name, "records": s.get("records_in") if len(inputs) == 1 else None})
    return out


# ---------------------------------------------------------------- data figures

def shard_layout(repo_dir: Path) -> tuple[dict[str, list[Path]], list[str], bool]:
    """(split -> shards, column names, images embedded?) read from the first shard's schema."""
    import pyarrow.parquet as pq

    from corpus.build import repo_splits

    splits = repo_splits(repo_dir)
    schema = pq.read_schema(next(iter(splits.values()))[0])
    embedded = str(schema.field("image").type).startswith("struct")
    return splits, schema.names, embedded


def quality_figures(splits: dict[str, list[Path]], columns: list[str], embedded: bool) -> tuple[list, list]:
    """Per split: counts, turns, answer length, placeholders; and language scores when `meta` has them."""
    import duckdb

    image = "image.path" if embedded else "image"
    con = duckdb.connect()
    rows, lang = [], []
    for split, shards in splits.items():
        files_ = [str(p) for p in shards]
        r = con.execute(f"""
            SELECT count(*), count({image}), count(DISTINCT {image}), coalesce(sum(len(conversations)), 0),
                   avg(list_sum(list_transform(list_filter(conversations, lambda t: t."from" = 'gpt'),
                                               lambda t: length(t.value)))),
                   coalesce(sum(list_sum(list_transform(conversations,
                       lambda t: (length(t.value) - length(replace(t.value, '<image>', ''))) // 7))), 0)
            FROM read_parquet($files)""", {"files": files_}).fetchone()
        rows.append({"split": split, "records": r[0], "with_image": r[1], "unique_images": r[2], "turns": int(r[3]),
                     "gpt_chars": r[4], "placeholders": int(r[5])})
        if "meta" in columns:
            m = con.execute("""
                WITH s AS (SELECT try_cast(json_extract(meta, '$.lang_score') AS DOUBLE) AS score,
                                  json_extract_string(meta, '$.lang_label') AS label,
                                  try_cast(json_extract(meta, '$.variant_ptbr') AS DOUBLE) AS variant
                           FROM read_parquet($files))
                SELECT count(*) FILTER (WHERE score IS NOT NULL OR label IS NOT NULL OR variant IS NOT NULL),
                       avg(score), count(label) FILTER (WHERE label NOT IN ('pt', '__label__pt')), count(label),
                       avg(variant), count(variant) FILTER (WHERE variant < 0.5), count(variant)
                FROM s""", {"files": files_}).fetchone()
            if m[0]:
                lang.append({"split": split, "scored": m[0], "lang_score": m[1], "not_pt": m[2] if m[3] else None,
                             "variant": m[4], "variant_low": m[5] if m[6] else None})
    return rows, lang


# Named queries (corpus/queries/*.sql) shown in the card: figures only, no local paths.
CARD_QUERIES = ("overview", "turns_per_record", "length_by_role", "residual_english", "placeholder_anomalies",
                "duplicates", "lang_labels", "lang_scores", "variant_scores", "source_vs_translation")
MAX_ROWS = 12


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        v = ", ".join(map(str, v))
    return " ".join(str(v).split()).replace("|", "\\|").replace("<", "&lt;")


def named_query_tables(splits: dict[str, list[Path]]) -> list[dict[str, Any]]:
    """The card's named queries over all published shards (empty when corpus.query is absent)."""
    try:
        from corpus.queries import named_queries
        from corpus.query import open_corpus
    except ImportError:
        return []
    from corpus.errors import CorpusError

    queries = named_queries()
    tables = []
    with open_corpus([p for shards in splits.values() for p in shards]) as corpus:
        for name in CARD_QUERIES:
            q = queries.get(name)
            if q is None or q.missing(corpus.catalog):
                continue
            try:
                cur = corpus.execute(q.sql)
            except CorpusError:
                continue  # a query that cannot run on this data says nothing about it
            columns = [d[0] for d in cur.description]
            rows = cur.fetchmany(MAX_ROWS)
            tables.append({"name": name, "description": q.description.replace("<image>", "`<image>`"),
                           "columns": columns,
                           "rows": [[_cell(v) for v in r] for r in rows]})
    return tables


def _has_source_text(splits: dict[str, list[Path]], columns: list[str]) -> bool:
    if "extra" not in columns:
        return False
    import duckdb

    files_ = [str(p) for shards in splits.values() for p in shards]
    return bool(duckdb.connect().execute(
        "SELECT count(*) FROM read_parquet($f) WHERE extra LIKE '%\"source_conversations\"%'",
        {"f": files_}).fetchone()[0])


# ---------------------------------------------------------------- metadata

def generated_metadata(repo_dir: Path, splits: dict[str, list[Path]], total: int, *, bilingual: bool,
                       sources: list[str], pretty_name: str) -> dict[str, Any]:
    return {
        "language": ["pt", "en"] if bilingual else ["pt"],
        "language_details": "pt-BR",
        "license": DEFAULT_LICENSE,
        "pretty_name": pretty_name,
        "task_categories": list(TASKS),
        "size_categories": [size_category(total)],
        **({"source_datasets": sources} if sources else {}),
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated"],
        "multilinguality": ["translation"] if bilingual else ["monolingual"],
        "tags": ["llava", "visual-instruction-tuning", "machine-translated", "brazilian-portuguese"],
        "configs": [{"config_name": "default",
                     "data_files": [{"split": s, "path": f"data/{s}-*"} for s in splits]}],
    }


def merge_metadata(current: dict[str, Any] | None, previous: dict[str, Any] | None,
                   generated: dict[str, Any], explicit: dict[str, Any]) -> dict[str, Any]:
    """Generated values, except where the user changed the card since it was generated."""
    if current is None:
        merged = dict(generated)
    else:
        merged = {}
        for k, v in current.items():
            if previous is not None and k in previous and previous[k] == v:
                if k in generated:  # untouched since we wrote it: refresh
                    merged[k] = generated[k]
            else:  # edited or added by hand (or a card we never generated)
                merged[k] = v
        for k, v in generated.items():
            deleted_by_hand = previous is not None and k in previous and k not in current
            if k not in merged and not deleted_by_hand:
                merged[k] = v
    merged.update({k: v for k, v in explicit.items() if v is not None})
    return merged


def _snapshot(meta: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(meta, sort_keys=True).encode()).decode()


def _read_snapshot(text: str) -> dict[str, Any] | None:
    m = _SNAPSHOT.search(text)
    if not m:
        return None
    try:
        return json.loads(base64.b64decode(m.group(1)))
    except ValueError:
        return None


def _infer_sources(stages: list[tuple[Path, dict[str, Any]]]) -> list[str]:
    found = []
    for src in source_files(stages):
        for pattern, hub_id in KNOWN_SOURCES:
            if pattern.search(src["name"].lower()) and hub_id not in found:
                found.append(hub_id)
    return found


def render_card(repo_dir: str | os.PathLike, stats_files: Iterable[str | os.PathLike] = (), *,
                license: str | None = None, pretty_name: str | None = None,
                source_datasets: list[str] | None = None, repo_id: str | None = None, follow: bool = True):
    """The card for `repo_dir` as a `huggingface_hub.DatasetCard` (not written)."""
    from huggingface_hub import DatasetCard, DatasetCardData

    repo_dir = Path(repo_dir)
    splits, columns, embedded = shard_layout(repo_dir)
    stages = collect_stats(stats_files, follow=follow)
    quality, language_quality = quality_figures(splits, columns, embedded)
    total = sum(q["records"] for q in quality)
    pretty = pretty_name or f"{repo_dir.resolve().name} (LLaVA, Brazilian Portuguese)"
    generated = generated_metadata(repo_dir, splits, total, bilingual=_has_source_text(splits, columns),
                                   sources=_infer_sources(stages), pretty_name=pretty)
    readme = repo_dir / "README.md"
    current = previous = None
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        current = DatasetCard(text, ignore_metadata_errors=True).data.to_dict()
        previous = _read_snapshot(text)
    explicit = {"license": license, "pretty_name": pretty_name, "source_datasets": source_datasets or None}
    meta = merge_metadata(current, previous, generated, explicit)
    split_stats = next((s for _, s in reversed(stages) if s.get("command") == "split"), {})
    engines = [s for _, s in stages if s.get("engine")]
    card_license = meta.get("license", DEFAULT_LICENSE)
    summary = ("Brazilian Portuguese (pt-BR) visual instruction-tuning data in LLaVA format"
               + (f", machine-translated from English with `{engines[-1]['engine']}`" if engines else "")
               + f": {total:,} conversations in {len(splits)} split{'s' if len(splits) != 1 else ''}.")
    template = files("corpus.cards").joinpath(TEMPLATE).read_text(encoding="utf-8")
    return DatasetCard.from_template(
        DatasetCardData(**meta), template_str=template,
        pretty_name=meta.get("pretty_name", pretty), summary=summary, license=card_license,
        non_commercial="nc" in str(card_license).lower().split("-"),
        splits=[{"name": s, "records": q["records"], "shards": len(splits[s])} for s, q in zip(splits, quality)],
        columns=columns, embedded=embedded, repo_id=repo_id or f"<org>/{repo_dir.resolve().name}",
        split_by=split_stats.get("by"), split_seed=split_stats.get("seed"),
        corpus_version=__version__, date=dt.datetime.now(dt.timezone.utc).date().isoformat(),
        sources=source_files(stages), stages=[describe_stage(p, s) for p, s in stages],
        quality=quality, language_quality=language_quality, query_tables=named_query_tables(splits),
        snapshot=_snapshot(generated),
    )


def write_card(repo_dir: str | os.PathLike, stats_files: Iterable[str | os.PathLike] = (), **options) -> Path:
    """Render and write ``repo_dir/README.md`` atomically; returns its path."""
    card = render_card(repo_dir, stats_files, **options)
    path = Path(repo_dir) / "README.md"
    write_text_atomic(path, str(card))
    return path


def check_card(path: str | os.PathLike, repo_dir: str | os.PathLike | None = None) -> list[str]:
    """Problems with a written card: it must load with `DatasetCard.load`, carry the fields
    the Hub uses, and its `configs` must match the shards. Empty list = valid.

    (`DatasetCard.validate()` asks the Hub and cannot run offline; this checks the same
    fields locally.)
    """
    from huggingface_hub import DatasetCard

    path = Path(path)
    try:
        card = DatasetCard.load(path)
    except Exception as e:  # YAML and shape errors come in several types
        return [f"does not load with DatasetCard.load: {type(e).__name__}: {e}"]
    d = card.data.to_dict()
    problems = []
    for key in ("language", "license", "task_categories", "size_categories", "pretty_name", "configs"):
        if not d.get(key):
            problems.append(f"missing `{key}`")
    if d.get("language") and "pt" not in _as_list(d["language"]):
        problems.append("`language` does not include pt")
    valid_sizes = {name for _, name in SIZE_CATEGORIES} | {"n>1B"}
    for s in _as_list(d.get("size_categories")):
        if s not in valid_sizes:
            problems.append(f"`size_categories` value {s!r} is not one the Hub knows")
    lic = d.get("license")
    if isinstance(lic, str) and not re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", lic):
        problems.append(f"`license` {lic!r} is not a Hub licence id (lower-case, e.g. cc-by-nc-4.0 or other)")
    base = Path(repo_dir) if repo_dir is not None else path.parent
    for cfg in d.get("configs") or []:
        for df in cfg.get("data_files") or []:
            pattern = df.get("path") if isinstance(df, dict) else df
            for pat in _as_list(pattern):
                if not list(base.glob(pat)):
                    problems.append(f"configs: {pat!r} matches no file under {base}")
    return problems
