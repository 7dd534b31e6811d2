"""Online engines against a real LibreTranslate-compatible HTTP server on 127.0.0.1.

The server (tests/libre_server.py) runs in a thread of the test and injects
429s, 500s, slow replies, slow-drip replies, dropped connections and garbled
bodies. The engine code under test is the real one: deep-translator, our
transport, timeouts, retries, backoff and the rate limiter.
"""
from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from corpus.errors import EngineFailed, EngineUnavailable
from corpus.translate.engine import get_engine
from corpus.translate.online import deepl, google, libre, microsoft, mymemory
from corpus.translate.retry import Policy, RateLimiter, chunk_text, redact
from libre_server import LibreServer, fake_translate

FAST = dict(backoff=0.01)  # keep retries quick; the backoff schedule has its own test
KEY = "sk-SECRET/key+42"


@pytest.fixture
def server():
    with LibreServer(slow_s=3.0) as srv:
        yield srv


@pytest.fixture(autouse=True)
def no_keys(monkeypatch):
    for var in ("DEEPL_API_KEY", "MICROSOFT_API_KEY", "LIBRE_API_KEY", "LIBRE_BASE_URL", "MYMEMORY_EMAIL"):
        monkeypatch.delenv(var, raising=False)


def test_translates_through_the_server(server):
    eng = get_engine("libre", base_url=server.url, timeout=5, retries=0)
    out = eng.translate_batch(["The cat sits on the mat.", "", "  A red car. "])
    assert out == ["O gato senta em o tapete.", "", "  Um vermelho carro. "]
    assert [e["q"] for e in server.log] == ["The cat sits on the mat.", "A red car."]  # blanks never sent
    assert all(e["api_key"] is None for e in server.log)  # self-hosted: no key sent
    assert eng.counters["calls"] == 2 and eng.counters["retries"] == 0
    assert eng.version == "libre/LibreTranslate"  # not the URL: a new port must not lose the memory


def test_every_fault_is_retried_until_success(server):
    server.script += ["429", "500", "drop", "slow", "garbage", "503"]
    eng = get_engine("libre", base_url=server.url, timeout=1.0, retries=6, **FAST)
    assert eng.translate_batch(["A cat."]) == [fake_translate("A cat.")]
    assert server.faults() == ["429", "500", "drop", "slow", "garbage", "503", "ok"]
    c = eng.counters
    assert (c["calls"], c["attempts"], c["retries"], c["timeouts"], c["failures"]) == (1, 7, 6, 1, 0)
    for reason in ("http_429", "http_500", "connection", "timeout", "bad_reply", "http_503"):
        assert c[f"fault_{reason}"] == 1, reason


def test_timeout_bounds_a_hanging_reply():
    with LibreServer(slow_s=30) as srv:  # would hang 30 s without our bound
        srv.always["cat"] = "slow"
        eng = get_engine("libre", base_url=srv.url, timeout=0.5, retries=1, **FAST)
        t0 = time.monotonic()
        with pytest.raises(EngineFailed) as exc:
            eng.translate_batch(["A cat."])
        assert time.monotonic() - t0 < 4
    assert "timeout, retries exhausted" in str(exc.value) and eng.counters["timeouts"] == 2


def test_timeout_bounds_a_slow_drip_reply():
    """Each read returns within the socket timeout; only the bound on the whole call stops it."""
    with LibreServer(slow_s=20) as srv:
        srv.always["cat"] = "drip"
        eng = get_engine("libre", base_url=srv.url, timeout=1.0, retries=0)
        t0 = time.monotonic()
        with pytest.raises(EngineFailed, match="timeout"):
            eng.translate_batch(["A cat."])
        assert time.monotonic() - t0 < 3


def test_exhausted_retries_raise_one_line(server):
    server.always["cat"] = "503"
    eng = get_engine("libre", base_url=server.url, timeout=2, retries=2, **FAST)
    with pytest.raises(EngineFailed) as exc:
        eng.translate_batch(["A cat."])
    msg = str(exc.value)
    assert "\n" not in msg and exc.value.one_line() == msg
    assert msg == "engine 'libre' failed after 3 attempts: http_503, retries exhausted (server error)"
    assert len(server.log) == 3 and eng.counters["failures"] == 1


def test_a_refused_key_is_not_retried_and_not_leaked():
    with LibreServer(require_key="the-right-key") as srv:
        eng = get_engine("libre", base_url=srv.url, api_key=KEY, retries=3, **FAST)
        with pytest.raises(EngineFailed) as exc:
            eng.translate_batch(["A cat."])
        assert srv.log[0]["api_key"] == KEY  # the key was sent...
    assert len(srv.log) == 1  # ...once: a 403 is permanent
    assert "http_403" in str(exc.value)
    assert KEY not in str(exc.value) and "SECRET" not in repr(exc.value) and "SECRET" not in str(eng.counters)


def test_key_in_a_connection_error_url_is_redacted():
    # nothing listens on port 9: requests' message quotes the URL, query string (and key) included
    eng = get_engine("libre", base_url="http://127.0.0.1:9", api_key=KEY, timeout=2, retries=1, **FAST)
    with pytest.raises(EngineFailed) as exc:
        eng.translate_batch(["A cat."])
    msg = str(exc.value)
    assert "connection, retries exhausted" in msg and "Connection refused" in msg
    assert "SECRET" not in msg


def test_caller_redacts_keys_from_any_error_detail():
    from urllib.parse import quote_plus

    from corpus.translate.retry import Caller, Transient

    def attempt():
        raise OSError(f"GET http://h/translate?q=x&api_key={quote_plus(KEY)} failed")

    caller = Caller("libre", Policy(retries=1, backoff=0.001), secrets=[KEY])
    with pytest.raises(EngineFailed) as exc:
        caller.call(attempt, classify=lambda e: Transient("connection", str(e)))
    assert "SECRET" not in str(exc.value) and "api_key=***" in str(exc.value)


def test_rps_limits_the_request_rate_across_threads(server):
    eng = get_engine("libre", base_url=server.url, rps=10, timeout=5)
    threads = [threading.Thread(target=eng.translate_batch, args=([f"A cat {i}.", f"A dog {i}."],)) for i in range(3)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    times = sorted(e["t"] for e in server.log)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 6
    assert elapsed >= 0.45  # 6 requests at 10/s: >= 5 intervals of 0.1 s
    assert min(gaps) >= 0.07  # evenly spaced, not bursts (some slack for scheduling)


def test_rate_limiter_spacing():
    lim = RateLimiter(50)
    t0 = time.monotonic()
    for _ in range(11):
        lim.acquire()
    assert time.monotonic() - t0 >= 0.19
    assert RateLimiter(None).acquire() == 0.0


def test_long_text_is_chunked_under_the_limit(server):
    eng = get_engine("libre", base_url=server.url)
    sentence = "The cat sits on the mat. "
    text = (sentence * 200).strip()  # ~5000 chars, limit 2000
    out = eng.translate_batch([text])[0]
    assert len(server.log) == 3
    assert all(len(e["q"]) <= eng.max_chars for e in server.log)
    assert all(e["q"].endswith(".") for e in server.log)  # cut at sentence ends
    assert out == " ".join([fake_translate(sentence.strip())] * 200)


@given(st.text(alphabet=st.sampled_from("ab .!\n,"), max_size=120), st.integers(1, 25))
@settings(max_examples=200, deadline=None)
def test_chunk_text_round_trip(text, limit):
    pairs = chunk_text(text, limit)
    assert "".join(c + s for c, s in pairs) == text
    assert all(len(c) <= limit for c, _ in pairs)
    assert all(c for c, _ in pairs[:-1])  # no empty chunk except a lone empty text


def test_backoff_grows_with_jitter_and_honours_retry_after():
    p = Policy(backoff=1.0, max_backoff=8.0)
    for retry, base in [(0, 1), (1, 2), (2, 4), (3, 8), (6, 8)]:
        ds = [p.delay(retry) for _ in range(50)]
        assert all(base / 2 <= d <= base for d in ds)
        assert len(set(ds)) > 1  # jittered
    assert p.delay(0, retry_after=5) >= 5 and p.delay(0, retry_after=500) <= 8


def test_redact_raw_and_url_encoded():
    from urllib.parse import quote, quote_plus

    msg = f"url?api_key={quote_plus(KEY)} or {quote(KEY, safe='')} or {KEY}"
    assert redact(msg, [KEY]).count("***") == 3 and "SECRET" not in redact(msg, [KEY])


def test_missing_keys_are_one_line_unavailable(monkeypatch):
    for factory, hint in [(deepl, "DEEPL_API_KEY"), (microsoft, "MICROSOFT_API_KEY"), (libre, "--base-url")]:
        with pytest.raises(EngineUnavailable) as exc:
            factory(source="en", target="pt-BR")
        assert hint in str(exc.value) and "\n" not in str(exc.value)
    monkeypatch.setenv("DEEPL_API_KEY", "env-key:fx")
    assert deepl(source="en", target="pt-BR").make().api_key == "env-key:fx"


def test_factories_accept_and_ignore_unknown_options():
    extra = dict(api_key="k-123", base_url="http://127.0.0.1:1", rps=3, timeout=2, retries=1,
                 argos_package="x.argosmodel", workers=4, something_new=True)
    for factory in (google, deepl, microsoft, libre, mymemory):
        eng = factory(source="en", target="pt-BR", **extra)  # no network at construction (microsoft included)
        assert eng.max_chars > 100 and eng.counters["calls"] == 0
        assert eng.policy == Policy(timeout=2, retries=1, rps=3)


def test_target_codes_per_service():
    # DeepL deprecated "pt": the request must say PT-BR; deep-translator's table only knows "pt"
    assert deepl(source="en", target="pt-BR", api_key="k").make()._target == "PT-BR"
    assert google(source="en", target="pt-BR").make()._target == "pt"
    assert mymemory(source="en", target="pt-BR").make()._target == "pt-BR"
    assert microsoft(source="en", target="pt-BR", api_key="k").make()._target == "pt"


# ---- end to end: `corpus translate --engine libre` against the faulty server ----

def _corpus(path):
    from conftest import rec, write_json

    return write_json(path, [
        rec("r1", "<image>\nWhat is the cat on?", "The cat sits on the mat.\nThe mat is red."),
        rec("r2", "<image>\nDescribe the picture.", "A man and a woman sit at a table [0.12, 0.34, 0.56, 0.78]."),
        rec("r3", "What color is the car?", "The car is red.\n\n1. A red car.\n2. A blue bus."),
        rec("r4", "<image>\nIs there an elephant?", "There are two people in the image."),
        rec("r5", "What is this?", "The cat sits on the mat."),  # repeats r1: one request only
    ])


def _translate(tmp_path, url, *extra):
    from typer.testing import CliRunner

    from corpus.cli import app

    args = ["translate", str(tmp_path / "in.json"), "-o", str(tmp_path / "out.json"), "--engine", "libre",
            "--base-url", url, "--api-key", KEY, "--timeout", "1", "--retries", "3", "--workers", "2",
            "--cache", str(tmp_path / "tm.sqlite"), *extra]
    return CliRunner().invoke(app, args)


def test_corpus_translate_with_faults_completes_or_rejects_with_reason(tmp_path):
    import json

    _corpus(tmp_path / "in.json")
    with LibreServer(slow_s=3) as srv:
        srv.first_try = ["429", "500", "drop", "ok", "slow", "garbage", "ok"]  # every text's first try, in turn
        srv.always["elephant"] = "503"  # this sentence never gets through
        res = _translate(tmp_path, srv.url)
        assert res.exit_code == 0, res.output
        first_run = list(srv.log)

    out = json.loads((tmp_path / "out.json").read_text())
    assert [r["id"] for r in out] == ["r1", "r2", "r3", "r5"]
    by_id = {r["id"]: r["conversations"] for r in out}
    assert by_id["r1"][0]["value"] == "<image>\nO que é o gato em?"
    assert by_id["r1"][1]["value"] == "O gato senta em o tapete.\nO tapete é vermelho."
    assert "[0.12, 0.34, 0.56, 0.78]" in by_id["r2"][1]["value"]
    assert by_id["r3"][1]["value"].split("\n")[2:] == ["1. Um vermelho carro.", "2. Um azul ônibus."]
    assert all(r["meta"]["engine"] == "libre" for r in out)

    [rej] = [json.loads(line) for line in (tmp_path / "out.json.rejects.jsonl").read_text().splitlines()]
    assert rej["id"] == "r4" and rej["record"]["id"] == "r4" and rej["reasons"] == ["segment_failed"]
    assert "503" in rej["detail"], rej["detail"]  # the engine's own error reaches the reject
    assert "Is there an elephant?" in rej["detail"]
    assert sum(1 for e in first_run if "elephant" in e["q"]) == 4  # 1 try + 3 retries, then given up

    stats = json.loads((tmp_path / "out.json.stats.json").read_text())
    assert (stats["records_in"], stats["records_out"], stats["rejected"]) == (5, 4, 1)
    assert stats["rejected_by_reason"] == {"segment_failed": 1}
    assert stats["retries"] >= 6  # first-try faults on the good texts, plus 3 per elephant attempt
    assert stats["engine"] == "libre"
    # each text's first try failed (mostly) yet the good ones all went through; the repeat went once
    assert sum(1 for e in first_run if e["q"] == "The cat sits on the mat.") <= 2
    for f in (tmp_path / "out.json", tmp_path / "out.json.rejects.jsonl", tmp_path / "out.json.stats.json"):
        assert KEY not in f.read_text() and "SECRET" not in f.read_text()
    assert "SECRET" not in res.output

    # a re-run asks the server only for what failed (the rest is in the translation memory)
    with LibreServer() as srv:
        res = _translate(tmp_path, srv.url, "--on-error", "keep-source")
        assert res.exit_code == 0, res.output
        assert {e["q"] for e in srv.log} == {"Is there an elephant?"}
    out = json.loads((tmp_path / "out.json").read_text())
    assert [r["id"] for r in out] == ["r1", "r2", "r3", "r4", "r5"]
    r4 = out[3]
    assert r4["conversations"][0]["value"] == "<image>\nÉ há an elephant?"
    stats = json.loads((tmp_path / "out.json.stats.json").read_text())
    assert stats["kept_source"] == 0 and stats["records_out"] == 5 and stats["memory_hits"] >= 8


def test_corpus_translate_keep_source_and_fail_modes(tmp_path):
    import json

    _corpus(tmp_path / "in.json")
    with LibreServer() as srv:
        srv.always["elephant"] = "500"
        res = _translate(tmp_path, srv.url, "--on-error", "keep-source", "--retries", "1")
        assert res.exit_code == 0, res.output
        out = json.loads((tmp_path / "out.json").read_text())
        assert len(out) == 5
        r4 = next(r for r in out if r["id"] == "r4")
        assert r4["conversations"][0]["value"] == "<image>\nIs there an elephant?"  # English kept...
        assert "untranslated_turns" in json.dumps(r4)  # ...and flagged
        stats = json.loads((tmp_path / "out.json.stats.json").read_text())
        assert stats["kept_source"] == 1 and stats["rejected"] == 0

        (tmp_path / "out.json").unlink()
        res = _translate(tmp_path, srv.url, "--on-error", "fail", "--retries", "1", "--cache",
                         str(tmp_path / "tm2.sqlite"))
        assert res.exit_code == 1
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: ")
        assert "http_500, retries exhausted" in res.stderr and "SECRET" not in res.stderr
        assert not (tmp_path / "out.json").exists()  # no half-written output


def test_deepl_google_mymemory_send_the_right_target_and_retry(server, monkeypatch):
    """The same fault-injecting server, shaped like each service, with deep-translator's URLs pointed at it."""
    from deep_translator.constants import BASE_URLS

    monkeypatch.setitem(BASE_URLS, "DEEPL_FREE", server.url + "{version}/")
    monkeypatch.setitem(BASE_URLS, "GOOGLE_TRANSLATE", server.url + "m")
    monkeypatch.setitem(BASE_URLS, "MYMEMORY", server.url + "get")
    engines = {"deepl": deepl(api_key="dk-SECRET:fx", **FAST), "google": google(**FAST), "mymemory": mymemory(**FAST)}
    wire_target = {"deepl": "PT-BR", "google": "pt", "mymemory": "en-US|pt-BR"}
    for name, eng in engines.items():
        server.script += ["429", "503"]
        assert eng.translate_batch(["The cat sits on the mat."]) == ["O gato senta em o tapete."], name
        calls = [e for e in server.log if e["service"] == name]
        assert [e["fault"] for e in calls] == ["429", "503", "ok"], name
        assert {e["target"] for e in calls} == {wire_target[name]}, name
        assert eng.counters["retries"] == 2
    assert server.log[0]["api_key"] == "dk-SECRET:fx"  # DeepL's auth_key went on the wire...
    server.always["cat"] = "403"
    with pytest.raises(EngineFailed) as exc:
        engines["deepl"].translate_batch(["A cat."])
    assert "http_403" in str(exc.value) and "SECRET" not in str(exc.value)  # ...but never into a message
