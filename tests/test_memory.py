"""Translation memory: keyed by engine, version, languages and text; durable; mergeable."""
from __future__ import annotations

import sqlite3

from corpus.translate.memory import Memory, merge_memories


def mem(path, **kw):
    args = dict(engine="bergamot", version="v1", source="en", target="pt-BR") | kw
    return Memory(path, **args)


def test_put_get_and_persist_across_instances(tmp_path):
    p = tmp_path / "tm.sqlite"
    with mem(p) as m:
        assert m.get("A cat.") is None
        assert m.put_many([("A cat.", "Um gato."), ("A dog.", "Um cão.")]) == 2
        assert m.get("A cat.") == "Um gato."
    with mem(p) as m:  # a new process would see the same rows: they were committed
        assert m.get("A dog.") == "Um cão."
        assert len(m) == 2
        assert dict(m.items()) == {"A cat.": "Um gato.", "A dog.": "Um cão."}
        assert m.get_many(["A cat.", "Nope."]) == {"A cat.": "Um gato."}


def test_key_separates_engine_version_and_languages(tmp_path):
    p = tmp_path / "tm.sqlite"
    mem(p).put_many([("Hello.", "Olá.")])
    assert mem(p, version="v2").get("Hello.") is None
    assert mem(p, engine="argos").get("Hello.") is None
    assert mem(p, target="es").get("Hello.") is None
    assert mem(p, source="pt", target="en").get("Hello.") is None
    assert mem(p).get("Hello.") == "Olá."


def test_wal_mode_and_visible_to_a_second_connection_before_close(tmp_path):
    p = tmp_path / "tm.sqlite"
    m = mem(p)
    m.put_many([("Red.", "Vermelho.")])
    con = sqlite3.connect(p)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT translation FROM tm").fetchall() == [("Vermelho.",)]


def test_merge_memories(tmp_path):
    a, b, c = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "c.sqlite"
    mem(a).put_many([("One.", "Um."), ("Two.", "Dois.")])
    mem(b).put_many([("Two.", "Dois."), ("Three.", "Três.")])
    mem(c).put_many([("Zero.", "Zero.")])
    assert merge_memories(c, [a, b]) == 3
    assert {k for k, _ in mem(c).items()} == {"Zero.", "One.", "Two.", "Three."}
    assert merge_memories(c, [a]) == 0
