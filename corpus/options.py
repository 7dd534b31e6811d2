"""Reusable CLI options as `Annotated` aliases, so every command spells them alike."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

Input = Annotated[Path, typer.Argument(help="A LLaVA corpus: .json (list), .jsonl or .parquet", show_default=False)]
Output = Annotated[Optional[Path], typer.Option("--output", "-o", help="Output file (.json, .jsonl or .parquet)")]
Rejects = Annotated[Optional[Path], typer.Option("--rejects", help="Write dropped records here (JSONL), with reasons")]
Stats = Annotated[Optional[Path], typer.Option("--stats", help="Write the run's counts here (JSON)")]
ImagesRoot = Annotated[Optional[Path], typer.Option("--images-root", help="Folder the records' `image` paths are relative to")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed; same seed, same output")]
