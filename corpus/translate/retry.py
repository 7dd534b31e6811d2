"""Bounded, retried, rate-limited calls to a remote engine, and chunking.

Online services fail in a handful of ways that deserve another try (a
timeout, a dropped connection, HTTP 429, HTTP 5xx) and others that don't
(a bad key, a refused language). `Caller` runs each attempt in a worker
thread so a server that never answers cannot hang the job, sleeps an
exponential backoff with jitter between attempts (honouring Retry-After),
spaces requests to at most `rps` per second across threads, and raises
`EngineFailed` with a one-line reason once the attempts run out.

Example:
    caller = Caller("libre", Policy(timeout=10, retries=4, rps=2), secrets=[key])
    text = caller.call(lambda: translator.translate("A cat."), classify=my_classify)
"""
from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, TypeVar

from corpus.errors import EngineFailed

T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    timeout: float = 30.0  # seconds one attempt may take, end to end
    retries: int = 4  # extra attempts after the first
    rps: Optional[float] = None  # requests per second across all threads (None: unlimited)
    backoff: float = 0.5  # first delay; doubles each retry
    max_backoff: float = 30.0

    def delay(self, retry: int, retry_after: Optional[float] = None) -> float:
        """Exponential backoff with jitter: half fixed, half random, so threads don't retry in lockstep."""
        base = min(self.max_backoff, self.backoff * (2 ** retry))
        d = base / 2 + random.uniform(0, base / 2)
        if retry_after is not None:  # the server knows better, within reason
            d = max(d, min(retry_after, self.max_backoff))
        return d


class Transient(Exception):
    """An attempt failed in a way worth retrying. `reason` is a stable code (timeout, http_429, ...)."""

    def __init__(self, reason: str, detail: str = "", retry_after: Optional[float] = None):
        self.reason, self.detail, self.retry_after = reason, detail, retry_after
        super().__init__(f"{reason}: {detail}" if detail else reason)


class Permanent(Exception):
    """An attempt failed in a way no retry will fix (bad key, bad request)."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class CallTimeout(Exception):
    pass


class RateLimiter:
    """At most `rps` acquisitions per second, shared by all threads (evenly spaced slots)."""

    def __init__(self, rps: Optional[float]):
        if rps is not None and rps <= 0:
            raise ValueError("rps must be positive")
        self.interval = 1.0 / rps if rps else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for the next free slot; returns the seconds waited."""
        if not self.interval:
            return 0.0
        with self._lock:  # reserve a slot, then sleep outside the lock
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            time.sleep(wait)
        return max(wait, 0.0)


def run_bounded(fn: Callable[[], T], timeout: float) -> T:
    """Run `fn` in a daemon thread and wait at most `timeout` seconds.

    deep-translator sets no timeouts; a thread we can walk away from is the
    only bound that also covers slow-drip replies. The abandoned thread ends
    when its socket times out (the transport also sets a requests timeout).
    """
    box: dict = {}
    done = threading.Event()

    def target():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller below
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=target, daemon=True, name="corpus-engine-call").start()
    if not done.wait(timeout):
        raise CallTimeout(f"no reply within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (raw or URL-encoded) by '***'."""
    from urllib.parse import quote, quote_plus

    for s in secrets:
        if s and len(s) >= 3:
            for form in {s, quote(s, safe=""), quote_plus(s)}:
                text = text.replace(form, "***")
    return text


class Caller:
    """Calls with timeout, retries, backoff and a rate limit; counts into `counters`.

    counters: calls (logical requests: one per chunk of text), attempts
    (requests sent, = calls + retries), retries, timeouts, failures (calls
    given up), chars, and ``fault_<reason>`` per failed attempt by reason.
    """

    def __init__(self, engine: str, policy: Policy, secrets: Iterable[str] = (), sleep=time.sleep):
        self.engine, self.policy = engine, policy
        self.secrets = [s for s in secrets if s]
        self.limiter = RateLimiter(policy.rps)
        self.counters: dict[str, int] = {"calls": 0, "attempts": 0, "retries": 0, "timeouts": 0, "failures": 0, "chars": 0}
        self._lock = threading.Lock()
        self._sleep = sleep

    def count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counters[key] = self.counters.get(key, 0) + n

    def call(self, attempt: Callable[[], T], classify: Callable[[BaseException], BaseException], chars: int = 0) -> T:
        """Run `attempt` until it succeeds, a Permanent error, or retries run out.

        `classify(exc)` turns any exception into Transient or Permanent.
        """
        self.count("calls")
        self.count("chars", chars)
        last: Transient | None = None
        for n in range(self.policy.retries + 1):
            if n:
                self.count("retries")
                self._sleep(self.policy.delay(n - 1, last.retry_after if last else None))
            self.limiter.acquire()
            self.count("attempts")
            try:
                return run_bounded(attempt, self.policy.timeout)
            except CallTimeout as e:
                self.count("timeouts")
                last = Transient("timeout", str(e))
            except Exception as e:  # classified below: nothing escapes unnamed
                c = classify(e)
                if isinstance(c, Permanent):
                    self.count(f"fault_{c.reason}")
                    self.count("failures")
                    raise EngineFailed(self._message(f"{c.reason}", c.detail, n + 1)) from None
                last = c if isinstance(c, Transient) else Transient("error", str(c))
                if last.reason == "timeout":
                    self.count("timeouts")
            self.count(f"fault_{last.reason}")
        self.count("failures")
        assert last is not None
        raise EngineFailed(self._message(f"{last.reason}, retries exhausted", last.detail, self.policy.retries + 1)) from None

    def _message(self, what: str, detail: str, attempts: int) -> str:
        detail = redact(" ".join(str(detail).split()), self.secrets)
        if len(detail) > 200:
            detail = detail[:197] + "..."
        s = "" if attempts == 1 else "s"
        return f"engine {self.engine!r} failed after {attempts} attempt{s}: {what}" + (f" ({detail})" if detail else "")


# Break points, best first: end of sentence, other punctuation, any whitespace.
_BREAKS = (re.compile(r"(?<=[.!?;:])\s+"), re.compile(r"(?<=[,)\]])\s+"), re.compile(r"\s+"))


def chunk_text(text: str, max_chars: int) -> list[tuple[str, str]]:
    """Split `text` into (chunk, separator) pairs, each chunk at most `max_chars` long.

    ``"".join(c + s for c, s in pairs) == text``; separators are the
    whitespace cut at, so translations re-join with the original spacing.
    Text without any break point is cut hard (it is no sentence anyway).
    """
    if max_chars < 1:
        raise ValueError("max_chars must be >= 1")
    pairs: list[tuple[str, str]] = []
    rest = text
    while len(rest) > max_chars:
        cut = None
        for rx in _BREAKS:
            # the last break whose chunk fits (never an empty chunk)
            for m in rx.finditer(rest, 1, max_chars + 1):
                if m.start() > 0:
                    cut = m
            if cut:
                break
        if cut is None:
            pairs.append((rest[:max_chars], ""))
            rest = rest[max_chars:]
        else:
            pairs.append((rest[: cut.start()], cut.group()))
            rest = rest[cut.end():]
    pairs.append((rest, ""))
    return pairs
