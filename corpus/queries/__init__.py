"""Named DuckDB queries shipped as .sql files.

Each file starts with comment lines: the first is the description, and
``-- requires: view.column, view`` lists what the query needs, so a query
over an input that lacks it fails with one clear line instead of a DuckDB
binder error::

    -- Language score distribution (meta.lang_score), in bins of 0.1.
    -- requires: records.lang_score
    SELECT ...
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from corpus.errors import UsageError


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    requires: tuple[str, ...]
    sql: str

    def missing(self, catalog) -> list[str]:
        """The requirements this catalog lacks."""
        return [r for r in self.requires if not catalog.has(r)]


def _parse(name: str, text: str) -> NamedQuery:
    description, requires = "", []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        if body.lower().startswith("requires:"):
            requires += [r.strip() for r in body.split(":", 1)[1].split(",") if r.strip()]
        elif not description:
            description = body
    return NamedQuery(name, description, tuple(requires), text.strip().rstrip(";"))


def named_queries() -> dict[str, NamedQuery]:
    """All shipped queries by name (the file stem), sorted."""
    files = sorted(f for f in resources.files(__name__).iterdir() if f.name.endswith(".sql"))
    return {f.name[:-4]: _parse(f.name[:-4], f.read_text(encoding="utf-8")) for f in files}


def get_named(name: str) -> NamedQuery:
    queries = named_queries()
    if name not in queries:
        raise UsageError(f"no named query {name!r}; choose from: {', '.join(queries)} (see corpus query --list)")
    return queries[name]
