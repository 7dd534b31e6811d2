"""A small local stand-in for the Hugging Face Hub HTTP API, on 127.0.0.1.

It serves the endpoints huggingface_hub 2.x calls to publish a dataset with
``create_repo`` + ``upload_folder``, with the Hub's status codes and
``X-Error-Code`` headers, and keeps what was committed so tests can compare
bytes:

- ``POST /api/repos/create``                               create (409 if it exists)
- ``POST /api/validate-yaml``                              README.md metadata (shape only: see `_validate_yaml`)
- ``GET  /api/{type}s/{id}[/revision/{rev}]``              repo info
- ``POST /api/{type}s/{id}/branch/{branch}``               create a branch
- ``POST /api/{type}s/{id}/preupload/{rev}``               upload mode per file
- ``POST /api/{type}s/{id}/commit/{rev}``                  NDJSON commit (inline base64 files, LFS pointers)
- ``POST /api/{type}s/{id}/discussions``, ``GET .../discussions/{n}``   pull requests
- ``POST /{type}s/{id}.git/info/lfs/objects/batch``, ``PUT /lfs/{oid}``, ``POST /lfs/{oid}/verify``
  the git-LFS "basic" transfer (used when hf_xet is disabled)

Not served: the Xet storage protocol (CAS). huggingface_hub uses Xet for any
file the server marks "lfs" when hf_xet is installed, so by default every file
is "regular" (inlined in the commit); set ``lfs_suffixes`` and disable Xet on
the client to exercise the LFS basic transfer instead.

Tokens: ``tokens = {token: {"user": name, "write": bool, "orgs": [...]}}``.
A namespace that is neither a user nor an org of any known token answers 404.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_REPO = r"(?P<type>model|dataset|space)s/(?P<id>[^/]+/[^/]+)"


class FakeHub:
    def __init__(self, tokens: dict[str, dict[str, Any]] | None = None, lfs_suffixes: tuple[str, ...] = ()):
        self.tokens = tokens if tokens is not None else {
            "hf_write_alice": {"user": "alice", "write": True, "orgs": ["lab"]},
            "hf_read_alice": {"user": "alice", "write": False, "orgs": ["lab"]},
        }
        self.lfs_suffixes = lfs_suffixes
        self.repos: dict[tuple[str, str], dict[str, Any]] = {}
        self.lfs_store: dict[str, bytes] = {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def namespaces(self) -> set[str]:
        return {ns for t in self.tokens.values() for ns in [t["user"], *t.get("orgs", [])]}

    def add_repo(self, repo_type: str, repo_id: str, private: bool = False) -> dict[str, Any]:
        repo = {"private": private, "branches": {"main": {".gitattributes": b"*.parquet filter=lfs\n"}},
                "commits": [], "prs": {}}
        self.repos[(repo_type, repo_id)] = repo
        return repo

    def files(self, repo_id: str, revision: str = "main", repo_type: str = "dataset") -> dict[str, bytes]:
        return self.repos[(repo_type, repo_id)]["branches"][revision]


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    # -------------------------------------------------------------- plumbing
    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, payload: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str | None = None) -> None:
        self._send(status, {"error": message}, {"X-Error-Message": message, **({"X-Error-Code": code} if code else {})})

    def _auth(self) -> dict[str, Any] | None:
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        return self.hub.tokens.get(token) if token else None

    def _record(self, body: bytes) -> None:
        with self.hub.lock:
            self.hub.requests.append({"method": self.command, "path": self.path,
                                      "authorized": bool(self.headers.get("Authorization")), "bytes": len(body)})

    def _repo(self, repo_type: str, repo_id: str, user: dict | None, write: bool):
        """The repo, or None after sending the error the Hub would send."""
        repo = self.hub.repos.get((repo_type, repo_id))
        ns = repo_id.split("/")[0]
        if user is None and (repo is None or repo["private"] or write):
            self._error(401, "Invalid credentials in Authorization header", "RepoNotFound" if repo is None else None)
            return None
        if repo is None or (repo["private"] and ns not in (user["user"], *user.get("orgs", []))):
            self._error(404, "Repository not found", "RepoNotFound")
            return None
        if write and (not user["write"] or ns not in (user["user"], *user.get("orgs", []))):
            self._error(403, f"You don't have write access to {repo_type}s/{repo_id}")
            return None
        return repo

    def _branch(self, repo: dict, rev: str):
        rev = unquote(rev)
        m = re.fullmatch(r"refs/pr/(\d+)", rev)
        if m:
            return repo["prs"].get(int(m.group(1)), {}).get("files")
        return repo["branches"].get(rev)

    # -------------------------------------------------------------- routes
    def do_GET(self) -> None:
        self._record(b"")
        path = urlsplit(self.path).path
        user = self._auth()
        if path == "/api/whoami-v2":
            return self._send(200, {"name": user["user"], "type": "user"}) if user else self._error(401, "Invalid token")
        m = re.fullmatch(rf"/api/{_REPO}/discussions/(?P<num>\d+)", path)
        if m:
            repo = self._repo(m["type"], m["id"], user, write=False)
            if repo is not None:
                pr = repo["prs"].get(int(m["num"]))
                if pr is None:
                    return self._error(404, "Discussion not found")
                self._send(200, {"num": pr["num"], "title": pr["title"], "status": "draft", "isPullRequest": True,
                                 "createdAt": "2025-01-01T00:00:00.000Z", "author": {"name": user["user"]},
                                 "repo": {"name": m["id"], "type": m["type"]}, "events": [],
                                 "changes": {"base": "refs/heads/main"}, "filesWithConflicts": []})
            return None
        m = re.fullmatch(rf"/api/{_REPO}(?:/revision/(?P<rev>.+))?", path)
        if m:
            repo = self._repo(m["type"], m["id"], user, write=False)
            if repo is not None:
                files = self._branch(repo, m["rev"] or "main")
                if files is None:
                    return self._error(404, "Revision not found", "RevisionNotFound")
                sha = repo["commits"][-1]["oid"] if repo["commits"] else "0" * 40
                self._send(200, {"id": m["id"], "sha": sha, "private": repo["private"],
                                 "siblings": [{"rfilename": f} for f in sorted(files)]})
            return None
        self._error(404, f"no route for GET {path}")

    def do_PUT(self) -> None:
        body = self._body()
        self._record(body)
        m = re.fullmatch(r"/lfs/(?P<oid>[0-9a-f]{64})", urlsplit(self.path).path)
        if not m:
            return self._error(404, "no route")
        if hashlib.sha256(body).hexdigest() != m["oid"]:
            return self._error(400, "sha256 mismatch")
        self.hub.lfs_store[m["oid"]] = body
        self._send(200, {})

    def do_POST(self) -> None:
        body = self._body()
        self._record(body)
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        user = self._auth()
        if path == "/api/repos/create":
            return self._create(json.loads(body or b"{}"), user)
        if path == "/api/validate-yaml":
            return self._validate_yaml(json.loads(body))
        m = re.fullmatch(r"/lfs/(?P<oid>[0-9a-f]{64})/verify", path)
        if m:
            return self._send(200, {}) if m["oid"] in self.hub.lfs_store else self._error(404, "object missing")
        m = re.fullmatch(r"/(?:(?P<prefix>datasets|spaces)/)?(?P<id>[^/]+/[^/]+)\.git/info/lfs/objects/batch", path)
        if m:
            repo_type = {"datasets": "dataset", "spaces": "space"}.get(m["prefix"], "model")
            if self._repo(repo_type, m["id"], user, write=True) is None:
                return None
            return self._lfs_batch(json.loads(body))
        m = re.fullmatch(rf"/api/{_REPO}/(?P<action>preupload|commit|branch)/(?P<rev>.+)", path)
        if m:
            repo = self._repo(m["type"], m["id"], user, write=True)
            if repo is None:
                return None
            if m["action"] == "branch":
                if unquote(m["rev"]) in repo["branches"]:
                    return self._error(409, "Reference already exists")
                repo["branches"][unquote(m["rev"])] = dict(repo["branches"]["main"])
                return self._send(200, {})
            if self._branch(repo, m["rev"]) is None:
                return self._error(404, f"Invalid rev id: {unquote(m['rev'])}", "RevisionNotFound")
            if m["action"] == "preupload":
                return self._preupload(json.loads(body))
            return self._commit(m["type"], m["id"], repo, unquote(m["rev"]), body, "create_pr" in query)
        m = re.fullmatch(rf"/api/{_REPO}/discussions", path)
        if m:
            repo = self._repo(m["type"], m["id"], user, write=False)
            if repo is None:
                return None
            req = json.loads(body)
            num = len(repo["prs"]) + 1
            repo["prs"][num] = {"num": num, "title": req["title"], "files": dict(repo["branches"]["main"])}
            return self._send(200, {"num": num, "url": f"{self.hub.url}/{m['type']}s/{m['id']}/discussions/{num}"})
        self._error(404, f"no route for POST {path}")

    def _create(self, req: dict, user: dict | None) -> None:
        if user is None:
            return self._error(401, "Invalid credentials in Authorization header")
        ns = req.get("organization") or user["user"]
        repo_type = req.get("type") or "model"
        repo_id = f"{ns}/{req['name']}"
        if ns not in self.hub.namespaces():
            return self._error(404, f"Namespace {ns} not found")
        if not user["write"] or ns not in (user["user"], *user.get("orgs", [])):
            return self._error(403, f"You don't have the rights to create a {repo_type} under the namespace {ns}")
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        if (repo_type, repo_id) in self.hub.repos:  # the Hub's 409 carries the url (create_repo(exist_ok) reads it)
            message = f"You already created this {repo_type} repo"
            return self._send(409, {"error": message, "url": f"{self.hub.url}/{prefix}{repo_id}"},
                              {"X-Error-Message": message})
        self.hub.add_repo(repo_type, repo_id, private=req.get("visibility") == "private" or bool(req.get("private")))
        self._send(200, {"url": f"{self.hub.url}/{prefix}{repo_id}", "name": repo_id})

    def _validate_yaml(self, req: dict) -> None:
        """Only the YAML's shape (the real Hub checks much more): a mapping, list fields as lists or strings."""
        import yaml

        text = req.get("content", "")
        errors = []
        if text.startswith("---"):
            try:
                meta = yaml.safe_load(text.split("---", 2)[1])
            except yaml.YAMLError as e:
                meta, errors = None, [{"message": f"YAML: {e}"}]
            if not errors and not isinstance(meta, dict):
                errors.append({"message": "metadata must be a mapping"})
            for key in ("language", "license", "task_categories", "size_categories"):
                if isinstance(meta, dict) and key in meta and not isinstance(meta[key], (str, list)):
                    errors.append({"message": f"{key} must be a string or a list"})
        if errors:
            return self._send(400, {"errors": errors, "warnings": []})
        self._send(200, {"errors": [], "warnings": []})

    def _preupload(self, req: dict) -> None:
        files = [{"path": f["path"], "shouldIgnore": False, "oid": None,
                  "uploadMode": "lfs" if f["path"].endswith(self.hub.lfs_suffixes) and f["size"] else "regular"}
                 for f in req["files"]]
        self._send(200, {"files": files, "commitOid": "0" * 40})

    def _lfs_batch(self, req: dict) -> None:
        objects = []
        for o in req["objects"]:
            actions = None if o["oid"] in self.hub.lfs_store else {
                "upload": {"href": f"{self.hub.url}/lfs/{o['oid']}"},
                "verify": {"href": f"{self.hub.url}/lfs/{o['oid']}/verify"}}
            objects.append({"oid": o["oid"], "size": o["size"], **({"actions": actions} if actions else {})})
        self._send(200, {"transfer": "basic", "objects": objects})

    def _commit(self, repo_type: str, repo_id: str, repo: dict, rev: str, body: bytes, create_pr: bool) -> None:
        header, changes = {}, {}
        for line in body.decode().splitlines():
            item = json.loads(line)
            value = item["value"]
            if item["key"] == "header":
                header = value
            elif item["key"] == "file":
                changes[value["path"]] = base64.b64decode(value["content"])
            elif item["key"] == "lfsFile":
                data = self.hub.lfs_store.get(value["oid"])
                if data is None or len(data) != value["size"]:
                    return self._error(422, f"LFS object {value['oid']} was not uploaded")
                changes[value["path"]] = data
            elif item["key"] == "deletedFile":
                changes[value["path"]] = None
        oid = hashlib.sha1(body).hexdigest()
        target = self._branch(repo, rev)
        for p, data in changes.items():
            if data is None:
                target.pop(p, None)
            else:
                target[p] = data
        repo["commits"].append({"oid": oid, "revision": rev, "summary": header.get("summary"), "files": sorted(changes)})
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        self._send(200, {"commitUrl": f"{self.hub.url}/{prefix}{repo_id}/commit/{oid}", "commitOid": oid,
                         "pullRequestUrl": None, "success": True})
