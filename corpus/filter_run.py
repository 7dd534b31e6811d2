"""Run a list of stages over a file: read -> stages -> write, rejects and stats.

This is the library call behind ``corpus filter`` and ``corpus run``. Every
item read is either written or in the rejects file (bad input items too,
with the reader's rule), and ``records_out + rejected == records_in`` is
checked at the end of every run, not assumed.

Example:
    from corpus.filters import LangIDFilter, QualityChecks
    stats = run_stages("in.json", "out.json", lambda rj: [LangIDFilter(rejects=rj), QualityChecks(rejects=rj)],
                       rejects="rejects.jsonl")
    stats["records_out"], stats["rejected_by_reason"]
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from corpus.atomic import write_json_atomic
from corpus.errors import UsageError, check_counts
from corpus.outpaths import check_distinct
from corpus.io import RecordReader, RecordWriter
from corpus.rejects import Rejects
from corpus.stage import Stage, chain


def default_stats_path(output: str | os.PathLike) -> Path:
    return Path(f"{output}.stats.json")


def default_rejects_path(output: str | os.PathLike) -> Path:
    return Path(f"{output}.rejects.jsonl")


def run_stages(input: str | os.PathLike, output: str | os.PathLike,
               build: Callable[[Rejects], list[Stage]], *, rejects: str | os.PathLike | None = None,
               stats: str | os.PathLike | None = None, command: str = "filter",
               extra_stats: dict[str, Any] | None = None, show_progress: bool = True) -> dict[str, Any]:
    """Read `input`, pass records through `build(rejects_sink)`, write `output`; return the stats.

    `build` receives the shared rejects sink so every stage writes to it. The
    stats JSON goes to `stats` (default ``<output>.stats.json``).
    """
    if rejects is None:  # nothing is lost: a recipe without write.rejects still writes them
        rejects = default_rejects_path(output)
    # a recipe's write.rejects may name the input: checked here, not only on the command line
    check_distinct({"input": input, "output": output, "rejects": rejects, "stats": stats}, ("output", "rejects", "stats"))
    t0 = time.perf_counter()
    reader = RecordReader(input)
    with Rejects(rejects) as sink:
        stages = build(sink)
        with RecordWriter(output) as writer:
            records: Iterable = reader
            if show_progress:
                from corpus.console import track

                records = track(reader, f"{command} {Path(input).name}")
            for rec in chain(records, stages):
                writer.write(rec)
        for p in reader.problems:
            sink.add_problem(p)
        result = {
            "command": command,
            "input": str(input),
            "output": str(output),
            "rejects": str(rejects) if rejects else None,
            "records_in": reader.n_items,
            "records_out": writer.count,
            "rejected": sink.count,
            "rejected_by_reason": dict(sink.by_reason.most_common()),
            "bad_input_items": len(reader.problems),
            "stages": [_stage_stats(s) for s in stages],
            "seconds": round(time.perf_counter() - t0, 3),
            **(extra_stats or {}),
        }
        result["records_per_second"] = round(result["records_in"] / max(result["seconds"], 1e-9), 1)
        result["invariant_ok"] = result["records_out"] + result["rejected"] == result["records_in"]
    write_json_atomic(stats or default_stats_path(output), result)
    return check_counts(result, str(input))  # output, rejects and stats are kept for diagnosis


# Defaults of `corpus filter` without a recipe. Measured on Bergamot translations of
# the shared LLaVA samples (see recipes/*.yaml for the figures behind each value).
DEFAULT_LANG, DEFAULT_MIN_LANG_SCORE = "pt", 0.5
DEFAULT_VARIANT, DEFAULT_MIN_VARIANT_SCORE = "pt-BR", 0.1


def filter_file(input: str | os.PathLike, output: str | os.PathLike, *, rejects: str | os.PathLike | None = None,
                stats: str | os.PathLike | None = None, recipe: str | os.PathLike | None = None,
                lang: str | None = None, min_lang_score: float | None = None, lid_model: str | None = None,
                variant: str | None = None, min_variant_score: float | None = None,
                min_turn_variant_score: float | None = None,
                qe: str | None = None, min_similarity: float | None = None,
                show_progress: bool = True) -> dict[str, Any]:
    """`corpus filter`: the recipe's filter stages, or langid + variant + checks + duplicates.

    Options given explicitly override the recipe's langid/variant/qe parameters.
    ``lang="none"`` / ``variant="none"`` turn those stages off.
    """
    from corpus.recipe import FILTER_STAGES, Recipe, build_stage

    if recipe is not None:
        spec = [(n, dict(p)) for n, p in Recipe.load(recipe).stages if n in FILTER_STAGES]
    else:
        spec = [("langid", {}), ("variant", {}), ("checks", {}), ("duplicates", {})]
    names = [n for n, _ in spec]
    if qe and "qe" not in names:
        spec.append(("qe", {}))
    for name, params in spec:
        if name == "langid":
            params.setdefault("lang", DEFAULT_LANG)
            params.setdefault("min_score", DEFAULT_MIN_LANG_SCORE)
            _set(params, lang=lang, min_score=min_lang_score, model=lid_model)
        elif name == "variant":
            params.setdefault("variant", DEFAULT_VARIANT)
            params.setdefault("min_score", DEFAULT_MIN_VARIANT_SCORE)
            _set(params, variant=variant, min_score=min_variant_score, min_turn_score=min_turn_variant_score)
        elif name == "qe":
            if qe not in (None, "e5"):
                raise UsageError(f"--qe must be e5, got {qe!r}")
            _set(params, min_similarity=min_similarity)
    spec = [(n, p) for n, p in spec if not (n == "langid" and p.get("lang") == "none")
            and not (n == "variant" and p.get("variant") == "none")]
    settings = [{n: p} for n, p in spec]

    def build(sink):
        try:
            return [build_stage(n, p, sink) for n, p in spec]
        except UsageError as e:
            raise UsageError(f"{recipe}: {e}") if recipe else e from None

    return run_stages(input, output, build,
                      rejects=rejects, stats=stats, command="filter",
                      extra_stats={"recipe": str(recipe) if recipe else None, "settings": settings},
                      show_progress=show_progress)


def _set(params: dict[str, Any], **given: Any) -> None:
    params.update({k: v for k, v in given.items() if v is not None})


def _stage_stats(stage: Any) -> dict[str, Any]:
    name = getattr(stage, "name", type(stage).__name__)
    fn = getattr(stage, "stats", None)
    try:
        s = fn() if callable(fn) else {}
    except Exception as e:  # a stage's stats must never lose the run's output
        s = {"stats_error": f"{type(e).__name__}: {e}"}
    return {"stage": name, **{k: v for k, v in s.items() if k != "stage"}}
