"""`corpus push` against a local Hub: tests/hub_server.py on 127.0.0.1, set as HF_ENDPOINT.

The real huggingface_hub client runs unmodified (create_repo, validate-yaml,
preupload, commit, pull requests, branches, and the git-LFS basic transfer when
Xet is disabled); only the server is a stand-in. What it does not serve is the
Xet storage protocol, so files go "regular" (inline in the commit) unless a test
asks for LFS. huggingface_hub copies HF_ENDPOINT into `constants.ENDPOINT` at
import, and `RepoUrl` parses against that copy, so in-process tests patch it too;
`test_subprocess_push_reads_hf_endpoint` runs the CLI in a fresh process with
nothing patched.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import constants
from typer.testing import CliRunner

from conftest import EXAMPLES, ROOT
from corpus.build import build_repo
from corpus.cli import app
from corpus.card import write_card
from corpus.split import split_file
from hub_server import FakeHub

runner = CliRunner()
WRITE, READ = "hf_write_alice", "hf_read_alice"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("push")
    split_file(EXAMPLES / "llava_tiny.json", tmp / "splits", "train=0.5,test=0.5")
    build_repo([tmp / "splits"], tmp / "repo")
    write_card(tmp / "repo", [tmp / "repo.stats.json"])
    return tmp / "repo"


def local_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def hub(monkeypatch, tmp_path):
    with FakeHub() as h:
        _point_at(monkeypatch, h.url, tmp_path)
        yield h


def _point_at(monkeypatch, url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "ENDPOINT", url)
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-login" / "token"))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_PROGRESS_BARS", True)


def push(*args: str, env: dict | None = None):
    return runner.invoke(app, ["push", *args], env=env)


def test_push_uploads_the_folder_byte_for_byte(hub, repo):
    r = push(str(repo), "--repo-id", "lab/llava-ptbr", "--token", WRITE, "--private", "-m", "First upload")
    assert r.exit_code == 0, r.output
    assert "to datasets/lab/llava-ptbr [main]" in r.output and f"commit: {hub.url}/datasets/lab/llava-ptbr/commit/" in r.output
    assert WRITE not in r.output
    remote = hub.files("lab/llava-ptbr")
    remote.pop(".gitattributes")
    assert remote == local_files(repo)
    state = hub.repos[("dataset", "lab/llava-ptbr")]
    assert state["private"] and state["commits"][-1]["summary"] == "First upload"
    # Every API call carries the token (huggingface_hub's daily agent-registry fetch needs none).
    assert all(q["authorized"] for q in hub.requests if q["path"] != "/api/agent-harnesses"), hub.requests
    # Pushing again updates the same repo (create_repo is exist_ok).
    r = push(str(repo), "--repo-id", "datasets/lab/llava-ptbr", "--token", WRITE)
    assert r.exit_code == 0, r.output
    assert len(state["commits"]) == 2


def test_token_comes_from_hf_token_then_the_login_cache(hub, repo, monkeypatch):
    r = push(str(repo), "--repo-id", "alice/a", env={"HF_TOKEN": WRITE})
    assert r.exit_code == 0, r.output
    login = Path(constants.HF_TOKEN_PATH)
    login.parent.mkdir(parents=True)
    login.write_text(WRITE)
    r = push(str(repo), "--repo-id", "alice/b")
    assert r.exit_code == 0, r.output
    assert {k[1] for k in hub.repos} == {"alice/a", "alice/b"} and WRITE not in r.output


def test_create_pr_and_revision(hub, repo):
    r = push(str(repo), "--repo-id", "lab/pr", "--token", WRITE, "--create-pr")
    assert r.exit_code == 0, r.output
    assert f"pull request: {hub.url}/datasets/lab/pr/discussions/1" in r.output
    state = hub.repos[("dataset", "lab/pr")]
    assert "README.md" not in state["branches"]["main"]  # the PR holds the files, main is untouched
    assert state["prs"][1]["files"]["README.md"] == (repo / "README.md").read_bytes()
    r = push(str(repo), "--repo-id", "lab/pr", "--token", WRITE, "--revision", "v2")
    assert r.exit_code == 0, r.output
    assert "[v2]" in r.output
    assert hub.files("lab/pr", "v2")["README.md"] == (repo / "README.md").read_bytes()


def test_lfs_basic_transfer_when_xet_is_off(repo, monkeypatch, tmp_path):
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    with FakeHub(lfs_suffixes=(".parquet",)) as hub:
        _point_at(monkeypatch, hub.url, tmp_path)
        r = push(str(repo), "--repo-id", "lab/lfs", "--token", WRITE)
        assert r.exit_code == 0, r.output
        puts = [q for q in hub.requests if q["method"] == "PUT"]
        shards = [p for p in local_files(repo) if p.endswith(".parquet")]
        assert len(puts) == len(shards) == len(hub.lfs_store)
        remote = hub.files("lab/lfs")
        assert all(remote[p] == (repo / p).read_bytes() for p in shards)


def model_folder(tmp_path: Path, repo: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlibrary_name: transformers\npipeline_tag: image-text-to-text\n---\n# m\n")
    (folder / "data").mkdir()
    for p in (repo / "data").iterdir():
        (folder / "data" / p.name).write_bytes(p.read_bytes())
    return folder


@pytest.mark.parametrize("case, args, env, expected", [
    ("no token", ["--repo-id", "lab/x"], {},
     "Error: no Hugging Face token: pass --token, set HF_TOKEN, or run `hf auth login`"),
    ("offline", ["--repo-id", "lab/x", "--token", WRITE], {"HF_HUB_OFFLINE": "1"},
     "Error: offline mode is on (HF_HUB_OFFLINE is set): unset it to push to the Hub"),
    ("401", ["--repo-id", "lab/x", "--token", "hf_not_a_real_token"], {},
     "Error: 401 Unauthorized: the token was refused for datasets/lab/x on {url}: check --token / HF_TOKEN or run "
     "`hf auth login` (the Hub said: Invalid credentials in Authorization header)"),
    ("403 create", ["--repo-id", "lab/x", "--token", READ], {},
     "Error: 403 Forbidden: the token may not write to datasets/lab/x on {url} (read-only token, or no rights in "
     "that organisation) (the Hub said: You don't have the rights to create a dataset under the namespace lab)"),
    ("403 upload", ["--repo-id", "lab/exists", "--token", READ], {},
     "Error: 403 Forbidden: the token may not write to datasets/lab/exists on {url} (read-only token, or no rights "
     "in that organisation) (the Hub said: You don't have write access to datasets/lab/exists)"),
    ("404", ["--repo-id", "nobody/x", "--token", WRITE], {},
     "Error: 404 Not Found: datasets/nobody/x on {url} does not exist or is not visible with this token "
     "(the Hub said: Namespace nobody not found)"),
    ("space id", ["--repo-id", "spaces/lab/x", "--token", WRITE], {},
     "Error: repo-type clash: 'spaces/lab/x' names a Space repo, but corpus push publishes a dataset; "
     "use org/name or datasets/org/name"),
    ("model url", ["--repo-id", "https://huggingface.co/lab/x", "--token", WRITE], {},
     "Error: repo-type clash: 'https://huggingface.co/lab/x' names a model repo, but corpus push publishes a "
     "dataset; use org/name or datasets/org/name"),
    ("bad id", ["--repo-id", "just-a-name", "--token", WRITE], {},
     "Error: --repo-id must look like org/name, got 'just-a-name'"),
    ("pr + revision", ["--repo-id", "lab/x", "--token", WRITE, "--create-pr", "--revision", "v2"], {},
     "Error: --create-pr opens a pull request against the default branch; drop --revision"),
])
def test_every_error_is_one_line(hub, repo, case, args, env, expected):
    hub.add_repo("dataset", "lab/exists")
    r = push(str(repo), *args, env=env)
    assert r.exit_code == 2, (case, r.output)
    assert r.output.strip().splitlines() == [expected.format(url=hub.url)]
    assert "hf_not_a_real_token" not in r.output and WRITE not in r.output and READ not in r.output
    if case in ("no token", "offline", "space id", "model url", "bad id", "pr + revision"):
        assert [q for q in hub.requests if q["path"] != "/api/agent-harnesses"] == []  # refused before any call


def test_model_folder_and_missing_card_are_refused(hub, repo, tmp_path):
    r = push(str(model_folder(tmp_path, repo)), "--repo-id", "lab/x", "--token", WRITE)
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        f"Error: repo-type clash: {tmp_path / 'model' / 'README.md'} is a model card (library_name, pipeline_tag); "
        "corpus push publishes datasets"]
    (tmp_path / "model" / "README.md").unlink()
    r = push(str(tmp_path / "model"), "--repo-id", "lab/x", "--token", WRITE)
    assert r.exit_code == 2 and "no README.md dataset card" in r.output and len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("shard, content, message", [
    ("validation-00000-of-00001.parquet", b"junk\n", "not a readable Parquet shard"),
    ("validation-00000-of-00001.parquet", None, "holds split(s) validation that README.md does not list"),
    ("train-00000-of-00001.parquet", b"junk\n", "not a readable Parquet shard"),
])
def test_a_broken_or_unlisted_shard_is_refused_before_any_upload(hub, repo, tmp_path, shard, content, message):
    """Found in stop 14: a 5-byte validation shard the card did not list was pushed, exit 0."""
    import shutil

    bad = tmp_path / "repo"
    shutil.copytree(repo, bad)
    target = bad / "data" / shard
    if content is None:  # a real Parquet shard, but of a split the card does not declare
        shutil.copy(next((bad / "data").glob("test-*.parquet")), target)
    else:
        target.write_bytes(content)
    r = push(str(bad), "--repo-id", "lab/broken", "--token", WRITE)
    assert r.exit_code == 2 and message in " ".join(r.output.split()) and len(r.output.strip().splitlines()) == 1
    assert ("dataset", "lab/broken") not in hub.repos  # refused before the repo was even created


def test_unreachable_endpoint(repo, monkeypatch, tmp_path):
    _point_at(monkeypatch, "http://127.0.0.1:9", tmp_path)  # discard port: nothing listens
    r = push(str(repo), "--repo-id", "lab/x", "--token", WRITE)
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach http://127.0.0.1:9")


def test_subprocess_push_reads_hf_endpoint(repo, tmp_path):
    with FakeHub() as hub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
        env.update(HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / "hf-home"), HF_TOKEN=WRITE,
                   HF_HUB_DISABLE_PROGRESS_BARS="1")
        res = subprocess.run([sys.executable, "-m", "corpus", "push", str(repo), "--repo-id", "lab/sub"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr[-2000:]
        assert WRITE not in res.stdout + res.stderr
        remote = hub.files("lab/sub")
        remote.pop(".gitattributes")
        assert remote == local_files(repo)
