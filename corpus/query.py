"""SQL over corpora: DuckDB views on JSON, JSONL and Parquet inputs, read in place.

DuckDB parses the files itself (LLaVA lists included: ``conversations`` becomes
``STRUCT("from", "value")[]``), so nothing is loaded into Python lists. Views:

``records``  id, image, n_turns, chars, placeholders, category, source_file, meta (JSON),
             one typed column per scalar ``meta`` field present (lang_score, variant_ptbr, ...),
             conversations; source_conversations, n_source_turns, source_chars when kept.
``turns``    record_id, idx (0-based), role, value, chars, words, source_file;
             source_role, source_value, source_chars when the source was kept.
``source_turns``  the kept source turns alone (when ``source_conversations`` exists).
``rejects``  id, stage, reason (the first), reasons, detail, position, record (JSON), rejects_file.

Example:
    >>> con = open_corpus(["train.json"], rejects="rejects.jsonl")   # doctest: +SKIP
    >>> con.execute("SELECT role, avg(chars) FROM turns GROUP BY role").fetchall()  # doctest: +SKIP
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from corpus.errors import UnusableInput, UsageError
from corpus.query_words import ENGLISH_FUNCTION_WORDS  # noqa: F401  (re-exported)

TURN_TYPE = 'STRUCT("from" VARCHAR, "value" VARCHAR)'
TURN_JSON = '[{"from": "VARCHAR", "value": "VARCHAR"}]'
# Columns a named query may rely on, with what produces them (for one-line hints).
HINTS = {
    "lang_score": "language scoring in `corpus filter` writes meta.lang_score",
    "lang_label": "language scoring in `corpus filter` writes meta.lang_label",
    "variant_ptbr": "the pt-BR variant filter writes meta.variant_ptbr",
    "source_value": "`corpus translate --keep-source` keeps the source turns",
    "source_chars": "`corpus translate --keep-source` keeps the source turns",
    "source_turns": "`corpus translate --keep-source` keeps the source turns",
    "rejects": "give a rejects file with --rejects FILE",
}
# Top-level keys that name where a record came from, in order of preference.
CATEGORY_KEYS = ("source", "dataset", "category", "task")
_CORE = {"id", "image", "n_turns", "chars", "placeholders", "category", "source_file", "meta",
         "conversations", "source_conversations", "n_source_turns", "source_chars"}
_SCALAR = re.compile(r"^(VARCHAR|DOUBLE|FLOAT|BIGINT|INTEGER|UBIGINT|HUGEINT|BOOLEAN|JSON|DECIMAL.*)$")


def q(s: str) -> str:
    """A SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def one_line(e: BaseException) -> str:
    """DuckDB's message without the caret diagram, on one line."""
    msg = str(e).split("\n\nLINE ")[0]
    return " ".join(msg.split())


@dataclass
class Catalog:
    """What the views hold, so named queries can say what is missing."""

    views: dict[str, list[str]] = field(default_factory=dict)
    meta_fields: list[str] = field(default_factory=list)
    has_source: bool = False

    def has(self, requirement: str) -> bool:
        view, _, column = requirement.partition(".")
        return view in self.views and (not column or column in self.views[view])


def _read_sql(path: Path, sample_size: int) -> str:
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({q(path)})"
    if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        raise UnusableInput(path, "format", "unknown extension; use .json, .jsonl or .parquet")
    return f"read_json({q(path)}, format='auto', sample_size={sample_size})"


def _turn_list(col: str, typ: str | None) -> str:
    """An expression giving `col` as a canonical list of (from, value) structs."""
    if typ is None:
        return f"NULL::{TURN_TYPE}[]"
    if typ == f"{TURN_TYPE}[]":
        return col
    if typ.startswith("STRUCT(") and typ.endswith("[]"):  # turns with extra keys, or a value not always a string
        fields = dict(_struct_fields(typ[:-2]))

        def text(name: str) -> str:
            # a JSON-typed field (one turn's value was a number) cast to VARCHAR keeps the quotes
            # and escapes of every other turn: ->>'$' gives the plain text
            return f"t.{ident(name)}->>'$'" if fields.get(name) == "JSON" else f"t.{ident(name)}::VARCHAR"

        return f"list_transform({col}, lambda t: {{'from': {text('from')}, 'value': {text('value')}}})"
    return f"from_json({col}::JSON, {q(TURN_JSON)})"  # JSON or VARCHAR holding JSON


class _Source:
    """One input file as a normalised SELECT (id VARCHAR, image VARCHAR, ...)."""

    def __init__(self, con, path: Path, sample_size: int):
        self.path = path
        self.rel = _read_sql(path, sample_size)
        try:
            self.types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {self.rel}").fetchall()}
        except Exception as e:
            raise UnusableInput(path, "duckdb", one_line(e) + "; `corpus validate` names the bad items, "
                                                              "`corpus filter` sets them aside") from None
        if self.rel.startswith("read_json("):
            # Pin the detected schema: otherwise every query re-samples the file to bind.
            cols = ", ".join(f"{q(k)}: {q(v)}" for k, v in self.types.items())
            self.rel = self.rel[:-1] + f", columns={{{cols}}})"
        if "conversations" not in self.types:
            if list(self.types.values()) == ["JSON"]:  # DuckDB fell back to one column: items are not all objects
                raise UnusableInput(path, "schema", "some items are not LLaVA objects, so DuckDB cannot read it as "
                                                    "records; `corpus validate` names them, `corpus filter` sets them aside")
            raise UnusableInput(path, "schema", "no 'conversations' field: not a LLaVA corpus")
        self.meta_struct = self._meta_struct(con)
        self.extra_json = self.types.get("extra") in ("VARCHAR", "JSON")  # corpus Parquet layout
        self.has_source = "source_conversations" in self.types or (
            self.extra_json and con.execute(
                f"SELECT bool_or(json_exists(extra, '$.source_conversations')) FROM {self.rel}").fetchone()[0])

    def _meta_struct(self, con) -> dict[str, str]:
        t = self.types.get("meta")
        if t is None:
            return {}
        if t in ("VARCHAR", "JSON"):  # Parquet keeps meta as a JSON string: learn its shape
            shape = con.execute(
                f"SELECT json_group_structure(meta::JSON) FROM {self.rel} WHERE meta IS NOT NULL").fetchone()[0]
            if not shape or not str(shape).startswith("{"):
                return {}
            self.meta_expr = f"from_json(meta::JSON, {q(shape)})"
            t = con.execute(f"SELECT typeof({self.meta_expr}) FROM {self.rel} LIMIT 1").fetchone()[0]
        else:
            self.meta_expr = "meta"
        if not t.startswith("STRUCT("):
            return {}
        return dict(_struct_fields(t))

    def select(self, meta_cols: dict[str, str]) -> str:
        t = self.types
        if "id" not in t:
            rid = "NULL::VARCHAR"
        elif t["id"] == "JSON":  # mixed int and str ids in one file
            rid = "id->>'$'"
        else:
            rid = "CAST(id AS VARCHAR)"
        img = t.get("image")
        if img is None:
            image = "NULL::VARCHAR"
        elif img.startswith("STRUCT(") and "path" in dict(_struct_fields(img)):
            image = "image.path::VARCHAR"  # datasets' Image feature
        elif img == "JSON":
            image = "image->>'$'"
        else:
            image = "CAST(image AS VARCHAR)"
        if "source_conversations" in t:
            src = _turn_list("source_conversations", t["source_conversations"])
        elif self.has_source:
            src = f"from_json(json_extract(extra, '$.source_conversations'), {q(TURN_JSON)})"
        else:
            src = f"NULL::{TURN_TYPE}[]"
        cat = next((k for k in CATEGORY_KEYS if k in t and _SCALAR.match(t[k])), None)
        if cat:
            category = f"CAST({ident(cat)} AS VARCHAR)"
        elif self.extra_json:
            category = "coalesce(" + ", ".join(f"extra->>{q('$.' + k)}" for k in CATEGORY_KEYS) + ")"
        else:
            category = "NULL::VARCHAR"
        cols = [f"{rid} AS id", f"{image} AS image",
                f"{_turn_list('conversations', t['conversations'])} AS conversations",
                f"{src} AS source_conversations", f"{category} AS category_key",
                f"{q(self.path)} AS source_file"]
        if self.meta_struct:
            cols.append(f"to_json({self.meta_expr}) AS meta")
            for name, col in meta_cols.items():
                if name in self.meta_struct:
                    cols.append(f"{self.meta_expr}.{ident(name)} AS {ident(col)}")
                else:
                    cols.append(f"NULL AS {ident(col)}")
        else:
            cols.append("NULL::JSON AS meta")
            cols += [f"NULL AS {ident(col)}" for col in meta_cols.values()]
        return f"SELECT {', '.join(cols)} FROM {self.rel}"


def _struct_fields(t: str) -> list[tuple[str, str]]:
    """Top-level (name, type) pairs of a DuckDB STRUCT type string."""
    body, out, depth, cur = t[len("STRUCT("):-1], [], 0, ""
    for ch in body + ",":
        if ch == "," and depth == 0:
            name, _, typ = cur.strip().partition(" ")
            out.append((name.strip('"'), typ.strip()))
            cur = ""
            continue
        depth += ch in "(["
        depth -= ch in ")]"
        cur += ch
    return [(n, ty) for n, ty in out if n]


def _macros(con) -> None:
    """SQL helpers the views and named queries share; users may call them too."""
    from corpus.query_keys import register as register_keys
    from corpus.query_words import FORMS, register

    # word_count(s), english_function_words(s), word_stats(s): vectorised Python UDFs (see
    # corpus/query_words.py: ~2x faster than the list-and-lambda macros they replace).
    register(con)
    # normalised_text(s): the duplicate key's text, vectorised too (corpus/query_keys.py).
    register_keys(con)
    # Lists of words, for users who want the words themselves.
    con.execute("""CREATE OR REPLACE TEMP MACRO tokens(s) AS
        list_filter(string_split(replace(s, chr(10), ' '), ' '), lambda w: w <> '')""")
    con.execute(f"""CREATE OR REPLACE TEMP MACRO english_tokens(toks) AS
        len(list_filter(toks, lambda w: list_contains([{", ".join(q(w) for w in FORMS)}], w)))""")
    # One RE2 DFA pass, no allocation: a cheap test for "any English at all".
    con.execute(f"""CREATE OR REPLACE TEMP MACRO has_english(s) AS
        regexp_matches(s, {q(chr(92) + "b(?:" + "|".join(sorted(set(ENGLISH_FUNCTION_WORDS))) + ")" + chr(92) + "b")}, 'i')""")


def _chars(col: str) -> str:
    return f"CAST(coalesce(list_sum(list_transform({col}, lambda t: length(t.value))), 0) AS BIGINT)"


def open_corpus(inputs: Iterable[str | os.PathLike], rejects: str | os.PathLike | None = None,
                *, sample_size: int = 20480, con=None):
    """A DuckDB connection with the views above; `.catalog` says what they hold."""
    import duckdb

    paths = [Path(p) for p in inputs]
    if not paths:
        raise UsageError("give at least one input file")
    for p in paths + ([Path(rejects)] if rejects else []):
        if not p.is_file():
            raise FileNotFoundError(2, "no such file", str(p))
    con = con or duckdb.connect()
    # Otherwise DuckDB resolves unknown table names to Python variables of the caller.
    con.execute("SET python_enable_replacements = false")
    _macros(con)
    sources = [_Source(con, p, sample_size) for p in paths]
    meta_fields = sorted({n for s in sources for n, ty in s.meta_struct.items() if _SCALAR.match(ty)})
    meta_cols = {n: (f"meta_{n}" if n in _CORE else n) for n in meta_fields}
    union = "\nUNION ALL BY NAME\n".join(s.select(meta_cols) for s in sources)
    has_source = any(s.has_source for s in sources)
    mcols = "".join(f", {ident(c)}" for c in meta_cols.values())
    src_chars = f"CASE WHEN source_conversations IS NOT NULL THEN {_chars('source_conversations')} END"
    src_cols = (f", source_conversations, len(source_conversations) AS n_source_turns, {src_chars} AS source_chars"
                if has_source else "")
    con.execute(f"CREATE OR REPLACE TEMP VIEW _corpus AS {union}")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW records AS
        SELECT id, image, len(conversations) AS n_turns, {_chars('conversations')} AS chars,
          CAST(coalesce(list_sum(list_transform(conversations,
            lambda t: CASE WHEN contains(t.value, '<image>') THEN len(string_split(t.value, '<image>')) - 1
                           ELSE 0 END)), 0) AS BIGINT) AS placeholders,
          -- a top folder named like a dataset (coco/, gqa/, ocr_vqa/), not a numbered shard (00001/)
          coalesce(category_key, CASE WHEN image IS NULL THEN 'text-only'
                                      WHEN contains(image, '/') AND regexp_matches(split_part(image, '/', 1), '[A-Za-z]')
                                      THEN split_part(image, '/', 1) ELSE 'image' END) AS category,
          source_file{mcols}, meta, conversations{src_cols}
        FROM _corpus""")
    src_unnest = ", unnest(source_conversations) AS s" if has_source else ""
    src_turn = (", s.\"from\" AS source_role, s.value AS source_value, length(s.value) AS source_chars"
                if has_source else "")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW turns AS
        SELECT record_id, idx, t."from" AS role, t.value AS value, length(t.value) AS chars,
               word_count(t.value) AS words, source_file{src_turn}
        FROM (SELECT id AS record_id, source_file, generate_subscripts(conversations, 1) - 1 AS idx,
                     unnest(conversations) AS t{src_unnest} FROM _corpus)
        {"WHERE t IS NOT NULL" if has_source else ""}""")
    if has_source:
        con.execute("""CREATE OR REPLACE TEMP VIEW source_turns AS
            SELECT id AS record_id, generate_subscripts(source_conversations, 1) - 1 AS idx,
                   unnest(source_conversations).\"from\" AS role, unnest(source_conversations).value AS value,
                   length(unnest(source_conversations).value) AS chars, source_file
            FROM _corpus""")
    if rejects:
        con.execute(f"""CREATE OR REPLACE TEMP VIEW rejects AS
            SELECT id->>'$' AS id, stage, reasons[1] AS reason, reasons, detail, position, record,
                   {q(rejects)} AS rejects_file
            FROM read_json({q(rejects)}, format='newline_delimited', maximum_object_size=268435456,
              columns={{'id': 'JSON', 'stage': 'VARCHAR', 'reasons': 'VARCHAR[]', 'detail': 'VARCHAR',
                        'position': 'VARCHAR', 'record': 'JSON'}})""")
        try:  # the view reads lazily: a file that is not a rejects file fails here, named, not mid-query
            con.execute("SELECT * FROM rejects LIMIT 1").fetchall()
        except duckdb.Error as e:
            raise UnusableInput(rejects, "rejects", f"not a rejects JSON-lines file: {one_line(e)}") from None
    cat = Catalog(meta_fields=meta_fields, has_source=has_source)
    for view in ("records", "turns", "source_turns", "rejects"):
        try:
            cat.views[view] = [r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()]
        except duckdb.CatalogException:
            pass  # that view was not created for these inputs
    return Corpus(con, cat)


class Corpus:
    """The connection plus its catalog (DuckDB connections take no attributes)."""

    def __init__(self, con, catalog: Catalog):
        self.con, self.catalog = con, catalog

    def execute(self, sql: str, params=None):
        """Run SQL; a DuckDB error becomes a one-line UsageError (exit 2)."""
        import duckdb

        try:
            return self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        except duckdb.Error as e:
            raise UsageError(f"SQL error: {one_line(e)}") from None

    def sql(self, sql: str):
        import duckdb

        try:
            return self.con.sql(sql)
        except duckdb.Error as e:
            raise UsageError(f"SQL error: {one_line(e)}") from None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
