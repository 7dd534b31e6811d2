"""Readers and writers: streaming JSON lists, JSONL, Parquet, atomic writes, bad items."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import io as cio
from corpus.errors import UnusableInput
from corpus.io import RecordReader, RecordWriter, iter_raw, read_records, write_records
from corpus.record import Record

from conftest import rec, shared_path, write_json

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
turn = st.fixed_dictionaries({"from": st.sampled_from(["human", "gpt"]), "value": text})
extra_val = st.one_of(st.integers(-10**6, 10**6), text, st.booleans(), st.none(),
                      st.lists(st.integers(0, 9), max_size=3))
record_dict = st.builds(
    lambda rid, image, conv, extra: {"id": rid, **({"image": image} if image is not None else {}),
                                     "conversations": conv, **extra},
    st.one_of(st.integers(0, 10**9), text),
    st.one_of(st.none(), text),
    st.lists(turn, min_size=1, max_size=4),
    st.dictionaries(st.text(alphabet="abcdefghij_", min_size=1, max_size=8).filter(
        lambda k: k not in ("id", "image", "conversations", "meta")), extra_val, max_size=3),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(records=st.lists(record_dict, max_size=6))
@pytest.mark.parametrize("ext", ["json", "jsonl"])
def test_round_trip_json_family_is_identical(tmp_path, ext, records):
    p1, p2 = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
    write_records(p1, (Record.from_dict(d) for d in records))
    back = [r.to_dict() for r in read_records(p1)]
    assert back == records
    assert [list(d) for d in back] == [list(d) for d in records]  # key order kept
    write_records(p2, read_records(p1))
    assert p2.read_bytes() == p1.read_bytes()


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(records=st.lists(record_dict, max_size=6))
def test_round_trip_parquet_is_identical(tmp_path, records):
    p1, p2 = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_records(p1, (Record.from_dict(d) for d in records))
    once = [r.to_dict() for r in read_records(p1)]
    assert once == records  # the id column is a string; the row layout restores int ids
    assert [list(d) for d in once] == [list(d) for d in records]
    write_records(p2, read_records(p1))
    assert [r.to_dict() for r in read_records(p2)] == once


def test_json_reader_streams_across_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(cio, "CHUNK", 64)  # force many refills, items straddling chunks
    data = [rec(f"id{i}", f"<image>\nQuestion {i}? " + "x" * (i * 7), f"Answer {i}.") for i in range(40)]
    data.append({"id": 7, "conversations": [{"from": "human", "value": "n"}, {"from": "gpt", "value": "1e5"}], "n": 12345678})
    p = write_json(tmp_path / "c.json", data)
    assert [r.to_dict() for r in read_records(p)] == data


def test_json_reader_reports_non_object_items_with_position(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps([rec("a"), 42, rec("b"), {"id": "c", "conversations": "oops"}]))
    reader = RecordReader(p)
    ids = [r.id for r in reader]
    assert ids == ["a", "b"]
    assert reader.n_items == 4 and len(reader.problems) == 2
    assert reader.problems[0].position.startswith("item 1") and reader.problems[0].rule == "schema"
    assert reader.problems[1].record_id == "c"


def test_jsonl_malformed_line_is_counted_with_line_number(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(rec("a")) + "\n{not json\n\n" + json.dumps(rec("b")) + "\n")
    reader = RecordReader(p)
    assert [r.id for r in reader] == ["a", "b"]
    (prob,) = reader.problems
    assert prob.rule == "malformed_json" and prob.position.startswith("line 2")


@pytest.mark.parametrize("content,rule", [
    ('{"id": 1}', "not_a_list"),
    ("", "not_a_list"),
    ('[{"id": 1, "conversations": []}, {"id": ', "malformed_json"),
    ('[{"id": 1, "conversations": []} {"id": 2}]', "malformed_json"),
    ('[{"id": 1, "conversations": []}] trailing', "malformed_json"),
])
def test_unusable_json_names_file_rule_and_position(tmp_path, content, rule):
    p = tmp_path / "u.json"
    p.write_text(content)
    with pytest.raises(UnusableInput) as ei:
        list(iter_raw(p))
    assert ei.value.rule == rule and str(p) in str(ei.value)
    if rule == "malformed_json":
        assert "offset" in str(ei.value)


def test_not_utf8_and_missing_file_are_unusable(tmp_path):
    p = tmp_path / "latin.json"
    p.write_bytes('[{"id": "\xe9"}]'.encode("latin-1"))
    with pytest.raises(UnusableInput, match="UTF-8"):
        list(iter_raw(p))
    with pytest.raises(UnusableInput, match="no such file"):
        list(iter_raw(tmp_path / "nope.json"))
    with pytest.raises(UnusableInput, match="extension"):
        list(iter_raw(tmp_path / "data.csv"))


def test_writer_is_atomic_on_failure(tmp_path):
    p = tmp_path / "out.json"
    p.write_text("[]\n")
    with pytest.raises(RuntimeError):
        with RecordWriter(p) as w:
            w.write(Record.from_dict(rec("a")))
            raise RuntimeError("killed")
    assert p.read_text() == "[]\n"  # old file untouched
    assert list(tmp_path.iterdir()) == [p]  # no temp file left behind


def test_empty_corpus_round_trips(tmp_path):
    for ext in ("json", "jsonl", "parquet"):
        p = tmp_path / f"e.{ext}"
        assert write_records(p, []) == 0
        assert list(read_records(p)) == []


def test_real_shared_files_round_trip(tmp_path):
    src = shared_path("llava", "scienceqa_llava_test_CQM-A.json")
    original = json.loads(src.read_text())
    out = tmp_path / "sqa.jsonl"
    write_records(out, read_records(src))
    assert [r.to_dict() for r in read_records(out)] == original


def test_orphan_temp_files_of_killed_writers_are_removed(tmp_path):
    import subprocess
    import sys

    from corpus.atomic import write_text_atomic

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = tmp_path / f".out.json.{dead.stdout.strip()}.abc123.tmp"
    orphan.write_text("half")
    live = tmp_path / f".out.json.{__import__('os').getpid()}.zzz.tmp"  # a writer still running: keep
    live.write_text("busy")
    write_text_atomic(tmp_path / "out.json", "[]")
    assert not orphan.exists() and live.exists()
    assert (tmp_path / "out.json").read_text() == "[]"


def test_atomic_files_get_the_usual_mode(tmp_path):
    import os
    import stat

    from corpus.atomic import write_text_atomic

    mask = os.umask(0o022)
    try:
        p = write_text_atomic(tmp_path / "report.html", "<html></html>")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644
