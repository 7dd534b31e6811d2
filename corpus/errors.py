"""Named exceptions. The CLI maps each one to a one-line message and an exit code.

Exit codes: 0 ok, 1 problems found, 2 unusable input.
"""
from __future__ import annotations


class CorpusError(Exception):
    """Base class. `exit_code` tells the CLI what to return."""

    exit_code = 2

    def one_line(self) -> str:
        return " ".join(str(self).split())


class UnusableInput(CorpusError):
    """The input cannot be read at all: not JSON, not a list, unreadable file.

    Always names the file, and the position (line/offset/item) when known.
    """

    def __init__(self, path, rule: str, detail: str, position: str | None = None):
        self.path, self.rule, self.detail, self.position = str(path), rule, detail, position
        where = f"{self.path}" + (f" ({position})" if position else "")
        super().__init__(f"{where}: [{rule}] {detail}")


class UnsupportedFormat(UnusableInput):
    def __init__(self, path):
        super().__init__(path, "format", "unknown extension; use .json, .jsonl or .parquet")


class BadRecord(CorpusError):
    """One record breaks a rule in a way that stops the job (e.g. --on-error fail)."""

    def __init__(self, path, record_id, rule: str, detail: str):
        self.path, self.record_id, self.rule, self.detail = str(path), record_id, rule, detail
        super().__init__(f"{path}: record {record_id!r}: [{rule}] {detail}")


class UsageError(CorpusError):
    """Bad options or configuration given by the user."""


class EngineUnavailable(CorpusError):
    """A translation engine cannot run here (missing package, model, key)."""


class EngineFailed(CorpusError):
    """A translation engine kept failing after retries."""

    exit_code = 1


class MissingDependency(CorpusError):
    """An optional dependency is not installed; the message carries the install hint."""

    def __init__(self, package: str, extra: str):
        super().__init__(f"{package} is not installed: pip install 'corpus-ptbr[{extra}]'")


class ProblemsFound(CorpusError):
    """The job ran but found problems (findings, rejects with --strict, ...)."""

    exit_code = 1


class HubError(CorpusError):
    """Publishing to the Hugging Face Hub failed (token, offline, 401/403/404, repo type)."""


class InvariantBroken(CorpusError):
    """records_out + rejected != records_in: a stage lost records (a bug, never data)."""


def check_counts(result: dict, where: str = "") -> dict:
    """Enforce "nothing lost" on a command's stats; returns them. Never stripped by `python -O`."""
    out, rej, inp = result["records_out"], result["rejected"], result["records_in"]
    if out + rej != inp:
        raise InvariantBroken(f"{where or result.get('input', 'input')}: {out} written + {rej} rejected "
                              f"!= {inp} read; a stage dropped records without rejecting them")
    return result


class TrainError(CorpusError):
    """Fine-tuning, merging or evaluation cannot proceed."""
