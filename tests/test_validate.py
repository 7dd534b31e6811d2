"""One test per validation rule, each with a record that breaks it; real data validates."""
from __future__ import annotations

import json

import pytest

from corpus.validate import RULES, validate_file

from conftest import rec, shared_path, write_json


def findings(tmp_path, records, **kw):
    p = write_json(tmp_path / "c.json", records)
    report = tmp_path / "findings.jsonl"
    res = validate_file(p, report=report, **kw)
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    return res, rows


def rules_of(rows):
    return {r["rule"] for r in rows}


def test_valid_records_have_no_findings(tmp_path):
    res, rows = findings(tmp_path, [rec("a"), rec("b", "Question?\n<image>", "Answer."),
                                    rec("c", "Text only?", "Yes.", image=None)])
    assert rows == [] and res.valid == res.items == 3


CASES = {
    "schema": [{"id": "s", "conversations": [{"from": "robot", "value": "hi"}]}],
    "placeholder_missing": [rec("m", "What is this?", "A cat.")],
    "placeholder_extra": [rec("e", "<image>\nWhat is <image>?", "A cat.")],
    "placeholder_position": [rec("p", "What is <image> this?", "A cat.")],
    "placeholder_mangled": [rec("g", "<image>\nO que é <imagem>?", "Um gato.")],
    "role_order": [rec("r", "<image>\nQ?", "A.", "Q2?")],
    "empty_turn": [rec("t", "<image>\nQ?", "   ")],
    "duplicate_id": [rec("d"), rec("d")],
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_fires_on_a_record_that_breaks_it(tmp_path, rule):
    res, rows = findings(tmp_path, CASES[rule])
    assert rule in rules_of(rows)
    row = next(r for r in rows if r["rule"] == rule)
    assert row["id"] == CASES[rule][-1]["id"] and row["detail"]
    assert res.by_rule[rule] >= 1


@pytest.mark.parametrize("bad", ["<imagem>", "< image >", "&lt;image&gt;", "-imagem>", "<Image>", "[image]", "[imagem]"])
def test_mangled_forms_translators_produce(tmp_path, bad):
    _, rows = findings(tmp_path, [rec("x", f"<image>\nVeja {bad} aqui.", "Ok.")])
    assert "placeholder_mangled" in rules_of(rows)


def test_text_only_record_with_placeholder_is_extra(tmp_path):
    _, rows = findings(tmp_path, [rec("x", "<image>\nQ?", "A.", image=None)])
    assert rules_of(rows) == {"placeholder_extra"}


def test_placeholder_in_a_later_turn_is_position(tmp_path):
    _, rows = findings(tmp_path, [rec("x", "Q?", "A.", "<image>\nQ2?", "A2.")])
    assert "placeholder_position" in rules_of(rows)


def test_malformed_jsonl_line_is_a_finding(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps(rec("a")) + "\n{oops\n")
    res = validate_file(p)
    assert res.by_rule["malformed_json"] == 1 and res.valid == 1


@pytest.fixture
def images(tmp_path):
    from PIL import Image

    root = tmp_path / "imgs"
    root.mkdir()
    Image.new("RGB", (8, 8), "red").save(root / "ok.jpg")
    (root / "broken.jpg").write_bytes(b"not an image at all")
    secret = tmp_path / "secret.jpg"
    Image.new("RGB", (8, 8)).save(secret)
    return root


@pytest.mark.parametrize("image,rule", [
    ("missing.jpg", "image_missing"),
    ("broken.jpg", "image_unreadable"),
    ("../secret.jpg", "image_path_escape"),
    ("/etc/passwd", "image_path_escape"),
    ("../../../../etc/passwd", "image_path_escape"),
])
def test_image_rules(tmp_path, images, image, rule):
    res, rows = findings(tmp_path, [rec("ok", image="ok.jpg"), rec("bad", image=image)], images_root=images)
    assert [(r["id"], r["rule"]) for r in rows] == [("bad", rule)]


def test_every_rule_is_covered_by_a_test():
    covered = set(CASES) | {"malformed_json", "image_missing", "image_unreadable", "image_path_escape"}
    assert covered == set(RULES)


@pytest.mark.parametrize("name,count", [
    ("llava_instruct_sample50.json", 50),
    ("llava_pretrain_sample2k.json", 2183),
    ("scienceqa_llava_test_CQM-A.json", 4241),
])
def test_real_llava_files_validate(name, count):
    res = validate_file(shared_path("llava", name))
    assert (res.items, res.valid, dict(res.by_rule)) == (count, count, {})


def test_real_images_validate():
    root = shared_path("images", "llava_pretrain")
    res = validate_file(root / "records.json", images_root=root)
    assert (res.items, res.valid) == (60, 60)


def _messy_corpus(tmp_path, n=600):
    recs = []
    for i in range(n):
        r = rec(f"x{i}", "<image>\nWhat is in the picture? Ação é ótima.", "A cat on a mat.\n1. One\n2. Two")
        if i % 97 == 3:
            r["conversations"][0]["value"] = "O que há na <imagem>?"
        if i in (10, n - 20):
            r["id"] = "dup"
        if i == n // 2:
            r["id"] = 7
        if i == n // 3:
            r["meta"] = {"id": "looks like a record", "conversations": []}  # a decoy split point
        recs.append(r)
    recs.insert(n // 2 + 5, 42)
    p = tmp_path / "messy.json"
    p.write_text(json.dumps(recs, ensure_ascii=False, indent=1), encoding="utf-8")
    return p


@pytest.mark.parametrize("jobs", [2, 3, 5])
def test_parallel_validation_equals_one_pass(tmp_path, monkeypatch, jobs):
    import corpus.validate_parallel as vp

    p = _messy_corpus(tmp_path)
    one = validate_file(p, report=tmp_path / "one.jsonl", jobs=1)
    monkeypatch.setattr(vp, "MIN_BYTES", 0)
    calls = []
    real = vp._merge
    monkeypatch.setattr(vp, "_merge", lambda *a: calls.append(1) or real(*a))
    many = validate_file(p, report=tmp_path / "many.jsonl", jobs=jobs)
    assert calls, "the parallel path was not taken"
    assert many.to_dict() == one.to_dict()
    assert (tmp_path / "many.jsonl").read_text() == (tmp_path / "one.jsonl").read_text()
    assert one.by_rule["duplicate_id"] == 1 and one.by_rule["schema"] == 1


def test_parallel_falls_back_on_a_broken_file(tmp_path, monkeypatch):
    import corpus.validate_parallel as vp
    from corpus.errors import UnusableInput

    monkeypatch.setattr(vp, "MIN_BYTES", 0)
    p = _messy_corpus(tmp_path)
    p.write_text(p.read_text()[:-40])  # cut the end: the last region fails, one pass reports it
    with pytest.raises(UnusableInput, match="malformed_json"):
        validate_file(p, jobs=2)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = ["<image>", "<imagem>", "imag", "image", "imagem", "IMAGE", "< ", " >", "<", ">", "[", "]", "{", "}",
           "&lt;", "&gt;", "-", "/", " ", "\n", "\t", "\r\n", "a", "The ", "Veja ", "e", "m", ";"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_mangled_prefilter_never_hides_what_the_regex_finds(text):
    from corpus.placeholder_rules import MANGLED, mangled_placeholders

    expected = [m.group(0) for m in MANGLED.finditer(text) if m.group(0) != "<image>"]
    assert mangled_placeholders(text) == expected


@pytest.mark.parametrize("text", ["<\nimage\n>", "[\timagem ]", "&lt;\r\nimage&gt;", "x <\n imagem"])
def test_mangled_forms_with_any_whitespace(text):
    from corpus.placeholder_rules import mangled_placeholders

    assert mangled_placeholders(text)
