"""A LibreTranslate-compatible HTTP server on 127.0.0.1 that injects faults, for tests.

It answers ``POST /translate`` (q/source/target/api_key in the query string,
a form body or JSON, like LibreTranslate) and ``GET /languages``; and, so the
other deep-translator engines can be pointed at it, the shapes of DeepL
(``GET /v2/translate``), Google's web page (``GET /m``) and MyMemory
(``GET /get``). Its
"translation" is a word-for-word dictionary (a stand-in: no MT model runs
here, the point is the HTTP behaviour); unknown words pass through, so masks
and numbers survive.

Faults, each a string:
  "ok"        normal reply
  "429"       HTTP 429 with Retry-After: 0
  "500"/"503" server error
  "403"       key refused
  "slow"      sleep `slow_s` (beyond the client's timeout), then reply
  "drip"      send headers, then one byte of the body every 0.2 s for `slow_s`
              (no single read waits long: only a bound on the whole call stops it)
  "drop"      close the connection without a reply
  "garbage"   HTTP 200 with a body that is not JSON

``script`` is consumed one fault per request (then "ok"); ``first_try`` is
cycled over the FIRST request for each distinct text (later requests for the
same text succeed); ``always`` maps a substring to a fault applied every time.

Example:
    with LibreServer() as srv:
        srv.script += ["429", "500"]
        get_engine("libre", base_url=srv.url).translate_batch(["A cat."])
"""
from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WORDS = {
    "a": "um", "the": "o", "cat": "gato", "dog": "cão", "sits": "senta", "on": "em", "mat": "tapete",
    "red": "vermelho", "car": "carro", "is": "é", "what": "o que", "in": "em", "image": "imagem",
    "there": "há", "are": "são", "two": "dois", "people": "pessoas", "and": "e", "of": "de",
    "man": "homem", "woman": "mulher", "table": "mesa", "picture": "foto", "this": "isto", "hello": "olá",
    "world": "mundo", "describe": "descreva", "color": "cor", "shows": "mostra", "bus": "ônibus", "blue": "azul",
}


def fake_translate(text: str) -> str:
    out = []
    for tok in text.split(" "):
        core = tok.strip(".,!?;:")
        if core.lower() in WORDS:
            w = WORDS[core.lower()]
            tok = tok.replace(core, w.capitalize() if core[:1].isupper() else w)
        out.append(tok)
    return " ".join(out)


class LibreServer:
    def __init__(self, slow_s: float = 2.0, require_key: str | None = None):
        self.slow_s = slow_s
        self.require_key = require_key
        self.script: list[str] = []
        self.first_try: list[str] = []
        self.always: dict[str, str] = {}
        self.log: list[dict] = []  # one entry per request: t, q, fault, api_key, path, service, target
        self._seen: set[str] = set()
        self._cycle = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # keep test output clean
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path.startswith("/languages"):
                    self._reply(200, [{"code": "en", "name": "English"}, {"code": "pt", "name": "Portuguese"}])
                elif url.path.endswith("/v2/translate"):  # DeepL
                    self._serve("deepl", params.get("text", ""), params.get("auth_key"), params.get("target_lang"),
                                lambda t: {"translations": [{"text": t}]})
                elif url.path == "/m":  # Google's mobile web page
                    self._serve("google", params.get("q", ""), None, params.get("tl"),
                                lambda t: f'<html><div class="result-container">{t}</div></html>')
                elif url.path == "/get":  # MyMemory
                    self._serve("mymemory", params.get("q", ""), None, params.get("langpair"),
                                lambda t: {"responseData": {"translatedText": t}, "matches": []})
                else:
                    self._reply(404, {"error": "not found"})

            def do_POST(self):
                params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if body:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        params.update(json.loads(body))
                    else:
                        params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
                self._serve("libre", params.get("q", ""), params.get("api_key"), params.get("target"),
                            lambda t: {"translatedText": t})

            def _serve(self, service, q, key, target, shape):
                fault = server._fault(q)
                server._record(q, fault, key, self.path, service, target)
                if server.require_key and key != server.require_key:
                    fault = "403"
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault == "drip":
                    self._drip()
                    return
                if fault == "slow":
                    time.sleep(server.slow_s)
                    fault = "ok"
                if fault == "garbage":
                    self._send(200, b'{"translatedText": "trunc', "application/json")
                elif fault == "429":
                    self._reply(429, {"error": "Slowdown"}, {"Retry-After": "0"})
                elif fault in ("500", "502", "503", "403", "400"):
                    self._reply(int(fault), {"error": f"injected {fault}"})
                else:
                    reply = shape(fake_translate(q))
                    if isinstance(reply, str):
                        self._send(200, reply.encode(), "text/html; charset=utf-8")
                    else:
                        self._reply(200, reply)

            def _drip(self):
                body = json.dumps({"translatedText": "x" * 200}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                end = time.monotonic() + server.slow_s
                try:
                    for b in body:
                        if time.monotonic() > end:
                            break
                        self.wfile.write(bytes([b]))
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass
                self.close_connection = True

            def _reply(self, status, obj, headers=None):
                self._send(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json", headers)

            def _send(self, status, body, ctype, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout): fine
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def _fault(self, q: str) -> str:
        with self._lock:
            for sub, fault in self.always.items():
                if sub in q:
                    return fault
            if self.script:
                return self.script.pop(0)
            if self.first_try and q not in self._seen:
                self._seen.add(q)
                if self._cycle is None:
                    self._cycle = itertools.cycle(self.first_try)
                return next(self._cycle)
            self._seen.add(q)
            return "ok"

    def _record(self, q, fault, key, path, service, target):
        with self._lock:
            self.log.append({"t": time.monotonic(), "q": q, "fault": fault, "api_key": key, "path": path,
                             "service": service, "target": target})

    def faults(self) -> list[str]:
        return [e["fault"] for e in self.log]

    def __enter__(self) -> "LibreServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
