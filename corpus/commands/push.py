"""`corpus push`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from corpus.cli import command
from corpus.console import out


@command(rich_help_panel="Publish")
def push(
    repo_dir: Annotated[Path, typer.Argument(help="A dataset folder written by `corpus build`", show_default=False)],
    repo_id: Annotated[str, typer.Option("--repo-id", help="Dataset repo on the Hub: org/name", show_default=False)],
    private: Annotated[bool, typer.Option("--private", help="Create the repo private")] = False,
    token: Annotated[Optional[str], typer.Option(
        "--token", help="Hub token with write access \\[default: HF_TOKEN, then `hf auth login`]",
        show_default=False)] = None,
    revision: Annotated[Optional[str], typer.Option("--revision", help="Branch to commit to (created if missing)")] = None,
    create_pr: Annotated[bool, typer.Option("--create-pr", help="Open a pull request instead of committing")] = False,
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="Commit message")] = None,
) -> None:
    """Publish a built dataset folder to the Hugging Face Hub (create the repo, upload, commit).

    The token is never printed. HF_ENDPOINT selects another Hub.

    Example: corpus push llava-ptbr/ --repo-id my-org/llava-ptbr --private
    """
    from corpus.hub import push as push_folder

    res = push_folder(repo_dir, repo_id, private=private, token=token, revision=revision,
                      create_pr=create_pr, commit_message=message)
    out.print(f"pushed {repo_dir} ({res['shards']} shard(s) + README.md) to datasets/{res['repo_id']} "
              f"[{res['revision']}]", markup=False)
    out.print(f"commit: {res['commit_url']}")
    if res["pr_url"]:
        out.print(f"pull request: {res['pr_url']}")
