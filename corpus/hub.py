"""Publish a built dataset folder to the Hugging Face Hub.

``create_repo(exist_ok=True)`` then ``upload_folder`` (one commit, or a pull
request with ``create_pr``). The token comes from the caller, then ``HF_TOKEN``,
then the login cache (``hf auth login``); it is never printed, and it is
scrubbed from every message. Every failure becomes a one-line `HubError`:
no token, offline mode, 401, 403, 404, a repo id naming a model or Space, a
folder that is not a dataset, an unreachable endpoint.

The endpoint is read when `push` runs (``endpoint=`` or ``HF_ENDPOINT``) and
passed to `HfApi`, because huggingface_hub reads ``HF_ENDPOINT`` only once, at
import.

Example:
    push("out/llava-ptbr", "my-org/llava-ptbr", private=True)
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from corpus import __version__
from corpus.errors import HubError, UsageError

DEFAULT_ENDPOINT = "https://huggingface.co"
# Never upload build leftovers: staging folders and temp files start with a dot.
IGNORE = [".*", "**/.*", "*.tmp", "**/*.tmp"]
_TRUE = {"1", "ON", "YES", "TRUE"}
_MODEL_KEYS = ("library_name", "pipeline_tag", "base_model", "model-index", "model_name")
_MODEL_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "adapter_config.json")


def resolve_repo_id(repo_id: str) -> str:
    """``org/name``, ``datasets/org/name`` or a dataset URL -> ``org/name``.

    A model or Space id (``spaces/org/name``, ``https://huggingface.co/org/name``) is a
    repo-type clash: this command only publishes datasets.
    """
    rid = repo_id.strip().rstrip("/")
    m = re.match(r"^https?://[^/]+/(.+)$", rid)
    path = m.group(1) if m else rid
    parts = path.split("/")
    if parts[0] in ("datasets", "dataset"):
        parts = parts[1:]
    elif parts[0] in ("models", "model", "spaces", "space") or (m and len(parts) == 2):
        kind = "Space" if parts[0].startswith("space") else "model"
        raise HubError(f"repo-type clash: {repo_id!r} names a {kind} repo, but corpus push publishes a dataset; "
                       f"use org/name or datasets/org/name")
    if len(parts) != 2 or not all(re.fullmatch(r"[\w.\-]+", p) for p in parts) or any(
            p.startswith(("-", ".")) or p.endswith(("-", ".")) or ".." in p or "--" in p for p in parts):
        raise UsageError(f"--repo-id must look like org/name, got {repo_id!r}")
    return "/".join(parts)


def check_folder(repo_dir: Path) -> int:
    """The folder must be a built dataset (README.md + data shards), not a model folder.

    Returns the number of data shards.
    """
    from corpus.build import repo_splits

    if not repo_dir.is_dir():
        raise UsageError(f"{repo_dir}: no such folder (build it with corpus build)")
    readme = repo_dir / "README.md"
    if readme.is_file():
        import yaml

        text = readme.read_text(encoding="utf-8")
        head = text.split("---", 2)[1] if text.startswith("---") and text.count("---") >= 2 else ""
        try:
            meta = yaml.safe_load(head) or {}
        except yaml.YAMLError as e:
            raise UsageError(f"{readme}: the card's YAML does not parse: {' '.join(str(e).split())}") from None
        model_keys = [k for k in _MODEL_KEYS if isinstance(meta, dict) and k in meta]
        if model_keys:
            raise HubError(f"repo-type clash: {readme} is a model card ({', '.join(model_keys)}); "
                           f"corpus push publishes datasets")
    model_files = [f for f in _MODEL_FILES if (repo_dir / f).is_file()]
    if model_files:
        raise HubError(f"repo-type clash: {repo_dir} holds model files ({', '.join(model_files)}); "
                       f"corpus push publishes datasets")
    if not readme.is_file():
        raise UsageError(f"{repo_dir}: no README.md dataset card (run corpus card {repo_dir})")
    splits = repo_splits(repo_dir)
    _check_shards(repo_dir, splits, meta)
    return sum(len(s) for s in splits.values())


def _check_shards(repo_dir: Path, splits: dict[str, list[Path]], card: Any) -> None:
    """Every shard is Parquet (its footer reads) and its split is one the card declares.

    Found in stop 14: a 5-byte "validation" shard the card did not list was pushed, exit 0.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    for shards in splits.values():
        for shard in shards:
            try:
                pq.ParquetFile(shard)
            except (pa.ArrowException, OSError) as e:
                raise UsageError(f"{shard}: not a readable Parquet shard ({' '.join(str(e).split())}); "
                                 f"rebuild with corpus build") from None
    declared = {f.get("split") for c in (card.get("configs") or []) if isinstance(c, dict)
                for f in (c.get("data_files") or []) if isinstance(f, dict)} if isinstance(card, dict) else set()
    missing = [s for s in splits if declared and s not in declared]
    if missing:
        raise UsageError(f"{repo_dir}: data/ holds split(s) {', '.join(missing)} that README.md does not list "
                         f"(run corpus card {repo_dir}, or remove them)")


def offline() -> bool:
    from huggingface_hub import constants

    env = (os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or "").upper()
    return env in _TRUE or bool(constants.HF_HUB_OFFLINE)


def resolve_token(token: str | None) -> str:
    """--token, else HF_TOKEN, else the login cache; a HubError when there is none."""
    from huggingface_hub import get_token

    token = (token or "").strip() or get_token()
    if not token:
        raise HubError("no Hugging Face token: pass --token, set HF_TOKEN, or run `hf auth login`")
    return token


def push(repo_dir: str | os.PathLike, repo_id: str, *, private: bool = False, token: str | None = None,
         revision: str | None = None, create_pr: bool = False, endpoint: str | None = None,
         commit_message: str | None = None) -> dict[str, Any]:
    """Create the dataset repo if needed and upload the folder; returns what was done."""
    repo_dir = Path(repo_dir)
    rid = resolve_repo_id(repo_id)
    n_shards = check_folder(repo_dir)
    if create_pr and revision:
        raise UsageError("--create-pr opens a pull request against the default branch; drop --revision")
    if offline():
        raise HubError("offline mode is on (HF_HUB_OFFLINE is set): unset it to push to the Hub")
    secret = resolve_token(token)
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")

    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=secret, library_name="corpus", library_version=__version__)
    try:
        url = api.create_repo(rid, repo_type="dataset", private=private or None, exist_ok=True)
        if revision:
            api.create_branch(rid, branch=revision, repo_type="dataset", exist_ok=True)
        info = api.upload_folder(repo_id=rid, folder_path=repo_dir, repo_type="dataset", revision=revision,
                                 create_pr=create_pr or None, ignore_patterns=list(IGNORE),
                                 commit_message=commit_message or f"Upload dataset with corpus {__version__}")
    except Exception as e:  # every Hub failure becomes one line, without the token
        raise HubError(_scrub(_message(e, rid, endpoint, revision), secret)) from None
    return {"repo_id": rid, "url": str(url), "endpoint": endpoint, "revision": revision or "main",
            "commit_url": info.commit_url, "commit": info.oid, "pr_url": info.pr_url, "shards": n_shards}


def _message(e: Exception, rid: str, endpoint: str, revision: str | None) -> str:
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RevisionNotFoundError

    where = f"datasets/{rid} on {endpoint}"
    if isinstance(e, OfflineModeIsEnabled):
        return "offline mode is on (HF_HUB_OFFLINE is set): unset it to push to the Hub"
    if isinstance(e, RevisionNotFoundError):
        return f"revision {revision!r} not found in {where}"
    if isinstance(e, HfHubHTTPError):
        status = e.response.status_code if e.response is not None else None
        said = " ".join((e.server_message or "").split())
        said = f" (the Hub said: {said})" if said else ""
        if status == 401:
            return f"401 Unauthorized: the token was refused for {where}: check --token / HF_TOKEN or run `hf auth login`{said}"
        if status == 403:
            return f"403 Forbidden: the token may not write to {where} (read-only token, or no rights in that organisation){said}"
        if status == 404:
            return f"404 Not Found: {where} does not exist or is not visible with this token{said}"
        if status == 409:
            return f"409 Conflict on {where}{said}"
        return f"HTTP {status} from {where}{said or ': ' + ' '.join(str(e).split())[:200]}"
    if isinstance(e, ValueError) and "Invalid metadata in README.md" in str(e):
        return f"the Hub refused README.md: {' '.join(str(e).split())[:300]} (check it with corpus card --check)"
    names = {c.__name__ for c in type(e).__mro__}
    if names & {"ConnectError", "TransportError", "TimeoutException", "ConnectionError", "NetworkError"}:
        return f"cannot reach {endpoint}: {' '.join(str(e).split()) or type(e).__name__}"
    return f"push to {where} failed: {type(e).__name__}: {' '.join(str(e).split())[:300]}"


def _scrub(message: str, secret: str) -> str:
    return message.replace(secret, "***") if secret else message
