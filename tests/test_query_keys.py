"""normalised_text (corpus/query_keys.py) against the SQL definition it replaces, run by real DuckDB.

The reference is DuckDB's own lower(replace(...)) on the same records: the duplicate
keys must group exactly as before, so the normalised texts must be equal row by row.
"""
from __future__ import annotations

import json
import random

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.queries import named_queries
from corpus.query import open_corpus
from corpus.query_keys import normalise, normalise_turns, register

TEXT = "array_to_string(list_transform(conversations, lambda t: t.value), '')"
OLD = f"lower(replace(replace(replace({TEXT}, '<image>', ''), ' ', ''), chr(10), ''))"
NEW = "CASE WHEN n.unicode THEN lower(n.text) ELSE n.text END"
TURN = pa.struct([("from", pa.string()), ("value", pa.string())])

# '<image>' variants and pieces, separators, ASCII and non-ASCII letters in both cases: Latin-1
# (É/é), Latin Extended (Ā), letters whose lower() changes the first UTF-8 byte (Σ, Ÿ, İ), longer
# sequences (ẞ, Ⅻ, emoji), titlecase (ǅ) and letters lower() leaves alone (µ, ß, ÿ).
FRAGMENTS = ["<image>", "<im", "age>", "<IMAGE>", "<Image>", "<im<image>age>", "<", ">", "image",
             " ", "  ", "\n", "\t", "\r\n", "", "a", "A", "z", "Z", "@", "[", "É", "é", "Ç", "ç", "Ã", "ã",
             "À", "Ô", "×", "Ā", "ā", "Σ", "σ", "Ÿ", "İ", "ẞ", "ß", "Ⅻ", "ǅ", "µ", "ÿ", "😀", "“", "Olá MUNDO"]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=10).map("".join)
NULL_TURN = object()  # a NULL struct, not a turn with a NULL value
turns = st.one_of(st.none(), st.lists(st.one_of(st.none(), st.just(NULL_TURN), texts), max_size=4))
records = st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["a.jpg", "b.jpg"])), turns), max_size=40)


def compare(rows):
    """(old text, new text, old key, new key) per (image, turns) row, in order, for both UDFs:
    normalised_text on the joined turns, normalised_turns on the list itself."""
    con = duckdb.connect()
    register(con)
    table = pa.table({
        "i": pa.array(range(len(rows)), pa.int64()),
        "image": pa.array([r[0] for r in rows], pa.string()),
        "conversations": pa.array([None if ts is None else [None if v is NULL_TURN else {"from": "human", "value": v}
                                                            for v in ts] for _, ts in rows], pa.list_(TURN)),
    })
    con.register("recs", table)
    got = []
    for udf in (f"normalised_text({TEXT})", "normalised_turns(conversations)"):
        got += con.execute(f"""
            SELECT old, {NEW}, hash(image, old), hash(image, {NEW})
            FROM (SELECT i, image, {OLD} AS old, {udf} AS n FROM recs) ORDER BY i""").fetchall()
    return got


@settings(max_examples=150, deadline=None)
@given(records)
def test_normalised_text_equals_the_sql_definition(rows):
    for row, (old, new, old_key, new_key) in zip(rows * 2, compare(rows)):
        assert new == old, repr(row)
        assert new_key == old_key


def test_many_chunks_random_records():
    """> 2048 rows, so DuckDB hands several Arrow chunks (sliced buffers, non-zero offsets)."""
    rng = random.Random(5)
    rows = []
    for i in range(6000):
        turns_ = None if i % 97 == 0 else [
            None if rng.random() < 0.03 else NULL_TURN if rng.random() < 0.03 else "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(12)))
            for _ in range(rng.randrange(5))]
        rows.append((None if i % 11 == 0 else f"{i % 7}.jpg", turns_))
    got = compare(rows)
    assert all(new == old and new_key == old_key for old, new, old_key, new_key in got)
    assert sum(old is None for old, *_ in got) >= 120  # NULL lists and all-NULL turns stay NULL


def test_normalise_examples():
    """By hand: exact '<image>' goes (once: no re-scan), tabs and '\\r' stay, A-Z and É lower."""
    register(duckdb.connect())
    text, unicode = normalise(pa.array(["<image>\nA b", None, "<im<image>age>", "É\tX\r", "", "ΣA", "<ima", "ge>"]))
    assert text.to_pylist() == ["ab", None, "<image>", "é\tx\r", "", "Σa", "<ima", "ge>"]
    assert unicode.to_pylist() == [False, False, False, False, False, True, False, False]
    lists = pa.array([[{"from": "h", "value": "X"}], [{"from": "h", "value": "<ima"}, None, {"from": "g", "value": "ge>"}],
                      [], [{"from": "h", "value": None}], None, [{"from": "g", "value": "B c"}]], pa.list_(TURN))
    text, _ = normalise_turns(lists.slice(1))  # a slice: offsets that do not start at 0
    assert text.to_pylist() == ["", "", None, None, "bc"]  # '<ima' + 'ge>' joined is an '<image>'


OLD_DUPLICATES = f"""
WITH k AS (SELECT id, hash(image, conversations) AS exact_key, hash(image, {OLD}) AS norm_key FROM records),
g AS (SELECT CASE WHEN grouping(exact_key) = 0 THEN 'exact' ELSE 'normalised' END AS kind, count(*) AS n
      FROM k GROUP BY GROUPING SETS ((exact_key), (norm_key)) HAVING count(*) > 1)
SELECT kinds.kind, count(g.n), CAST(coalesce(sum(g.n), 0) AS BIGINT),
       CAST(coalesce(sum(g.n) - count(g.n), 0) AS BIGINT), max(g.n)
FROM (VALUES ('exact'), ('normalised')) kinds(kind) LEFT JOIN g USING (kind)
GROUP BY kinds.kind ORDER BY kinds.kind"""
OLD_GROUPS = f"""
WITH k AS (SELECT id, image, conversations[-1].value AS last_turn, hash(image, {OLD}) AS norm_key FROM records)
SELECT count(*), any_value(image), min(id, 5) AS example_ids, left(any_value(last_turn), 100)
FROM k GROUP BY norm_key HAVING count(*) > 1 ORDER BY count(*) DESC, example_ids LIMIT 50"""


def test_named_queries_report_what_the_old_sql_did(tmp_path):
    """Near duplicates by case, spacing, '<image>' and accented capitals, through the named queries."""
    base = ["<image>\nO que há na MESA?", "Há uma maçã vermelha. É DELA.", "Ça va <im<image>age>",
            "ΣΟΦΙΑ", "İstanbul", "Straße ẞ"]
    variants = [str.lower, str.upper, lambda s: s.replace(" ", "  "), lambda s: s.replace("<image>\n", ""),
                lambda s: s.replace("\n", " "), lambda s: s, lambda s: s.replace("É", "é")]
    items = []
    for i, text in enumerate(base * 3):
        for j, vary in enumerate(variants):
            items.append({"id": f"r{i}-{j}", "image": f"{i % 4}.jpg" if i % 5 else None,
                          "conversations": [{"from": "human", "value": vary(text)},
                                            {"from": "gpt", "value": vary(base[(i + 1) % len(base)])}]})
    items.append({"id": "empty", "image": None, "conversations": []})
    items.append({"id": "empty2", "image": None, "conversations": []})
    path = tmp_path / "near.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    with open_corpus([path]) as c:
        assert c.execute(named_queries()["duplicates"].sql).fetchall() == c.execute(OLD_DUPLICATES).fetchall()
        groups = c.execute(named_queries()["duplicate_groups"].sql).fetchall()
        assert groups == c.execute(OLD_GROUPS).fetchall()
    assert len(groups) >= 10


@pytest.mark.parametrize("bad", [pa.array([1, 2]), pa.chunked_array([["A b"], ["C"]])])
def test_normalise_accepts_other_arrow_inputs(bad):
    register(duckdb.connect())
    text, _ = normalise(bad)
    assert text.to_pylist() == [s.lower().replace(" ", "") for s in map(str, bad.to_pylist())]
