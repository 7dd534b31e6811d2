"""`corpus query`: real DuckDB over the project's fixtures (JSON, JSONL, Parquet) and real LLaVA data.

Expected values are computed independently in Python (corpus.stats, plain loops),
never copied from a DuckDB run.
"""
from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from corpus.cli import app
from corpus.io import write_records
from corpus.queries import named_queries
from corpus.query import open_corpus
from corpus.record import Record
from corpus.rejects import Rejects
from corpus.stats import corpus_stats

from conftest import EXAMPLES, rec, shared_path, write_json

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, ["query", *map(str, args)])


def rich_records():
    """Translated-looking records: meta scores, kept source, mixed id types, anomalies."""
    src = [{"from": "human", "value": "<image>\nWhat is on the table?"},
           {"from": "gpt", "value": "There is a red apple on the table and a knife next to it."}]
    return [
        rec(1, "<image>\nO que há na mesa?", "Há uma maçã vermelha na mesa e uma faca ao lado.",
            meta={"lang_label": "pt", "lang_score": 0.97, "variant_ptbr": 0.91}, source_conversations=src),
        rec("b2", "<image>\nO que há na mesa?", "Há uma maçã vermelha na mesa e uma faca ao lado.",
            meta={"lang_label": "pt", "lang_score": 0.95, "variant_ptbr": 0.88}, source_conversations=src),
        rec("b3", "<image>\no que  há na MESA?", "Há uma maçã vermelha na mesa e uma faca ao lado.",
            meta={"lang_label": "pt", "lang_score": 0.93, "variant_ptbr": 0.40}, source_conversations=src),
        rec("b4", "Descreva a <imagem>.", "The cat is sitting on the sofa and it is looking at the window.",
            image="coco/b4.jpg", meta={"lang_label": "en", "lang_score": 0.20, "variant_ptbr": 0.10},
            source_conversations=[{"from": "human", "value": "Describe the <image>."},
                                  {"from": "gpt", "value": "The cat is sitting on the sofa and it is looking at the window."}]),
        rec("b5", "Qual opção é um mamífero?", "Golfinho.", image=None, meta={"lang_label": "pt", "lang_score": 0.9}),
    ]


@pytest.fixture
def rich(tmp_path):
    return write_json(tmp_path / "rich.json", rich_records())


@pytest.fixture
def rejects_file(tmp_path):
    path = tmp_path / "rejects.jsonl"
    with Rejects(path) as rj:
        rj.add(Record.from_dict(rec("x1")), ["lang_not_target", "too_short"], stage="langid", detail="en 0.9")
        rj.add(Record.from_dict(rec(7)), "lang_not_target", stage="langid")
        rj.add(Record.from_dict(rec("x3")), "placeholder_missing", stage="checks")
    return path


def rows_of(con, sql):
    return con.execute(sql).fetchall()


def test_views_on_the_tiny_example_match_python_counts():
    path = EXAMPLES / "llava_tiny.json"
    raw = json.loads(path.read_text())
    with open_corpus([path]) as c:
        recs = rows_of(c, "SELECT id, image, n_turns, chars, category FROM records ORDER BY id")
        turns = rows_of(c, "SELECT record_id, idx, role, chars, words FROM turns ORDER BY record_id, idx")
    assert [r[0] for r in recs] == [d["id"] for d in raw]
    assert [r[2] for r in recs] == [len(d["conversations"]) for d in raw]
    assert [r[3] for r in recs] == [sum(len(t["value"]) for t in d["conversations"]) for d in raw]
    assert [r[4] for r in recs] == ["images", "images", "example"]  # image folder, else the record's "source"
    expected = [(d["id"], i, t["from"], len(t["value"]), len(t["value"].split()))
                for d in raw for i, t in enumerate(d["conversations"])]
    assert turns == expected


def test_mixed_ids_meta_and_source_are_exposed(rich):
    with open_corpus([rich]) as c:
        cat = c.catalog
        assert {"lang_label", "lang_score", "variant_ptbr", "source_chars"} <= set(cat.views["records"])
        assert {"source_value", "source_chars"} <= set(cat.views["turns"]) and "source_turns" in cat.views
        ids = [r[0] for r in rows_of(c, "SELECT id FROM records")]
        assert ids == ["1", "b2", "b3", "b4", "b5"]  # int and str ids, all VARCHAR
        r = rows_of(c, "SELECT lang_score, variant_ptbr, meta->>'lang_label' FROM records WHERE id = 'b4'")[0]
        assert r == (0.20, 0.10, "en")
        src = rows_of(c, "SELECT source_chars, chars FROM turns WHERE record_id = '1' AND idx = 1")[0]
        assert src == (len(rich_records()[0]["source_conversations"][1]["value"]),
                       len(rich_records()[0]["conversations"][1]["value"]))
        assert rows_of(c, "SELECT count(*) FROM source_turns")[0][0] == 8


@pytest.mark.parametrize("ext", ["jsonl", "parquet"])
def test_jsonl_and_parquet_give_the_same_views_as_json(tmp_path, rich, ext):
    other = tmp_path / f"rich.{ext}"
    write_records(other, [Record.from_dict(d) for d in rich_records()])
    sql = ("SELECT id, image, n_turns, chars, category, lang_score, variant_ptbr, source_chars "
           "FROM records ORDER BY id")
    tsql = "SELECT record_id, idx, role, value, chars, words, source_value FROM turns ORDER BY record_id, idx"
    with open_corpus([rich]) as a, open_corpus([other]) as b:
        assert rows_of(a, sql) == rows_of(b, sql)
        assert rows_of(a, tsql) == rows_of(b, tsql)


def test_several_inputs_union_with_and_without_meta(rich):
    with open_corpus([rich, EXAMPLES / "llava_tiny.json"]) as c:
        got = rows_of(c, "SELECT source_file, count(*), count(lang_score) FROM records GROUP BY 1")
    assert {(f, n, k) for f, n, k in got} == {(str(rich), 5, 5), (str(EXAMPLES / "llava_tiny.json"), 3, 0)}


def test_every_named_query_runs_and_says_what_it_shows(rich, rejects_file):
    queries = named_queries()
    assert {"length_by_role", "turns_per_record", "placeholder_anomalies", "duplicates", "residual_english",
            "repeated_answers", "rejects_by_reason", "image_reuse", "source_mix", "source_vs_translation"} <= set(queries)
    with open_corpus([rich], rejects_file) as c:
        for nq in queries.values():
            assert nq.description and not nq.missing(c.catalog), nq.name
            c.execute(nq.sql).fetchall()


def named(c, name):
    cur = c.execute(named_queries()[name].sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def test_named_query_results(rich, rejects_file):
    with open_corpus([rich], rejects_file) as c:
        dup = {r["kind"]: r for r in named(c, "duplicates")}
        # 1 and b2 are identical; b3 differs only in case and spacing
        assert (dup["exact"]["groups"], dup["exact"]["records_in_groups"]) == (1, 2)
        assert (dup["normalised"]["groups"], dup["normalised"]["records_in_groups"]) == (1, 3)
        anomalies = {r["rule"]: r["example_ids"] for r in named(c, "placeholder_anomalies")}
        assert anomalies == {"placeholder_missing": ["b4"], "placeholder_mangled": ["b4"]}
        flagged = [(r["record_id"], r["idx"]) for r in named(c, "residual_english_turns")]
        assert flagged == [("b4", 1)]  # the untranslated answer, not the Portuguese turns
        rej = {(r["reason"], r["stage"]): r["records"] for r in named(c, "rejects_by_reason")}
        assert rej == {("lang_not_target", "langid"): 2, ("placeholder_missing", "checks"): 1}
        top = named(c, "repeated_answers")[0]
        assert (top["times"], top["answer"]) == (3, "Há uma maçã vermelha na mesa e uma faca ao lado.")
        svt = {r["role"]: r for r in named(c, "source_vs_translation")}
        assert svt["gpt"]["identical_to_source"] == 1 and svt["gpt"]["without_source"] == 1
        # both means over the turns that have a source (stop 14: the turn without one pulled mean_chars down)
        paired = c.con.execute("SELECT round(avg(chars), 1), round(avg(source_chars), 1) FROM turns "
                               "WHERE role = 'gpt' AND source_value IS NOT NULL").fetchone()
        assert (svt["gpt"]["mean_chars"], svt["gpt"]["mean_source_chars"]) == paired
        everything = c.con.execute("SELECT round(avg(chars), 1) FROM turns WHERE role = 'gpt'").fetchone()[0]
        assert everything != paired[0]
        assert [r["image"] for r in named(c, "image_reuse")] == ["a.jpg"]
        tpr = named(c, "turns_per_record")
        assert [(r["n_turns"], r["records"]) for r in tpr] == [(2, 5)]
        bins = {r["bin_from"]: r["records"] for r in named(c, "variant_scores")}
        assert bins == {0.1: 1, 0.4: 1, 0.8: 1, 0.9: 1}


def test_cli_table_csv_json_and_files(tmp_path, rich):
    res = cli(rich, "SELECT id, n_turns FROM records ORDER BY id", "--format", "csv")
    assert res.exit_code == 0, res.output
    assert list(csv.reader(io.StringIO(res.stdout))) == [["id", "n_turns"], ["1", "2"], ["b2", "2"], ["b3", "2"],
                                                          ["b4", "2"], ["b5", "2"]]
    res = cli(rich, "--named", "overview", "--format", "json")
    assert json.loads(res.stdout)[0]["records"] == 5
    res = cli(rich, "--named", "length_by_role")
    assert res.exit_code == 0 and "human" in res.stdout and "gpt" in res.stdout
    out = tmp_path / "turns.parquet"
    res = cli(rich, "SELECT * FROM turns", "-o", out)
    assert res.exit_code == 0, res.output
    assert pq.read_table(out).num_rows == 10
    out = tmp_path / "mix.json"
    assert cli(rich, "--named", "source_mix", "-o", out).exit_code == 0
    mix = {r["category"]: r["records"] for r in json.loads(out.read_text())}
    assert mix == {"image": 3, "coco": 1, "text-only": 1}


def test_list_names_every_sql_file():
    res = cli("--list")
    assert res.exit_code == 0
    for name in named_queries():
        assert name in res.stdout


@pytest.mark.parametrize("sql, message", [
    ("SELEC 1", "Error: SQL error: Parser Error: syntax error"),
    ("SELECT nope FROM records", 'Error: SQL error: Binder Error: Referenced column "nope" not found'),
    ("SELECT * FROM rejects", "Error: SQL error: Catalog Error: Table with name rejects does not exist"),
])
def test_bad_sql_is_one_line_and_exit_2(rich, sql, message):
    res = cli(rich, sql)
    assert res.exit_code == 2
    assert res.output.startswith(message) and res.output.count("\n") == 1 and "Traceback" not in res.output


def test_named_query_needing_absent_data_says_so(tmp_path):
    tiny = EXAMPLES / "llava_tiny.json"
    res = cli(tiny, "--named", "lang_scores")
    assert res.exit_code == 2 and res.output.count("\n") == 1
    assert "needs column records.lang_score" in res.output and "corpus filter" in res.output
    res = cli(tiny, "--named", "source_vs_translation")
    assert res.exit_code == 2 and "--keep-source" in res.output
    res = cli(tiny, "--named", "rejects_by_reason")
    assert res.exit_code == 2 and "--rejects FILE" in res.output
    assert cli(tiny, "--named", "no_such_query").exit_code == 2


def test_unusable_inputs_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[{\"id\": 1, \"conversations\": [")
    res = cli(bad, "SELECT 1")
    assert res.exit_code == 2 and str(bad) in res.output and res.output.count("\n") == 1
    res = cli(tmp_path / "absent.json", "SELECT 1")
    assert res.exit_code == 2 and "no such file" in res.output
    res = cli(write_json(tmp_path / "x.json", [{"id": 1, "text": "no turns"}]), "SELECT 1")
    assert res.exit_code == 2 and "conversations" in res.output


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.one_of(st.integers(0, 10**6), st.text("abc", min_size=1, max_size=5)),
                          st.lists(texts, min_size=1, max_size=4)), min_size=1, max_size=6))
def test_turn_counts_and_lengths_match_python(tmp_path, items):
    records = [rec(rid, *turns) for rid, turns in items]
    path = write_json(tmp_path / "h.json", records)
    with open_corpus([path]) as c:
        got = rows_of(c, "SELECT record_id, idx, role, chars, words FROM turns")
    want = [(str(d["id"]), i, t["from"], len(t["value"]), len(t["value"].replace("\n", " ").split(" ")) -
             t["value"].replace("\n", " ").split(" ").count("")) for d in records for i, t in enumerate(d["conversations"])]
    assert sorted(got) == sorted(want)


@pytest.mark.shared
@pytest.mark.parametrize("name", ["llava_instruct_sample50.json", "llava_pretrain_sample2k.json",
                                  "scienceqa_llava_test_CQM-A.json"])
def test_overview_matches_corpus_stats_on_real_data(name):
    path = shared_path("llava", name)
    s = corpus_stats(path)
    with open_corpus([path]) as c:
        ov = named(c, "overview")[0]
        by_role = {r["role"]: r["turns"] for r in named(c, "length_by_role")}
        text_only = rows_of(c, "SELECT count(*) FROM records WHERE category = 'text-only'")[0][0]
    assert (ov["records"], ov["turns"], ov["chars"]) == (s["records"], s["turns"], s["chars"])
    assert (ov["unique_images"], ov["placeholders"], ov["text_only_records"]) == (
        s["unique_images"], s["placeholders"], s["text_only_records"])
    assert by_role == s["turns_by_role"] and text_only == s["text_only_records"]


# --- word counts: the vectorised UDFs against a plain-Python reference -------------------

def python_word_stats(text):
    """The definition: words split on ' ' and '\\n'; function words lower-case or Capitalised."""
    from corpus.query_words import ENGLISH_FUNCTION_WORDS

    if text is None:
        return None, None
    forms = set(ENGLISH_FUNCTION_WORDS) | {w.capitalize() for w in ENGLISH_FUNCTION_WORDS}
    words = [w for w in text.replace("\n", " ").split(" ") if w]
    return len(words), sum(w in forms for w in words)


def udf_rows(c, texts):
    """(word_count, english_function_words, word_stats, list macros) per text, in order."""
    c.con.execute("CREATE OR REPLACE TEMP TABLE texts AS SELECT * FROM (SELECT unnest(?::VARCHAR[]) AS s, "
                  "generate_subscripts(?::VARCHAR[], 1) AS i)", [texts, texts])
    return c.execute("""SELECT word_count(s), english_function_words(s), word_stats(s).words,
                               word_stats(s).english, len(tokens(s)), english_tokens(tokens(s))
                        FROM texts ORDER BY i""").fetchall()


SENTENCES = [
    "The cat is sitting on the sofa and it is looking at the window.",
    "O gato está sentado no sofá e olha para a janela.",
    "THE END. The end, the end; there's it's There's theater other's",
    "  leading and trailing\n\nnewlines  between\twords\r\n",
    "<image>\nWhat is in the image?",
    "", "   ", "\n", "é the É The",
]
vocabulary = st.sampled_from(["the", "The", "THE", "there's", "It's", "an", "An", "de", "não", "theater", "thé",
                              "the,", "(the", "in", "x", "palavra", "<image>", "\x00the", "the\x00", "éé"])
separators = st.sampled_from([" ", "  ", "\n", "\t", "\r\n", "", " \n "])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.tuples(vocabulary, separators), max_size=12).map(
    lambda parts: "".join(w + s for w, s in parts)), texts), min_size=1, max_size=30))
def test_word_udfs_match_python_reference(items):
    with open_corpus([EXAMPLES / "llava_tiny.json"]) as c:
        got = udf_rows(c, items)
    for text, row in zip(items, got):
        words, english = python_word_stats(text)
        assert row[:4] == (words, english, words, english), repr(text)
        if text is not None:
            assert row[4:] == (words, english), repr(text)  # the list macros agree


def test_word_udfs_on_real_sentences_and_many_chunks():
    """Real English and Portuguese sentences, and > 2048 rows so DuckDB hands several Arrow chunks."""
    with open_corpus([EXAMPLES / "llava_tiny.json"]) as c:
        assert udf_rows(c, SENTENCES) == [python_word_stats(t) * 3 for t in SENTENCES]
        many = [SENTENCES[i % len(SENTENCES)] + " the" * (i % 5) for i in range(5000)]
        got = udf_rows(c, many)
    assert [r[:2] for r in got] == [python_word_stats(t) for t in many]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.tuples(vocabulary, separators), max_size=8).map(
    lambda parts: "".join(w + s for w, s in parts))), min_size=1, max_size=12),
       st.integers(0, 3), st.booleans())
def test_count_words_on_arrow_slices(items, cut, large):
    """count_words straight on Arrow arrays: sliced ones (text not 8-byte aligned: a copy is read)
    and whole ones (read in place, the last bytes from a padded copy), string and large_string.
    Runs that go on from one string into the next are split at the boundary."""
    import pyarrow as pa

    from corpus.query_words import count_words

    arr = pa.array(items, pa.large_string() if large else pa.string()).slice(min(cut, len(items) - 1))
    words, english = count_words(arr)
    assert list(zip(words.to_pylist(), english.to_pylist())) == [python_word_stats(t) for t in arr.to_pylist()]


@given(st.lists(st.booleans(), max_size=300), st.data())
def test_count_before_counts_true_elements_before_each_position(mask, data):
    import numpy as np

    from corpus.arrow_udf import count_before

    m = np.array(mask, dtype=bool)
    positions = np.array(sorted(data.draw(st.lists(st.integers(0, len(m)), max_size=20))), dtype=np.int64)
    assert count_before(m, positions).tolist() == [int(m[:p].sum()) for p in positions]


@pytest.mark.shared
def test_residual_english_counts_match_python_on_real_data():
    path = shared_path("llava", "llava_instruct_sample50.json")
    raw = json.loads(path.read_text())
    with open_corpus([path]) as c:
        by_role = {r["role"]: r for r in named(c, "residual_english")}
    for role in ("human", "gpt"):
        stats = [python_word_stats(t["value"]) for d in raw for t in d["conversations"] if t["from"] == role]
        words, english = sum(w for w, _ in stats), sum(e for _, e in stats)
        assert by_role[role]["words"] == words
        assert by_role[role]["english_pct"] == round(100.0 * english / words, 2)
        assert by_role[role]["flagged_turns"] == sum(w >= 5 and e >= 0.2 * w for w, e in stats)


def test_one_non_string_turn_value_leaves_the_other_records_alone(tmp_path):
    """Found in stop 14: one `"value": 5` made DuckDB type every turn value as JSON, so all the
    other records' values gained quotes and escapes, and their chars and words changed."""
    good = [rec("a", "<image>\nO que há na foto?", "Um gato\ndormindo."), rec("b", "Oi?", "Olá.")]
    odd = {"id": "n", "conversations": [{"from": "human", "value": 5}]}
    clean, mixed = write_json(tmp_path / "g.json", good), write_json(tmp_path / "m.json", good + [odd])

    def rows(path, sql):
        with open_corpus([path]) as c:
            return c.con.execute(sql).fetchall()

    sql = "SELECT id, chars FROM records WHERE id <> 'n' ORDER BY id"
    assert rows(mixed, sql) == rows(clean, sql)
    values = rows(mixed, "SELECT value FROM turns ORDER BY record_id, idx")
    assert [v for (v,) in values] == ["<image>\nO que há na foto?", "Um gato\ndormindo.", "Oi?", "Olá.", "5"]


def test_items_that_are_not_objects_say_which_tool_finds_them(tmp_path):
    src = write_json(tmp_path / "s.json", [rec("a"), "not a record"])
    r = runner.invoke(app, ["query", str(src), "SELECT count(*) FROM records"])
    assert r.exit_code == 2
    assert "some items are not LLaVA objects" in " ".join(r.output.split()) and "corpus validate" in r.output
