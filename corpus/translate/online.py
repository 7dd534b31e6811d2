"""Online engines through deep-translator: google, deepl, microsoft, libre, mymemory.

deep-translator gives one uniform call per service but no timeouts, no
retries, and error classes that drop the HTTP status. So each request goes
through a thin stand-in for the ``requests`` module (`_Transport`) that adds
a socket timeout and remembers the status and Retry-After of the reply; the
`retry.Caller` bounds the whole attempt, retries timeouts, dropped
connections, 429 and 5xx with backoff, and rate-limits. Keys come from the
options or the usual environment variables and never appear in a message.

deep-translator objects are not thread-safe (google and mymemory keep the
query in a shared dict), so every attempt builds a fresh, cheap one.

Example:
    eng = get_engine("libre", base_url="http://127.0.0.1:5000", timeout=10, retries=3, rps=5)
    eng.translate_batch(["A cat sits on the mat."])
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from corpus.errors import EngineUnavailable
from corpus.translate.retry import Caller, Permanent, Policy, Transient, chunk_text, redact

_state = threading.local()  # per attempt thread: timeout in, status/retry_after/error out


class _Transport:
    """Stands in for ``requests`` inside deep_translator modules.

    Without a timeout set by this module it behaves exactly like ``requests``,
    so other users of deep-translator in the process see no change.
    """

    def __init__(self, requests_module):
        self._requests = requests_module

    def __getattr__(self, name):
        return getattr(self._requests, name)

    def get(self, url, **kw):
        return self._send(self._requests.get, url, kw)

    def post(self, url, **kw):
        return self._send(self._requests.post, url, kw)

    def _send(self, fn, url, kw):
        timeout = getattr(_state, "timeout", None)
        if timeout is not None:
            kw.setdefault("timeout", timeout)
        try:
            resp = fn(url, **kw)
        except Exception as e:
            _state.error = e  # microsoft swallows request errors; keep the real cause
            raise
        _state.status = resp.status_code
        _state.retry_after = resp.headers.get("Retry-After")
        return resp


_patch_lock = threading.Lock()


def _module(name: str):
    """Import a deep_translator module and route its requests through `_Transport`."""
    import importlib

    try:
        module = importlib.import_module(name)
    except ImportError:
        raise EngineUnavailable("deep-translator is not installed: pip install deep-translator") from None
    with _patch_lock:
        if not isinstance(getattr(module, "requests", None), _Transport):
            import requests

            module.requests = _Transport(requests)
    return module


@dataclass
class OnlineEngine:
    """One online service behind deep-translator; see the module docstring."""

    name: str
    make: Callable[[], Any]  # builds a fresh deep-translator object
    max_chars: int
    policy: Policy
    secrets: list[str] = field(default_factory=list)
    # one text per batch: each text is its own request anyway, and a failing one then
    # never drags (and re-sends) its neighbours when the runner retries it alone
    batch_size: int = 1
    version: str = ""  # the service answering: part of the translation-memory key

    def __post_init__(self):
        self.version = self.version or self.name
        self.caller = Caller(self.name, self.policy, self.secrets)
        self.counters = self.caller.counters

    def translate_batch(self, texts: list[str]) -> list[str]:
        return [self.translate(t) for t in texts]

    def translate(self, text: str) -> str:
        out = []
        for chunk, sep in chunk_text(text, self.max_chars):
            out.append(self._translate_chunk(chunk) + sep)
        return "".join(out)

    def _translate_chunk(self, chunk: str) -> str:
        core = chunk.strip()
        if not core:
            return chunk
        # services strip edge whitespace; the layout is ours to keep
        lead, trail = chunk[: len(chunk) - len(chunk.lstrip())], chunk[len(chunk.rstrip()):]
        result = self.caller.call(lambda: self._attempt(core), self._classify, chars=len(core))
        return lead + result + trail

    def _attempt(self, text: str) -> str:
        _state.timeout, _state.status, _state.retry_after, _state.error = self.policy.timeout, None, None, None
        try:
            result = self.make().translate(text)
        except Exception as e:
            try:
                e.__corpus_http__ = (_state.status, _state.retry_after, _state.error)  # for _classify
            except AttributeError:
                pass
            raise
        if not isinstance(result, str) or (not result.strip() and text.strip()):
            raise Transient("empty_reply", f"no translation in the reply (HTTP {_state.status})")
        return result

    def _classify(self, e: BaseException) -> BaseException:
        import requests

        status, retry_after, cause = getattr(e, "__corpus_http__", (None, None, None))
        if cause is not None and not isinstance(e, requests.RequestException):
            e = cause  # microsoft: the request failed, then deep-translator crashed on None
        if isinstance(e, (Transient, Permanent)):
            return e
        if isinstance(e, requests.Timeout):
            return Transient("timeout", type(e).__name__)
        if isinstance(e, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return Transient("connection", _root_cause(e))
        if status is not None and status != 200:
            if status == 429:
                return Transient("http_429", "too many requests", _seconds(retry_after))
            if status >= 500:
                return Transient(f"http_{status}", "server error", _seconds(retry_after))
            if status in (401, 403):
                return Permanent(f"http_{status}", "the service refused the API key")
            return Permanent(f"http_{status}", _short(e))
        if isinstance(e, ValueError) and status == 200:  # a garbled body (JSON decode): transient proxies do this
            return Transient("bad_reply", _short(e))
        return Permanent(type(e).__name__, _short(e))


def _short(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__


def _root_cause(e: BaseException) -> str:
    """'RemoteDisconnected: ...' rather than requests' nested tuple reprs."""
    seen = 0
    while seen < 5:
        inner = getattr(e, "reason", None)
        if not isinstance(inner, BaseException):
            inner = e.args[-1] if e.args and isinstance(e.args[-1], BaseException) else None
        if inner is None:
            break
        e, seen = inner, seen + 1
    return f"{type(e).__name__}: {_short(e)}"


def _seconds(value) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _policy(options: dict) -> Policy:
    kw = {k: options[k] for k in ("timeout", "retries", "rps", "backoff") if options.get(k) is not None}
    return Policy(**kw)


def _key(options: dict, env: str) -> Optional[str]:
    return options.get("api_key") or os.environ.get(env) or None


def _unavailable(name: str, why: str, secrets=()) -> EngineUnavailable:
    return EngineUnavailable(redact(f"engine {name!r} cannot run: {why}", secrets))


def _build(name: str, cls: type, kwargs: dict, options: dict, max_chars: int, secrets: list[str],
           version: str, after: Callable[[Any], None] = lambda t: None) -> OnlineEngine:
    """Validate once at construction (missing key, unknown language), then build fresh per attempt."""

    def make():
        t = cls(**kwargs)
        after(t)
        return t

    try:
        make()
    except Exception as e:  # ApiKeyException, LanguageNotSupportedException: say it in one line
        why = getattr(e, "message", None) or str(e)
        if type(e).__name__ == "ApiKeyException":
            why = "no API key"
        raise _unavailable(name, " ".join(str(why).split())[:300], secrets) from None
    return OnlineEngine(name, make, max_chars, _policy(options), [s for s in secrets if s], version=version)


def _lang(code: str, table: dict[str, str]) -> str:
    return table.get(code, table.get(code.split("-")[0], code))


# Each service's codes for our language names; pt-BR is the default target.
_GOOGLE = {"pt-BR": "pt", "pt-PT": "pt"}
_MYMEMORY = {"en": "en-US", "pt-BR": "pt-BR", "pt": "pt-BR", "pt-PT": "pt-PT"}
_LIBRE = {"pt-BR": "pt", "pt-PT": "pt"}


def google(source: str = "en", target: str = "pt-BR", **options) -> OnlineEngine:
    """Google Translate's public web endpoint (no key; rate-limited with 429; < 5000 chars)."""
    kw = {"source": _lang(source, _GOOGLE), "target": _lang(target, _GOOGLE)}
    cls = _module("deep_translator.google").GoogleTranslator
    return _build("google", cls, kw, options, 4800, [], "google/web")


def mymemory(source: str = "en", target: str = "pt-BR", **options) -> OnlineEngine:
    """MyMemory (no key; an e-mail in MYMEMORY_EMAIL raises the daily quota; < 500 chars)."""
    kw = {"source": _lang(source, _MYMEMORY), "target": _lang(target, _MYMEMORY)}
    email = options.get("email") or os.environ.get("MYMEMORY_EMAIL")
    if email:
        kw["email"] = email
    cls = _module("deep_translator.mymemory").MyMemoryTranslator
    return _build("mymemory", cls, kw, options, 480, [email or ""], "mymemory/web")


def deepl(source: str = "en", target: str = "pt-BR", **options) -> OnlineEngine:
    """DeepL API (key: --api-key or DEEPL_API_KEY; keys ending in ':fx' use the free endpoint)."""
    key = _key(options, "DEEPL_API_KEY")
    if not key:
        raise _unavailable("deepl", "no API key: pass --api-key or set DEEPL_API_KEY")
    # deep-translator only knows the deprecated "pt"; DeepL wants PT-BR / PT-PT as target
    tgt = {"pt-BR": "PT-BR", "pt": "PT-BR", "pt-PT": "PT-PT"}.get(target)

    def after(t):
        if tgt:
            t._target = tgt

    kw = {"source": source.split("-")[0], "target": "pt" if tgt else target, "api_key": key,
          "use_free_api": key.endswith(":fx")}
    cls = _module("deep_translator.deepl").DeeplTranslator
    return _build("deepl", cls, kw, options, 1500, [key], "deepl/v2", after)


def microsoft(source: str = "en", target: str = "pt-BR", **options) -> OnlineEngine:
    """Microsoft Translator (key: --api-key or MICROSOFT_API_KEY; region: MICROSOFT_REGION)."""
    key = _key(options, "MICROSOFT_API_KEY")
    if not key:
        raise _unavailable("microsoft", "no API key: pass --api-key or set MICROSOFT_API_KEY")
    ms = _module("deep_translator.microsoft")

    class _Microsoft(ms.MicrosoftTranslator):
        # the stock class downloads the language list in __init__ (untimed, every construction)
        def _get_supported_languages(self):
            return {"english": "en", "portuguese": "pt", "portuguese (portugal)": "pt-pt"}

    codes = {"pt-BR": "pt", "pt-PT": "pt-pt"}
    kw = {"source": _lang(source, codes), "target": _lang(target, codes), "api_key": key}
    region = options.get("region") or os.environ.get("MICROSOFT_REGION")
    if region:
        kw["region"] = region
    return _build("microsoft", _Microsoft, kw, options, 5000, [key], "microsoft/v3")


def libre(source: str = "en", target: str = "pt-BR", **options) -> OnlineEngine:
    """LibreTranslate: a self-hosted server (--base-url or LIBRE_BASE_URL) or libretranslate.com with a key."""
    key = _key(options, "LIBRE_API_KEY")
    url = options.get("base_url") or os.environ.get("LIBRE_BASE_URL")
    if not url and not key:
        raise _unavailable("libre", "no server: pass --base-url http://host:5000 (self-hosted LibreTranslate) "
                                    "or --api-key / LIBRE_API_KEY for libretranslate.com")
    if url and not url.endswith("/"):
        url += "/"  # deep-translator appends "translate"

    def after(t):
        t.api_key = key  # None: self-hosted servers need no key, so send none

    kw = {"source": _lang(source, _LIBRE), "target": _lang(target, _LIBRE), "api_key": key or "unused",
          "use_free_api": False}
    if url:
        kw["custom_url"] = url
    cls = _module("deep_translator.libre").LibreTranslator
    # Not the URL: the same server under another name (localhost, a new port) must keep its memory.
    # LibreTranslate servers run the same Argos models; separate them with another --cache if needed.
    return _build("libre", cls, kw, options, 2000, [key or ""], "libre/LibreTranslate", after)


__all__ = ["OnlineEngine", "google", "deepl", "microsoft", "libre", "mymemory"]
