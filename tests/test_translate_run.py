"""The runner: TranslateStage, translate_texts, translate_file, post-checks and --on-error.

Main paths run the real bergamot engine. The failure policies need an engine
that fails on demand, so a small deterministic stand-in (`Scripted`) is defined
here: it is a stand-in on purpose and says so.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import rec, shared_path, write_json
from corpus.errors import BadRecord, EngineFailed, UsageError
from corpus.io import read_records
from corpus.record import Record
from corpus.rejects import Rejects
from corpus.translate.bergamot import BergamotEngine
from corpus.translate.postcheck import turn_problems
from corpus.translate.run import TranslateStage, translate_file, translate_texts


class Scripted:
    """Stand-in engine: wraps each text in «»; fails, drops tokens or digits when told to."""

    name, version, max_chars, batch_size = "scripted", "1", 300, 4

    def __init__(self, fail_on=None, drop_token_once=False, eat_digits=False):
        self.fail_on, self.drop_token_once, self.eat_digits = fail_on, drop_token_once, eat_digits
        self.counters = {"calls": 0, "retries": 0}

    def translate_batch(self, texts):
        self.counters["calls"] += len(texts)
        out = []
        for t in texts:
            if self.fail_on and self.fail_on in t:
                raise ConnectionError("server said 503")
            if self.drop_token_once and "[1]" in t:
                self.drop_token_once = False
                t = t.replace("[1]", "")
            if self.eat_digits:
                t = re.sub(r"\d", "", t)
            out.append(f"«{t}»")
        return out


@pytest.fixture(scope="module")
def berg():
    return BergamotEngine()


@pytest.fixture(scope="module")
def tm(tmp_path_factory):
    return tmp_path_factory.mktemp("tm") / "tm.sqlite"


def records(*dicts):
    return [Record.from_dict(d) for d in dicts]


def test_stage_translates_with_bergamot_keeping_layout_ids_and_extra(berg, tm):
    src = records(rec("a", "<image>\nWhat is at [0.1, 0.2, 0.3, 0.4]?", "A red car.\n\n1. It is old.\n2. It is fast."),
                  rec("b", "Describe the image.\n<image>", "A cat sleeps.", image="b.jpg", source="x"))
    stage = TranslateStage(berg, cache=tm, keep_source=True, workers=2)
    out = list(stage(src))
    assert [r.id for r in out] == ["a", "b"] and out[1].extra["source"] == "x"
    a = out[0].turns
    assert a[0].value.startswith("<image>\n") and "[0.1, 0.2, 0.3, 0.4]" in a[0].value
    assert "carro" in a[1].value.lower() and a[1].value.count("\n") == 3 and "\n1. " in a[1].value
    assert out[1].turns[0].value.endswith("\n<image>")
    assert out[0].extra["source_conversations"][1] == {"from": "gpt", "value": src[0].turns[1].value}
    assert out[0].meta["engine"] == "bergamot" and out[0].meta["source_lang"] == "en"
    st = stage.stats()
    assert st["records_in"] == st["records_out"] == 2 and st["rejected"] == 0
    assert st["segments_total"] == 6 and st["segments_unique"] == 6

    again = TranslateStage(berg, cache=tm, keep_source=True)  # the memory serves everything: no engine call
    assert [r.to_dict() for r in again(src)] == [r.to_dict() for r in out]
    assert again.stats()["engine_calls"] == 0 and again.stats()["memory_hits"] == 6


def test_duplicates_are_translated_once(berg, tm):
    texts = ["Describe the image in detail."] * 5 + ["What do you see?"]
    stage = TranslateStage(berg, cache=False, roles=("human",))
    list(stage(records(*[rec(str(i), t, "x") for i, t in enumerate(texts)])))
    st = stage.stats()
    assert st["segments_total"] == 6 and st["segments_unique"] == 2 and st["engine_calls"] == 2


def test_translate_texts_both_directions(berg):
    pt = translate_texts(["The cat is black.", "Look at https://x.org now."], berg)
    assert "gato" in pt[0].lower() and "https://x.org" in pt[1]
    en = translate_texts(["O gato é preto."], "bergamot", source="pt-BR", target="en")
    assert "cat" in en[0].lower()


def test_segment_failure_policies(tmp_path):
    src = records(rec("ok", "Hello there.", "Fine."), rec("bad", "Please FAIL now.", "Fine."))
    rj = Rejects(None)
    stage = TranslateStage(Scripted(fail_on="FAIL"), cache=False, rejects=rj)
    out = list(stage(src))
    assert [r.id for r in out] == ["ok"] and out[0].turns[0].value == "«Hello there.»"
    assert rj.by_reason == {"segment_failed": 1} and stage.stats()["segments_failed"] == 1

    stage = TranslateStage(Scripted(fail_on="FAIL"), cache=False, on_error="keep-source")
    kept = list(stage(src))[1]
    assert kept.turns[0].value == "Please FAIL now." and kept.turns[1].value == "«Fine.»"
    assert kept.meta["untranslated_turns"] == [0] and kept.meta["translate_problems"] == ["segment_failed"]

    with pytest.raises(EngineFailed, match="FAIL"):
        list(TranslateStage(Scripted(fail_on="FAIL"), cache=False, on_error="fail")(src))
    with pytest.raises(UsageError):
        TranslateStage(Scripted(), on_error="ignore")


def test_failed_segments_are_not_stored_so_a_rerun_retries_them(tmp_path):
    tm = tmp_path / "tm.sqlite"
    src = records(rec("x", "Please FAIL now.", "Fine."))
    list(TranslateStage(Scripted(fail_on="FAIL"), cache=tm)(src))
    stage = TranslateStage(Scripted(), cache=tm)
    assert [r.turns[0].value for r in stage(src)] == ["«Please FAIL now.»"]
    assert stage.stats()["memory_hits"] == 1 and stage.stats()["segments_translated"] == 1


def test_lost_token_is_repaired_and_counted():
    eng = Scripted(drop_token_once=True)
    stage = TranslateStage(eng, cache=False)
    out = list(stage(records(rec("x", "The car at [0.1, 0.2, 0.3, 0.4] is red.", "Yes."))))
    assert out[0].turns[0].value.count("[0.1, 0.2, 0.3, 0.4]") == 1
    assert stage.stats()["token_fallbacks"] == 1


def test_numbers_changed_is_rejected():
    rj = Rejects(None)
    list(TranslateStage(Scripted(eat_digits=True), cache=False, rejects=rj)(records(rec("x", "I see 4 cats.", "Ok."))))
    assert rj.by_reason == {"numbers_changed": 1}


def test_post_checks():
    assert turn_problems("<image>\nA.", "<image>\nB.") == []
    assert turn_problems("<image>\nA.", "B.")[0][0] == "placeholder_missing"
    assert turn_problems("<image>\nA.", "B.\n<image>")[0][0] == "placeholder_moved"
    assert turn_problems("A.\nB.", "A. B.") == [("layout_changed", "1 newlines became 0")]
    assert turn_problems("Picture.", "<imagem>")[0][0] == "placeholder_mangled"
    with pytest.raises(BadRecord):
        list(TranslateStage(Scripted(eat_digits=True), cache=False, on_error="fail")(records(rec("x", "4 cats.", "Ok."))))


def test_translate_file_writes_output_rejects_and_stats(tmp_path, berg):
    src = write_json(tmp_path / "in.json", [rec("a", "<image>\nHow many dogs?", "There are 2 dogs."), {"id": "bad"}])
    st = translate_file(src, engine=berg, cache=tmp_path / "tm.sqlite", show_progress=False)
    out = tmp_path / "in.pt-BR.json"
    assert st["output"] == str(out) and [r.id for r in read_records(out)] == ["a"]
    assert st["records_in"] == 2 and st["records_out"] == 1 and st["rejected_by_reason"] == {"schema": 1}
    saved = json.loads((tmp_path / "in.pt-BR.json.stats.json").read_text())
    for k in ("command", "input", "output", "records_in", "records_out", "rejected", "rejected_by_reason", "seconds",
              "segments_total", "segments_unique", "memory_hits", "engine_calls", "retries", "segments_per_s",
              "engine", "engine_version"):
        assert k in saved
    rejected = [json.loads(line) for line in open(tmp_path / "in.pt-BR.json.rejects.jsonl")]
    assert rejected[0]["reasons"] == ["schema"]


@pytest.mark.slow
def test_instruct_sample_keeps_image_and_newlines_per_turn(berg, request, tmp_path):
    """All 50 real LLaVA-Instruct records (about 800 sentences: ~50 s cold on 2 busy cores).

    The memory lives in pytest's cache folder when there is one, so re-runs take seconds.
    """
    path = shared_path("llava", "llava_instruct_sample50.json")
    cache = getattr(request.config, "cache", None)
    tm = (cache.mkdir("corpus-translation-memory") if cache else tmp_path) / "tm.sqlite"
    src = list(read_records(path))
    rj = Rejects(None)
    out = {r.id: r for r in TranslateStage(berg, cache=tm, workers=2, rejects=rj)(src)}
    assert len(out) + rj.count == 50 and len(out) >= 48
    for r in src:
        if r.id not in out:
            continue
        for s, t in zip(r.turns, out[r.id].turns):
            assert s.value.count("\n") == t.value.count("\n")
            assert s.value.count("<image>") == t.value.count("<image>")
            assert s.value.startswith("<image>") == t.value.startswith("<image>")
            assert s.value.endswith("<image>") == t.value.endswith("<image>")
