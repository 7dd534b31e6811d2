"""No write may destroy an input: a command's output paths must differ from its inputs and each other.

Each command names the parameters it writes (``@command(writes=("output", "rejects", "stats"))``);
every other parameter whose value is an existing path is something it reads. Before
the command runs, `check_distinct` refuses ``corpus filter in.json -o out.json --rejects in.json``
(the rejects would replace the input) or ``--stats out.json`` (the stats would replace the output).

Example:
    >>> check_distinct({"input": "README.md", "output": "README.md"}, ("output",))
    Traceback (most recent call last):
    ...
    corpus.errors.UsageError: README.md: --output would overwrite a file this command reads (input)
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from corpus.errors import UsageError


def _paths(value: Any) -> Iterable[Path]:
    if isinstance(value, (str, os.PathLike)):
        yield Path(value)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _paths(v)


def _key(p: Path) -> Path:
    return p.expanduser().resolve()


def check_distinct(params: dict[str, Any], writes: Sequence[str]) -> None:
    """Raise UsageError when a written parameter names an input file or another written one."""
    reads: dict[Path, str] = {}
    for name, value in params.items():
        if name in writes:
            continue
        for p in _paths(value):
            try:
                if p.exists():
                    reads.setdefault(_key(p), name)
            except (OSError, ValueError):  # an SQL string or a label is not a path
                continue
    seen: dict[Path, str] = {}
    for name in writes:
        for p in _paths(params.get(name)):
            k = _key(p)
            if k in reads:
                raise UsageError(f"{p}: --{name.replace('_', '-')} would overwrite a file this command reads ({reads[k]})")
            if k in seen:
                raise UsageError(f"{p}: --{name.replace('_', '-')} and --{seen[k].replace('_', '-')} are the same file")
            seen[k] = name
