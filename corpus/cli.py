"""The `corpus` command line: a typer app, one thin command per library call.

Commands live in ``corpus/commands/<name>.py`` and register with `command`.
This file is the one place where named exceptions become one-line messages
and exit codes (0 ok, 1 problems found, 2 unusable input). ``--debug`` shows
the traceback instead. Nothing heavy is imported here: ``corpus --help`` is instant.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
import sys

import typer

from corpus import __version__
from corpus.errors import CorpusError

app = typer.Typer(
    name="corpus",
    help="Build, translate, filter and publish Brazilian-Portuguese LLaVA corpora.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
_state = {"debug": False}


def _message(e: BaseException) -> tuple[str, int]:
    """One table from exception types to (message, exit code)."""
    if isinstance(e, CorpusError):
        return e.one_line(), e.exit_code
    if isinstance(e, FileNotFoundError):
        return f"{e.filename}: no such file", 2
    if isinstance(e, PermissionError):
        return f"{e.filename}: permission denied", 2
    if isinstance(e, OSError):
        return f"{getattr(e, 'filename', '') or ''}: {e.strerror or e}".lstrip(": "), 2
    text = " ".join(str(e).split())
    return f"unexpected {type(e).__name__}: {text} (run with --debug for the traceback)", 2


def command(*args, writes: tuple[str, ...] = (), **kwargs):
    """Register a command whose errors become one-line messages (unless --debug).

    `writes` names the parameters the command writes to; they may name no file it reads,
    nor each other (`corpus.outpaths.check_distinct`).
    """

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*a, **kw):
            try:
                if writes:
                    from corpus.outpaths import check_distinct

                    check_distinct(kw, writes)
                return fn(*a, **kw)
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except Exception as e:  # the one place errors meet the user
                if _state["debug"]:
                    raise
                msg, code = _message(e)
                typer.echo(f"Error: {msg}", err=True)
                raise typer.Exit(code) from None

        app.command(*args, **kwargs)(wrapper)
        return fn

    return deco


def _version(value: bool) -> None:
    if value:
        typer.echo(f"corpus {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks instead of one-line errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Build, translate, filter and publish Brazilian-Portuguese LLaVA corpora."""
    _state["debug"] = debug


# --help lists panels in the order data flows through the tool.
PANELS = ("Data", "Translate", "Filter", "Curate", "Augment", "Query", "Publish", "Train")


def _load_commands() -> None:
    import corpus.commands as pkg

    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        if not mod.startswith("_"):
            importlib.import_module(f"corpus.commands.{mod}")

    def order(info) -> int:
        panel = info.rich_help_panel
        return PANELS.index(panel) if panel in PANELS else len(PANELS)

    app.registered_commands.sort(key=order)


_load_commands()


def main() -> None:
    app(prog_name="corpus")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
