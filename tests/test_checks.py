"""Each quality reason with a record that triggers it and one that passes; duplicates; validate."""
from __future__ import annotations

import pytest

from conftest import rec, shared_path
from corpus import checks as C
from corpus.errors import UsageError
from corpus.filters import Duplicates, QualityChecks, Validate
from corpus.record import Record


def R(*turns, image="a.jpg", source=None, rid="r"):
    d = rec(rid, *turns, image=image)
    if source is not None:
        d["source_conversations"] = [{"from": t["from"], "value": s} for t, s in zip(d["conversations"], source)]
    return Record.from_dict(d)


GOOD = R("<image>\nO que o gato está fazendo?", "O gato está dormindo no sofá.",
         source=["<image>\nWhat is the cat doing?", "The cat is sleeping on the sofa."])


def test_good_record_passes_every_check():
    assert QualityChecks().check(GOOD) is None


def test_empty_answer():
    assert C.empty_answer(R("<image>\nO que é?", "  ")) == ("empty_answer", "turn 1 (gpt) is empty")
    assert C.empty_answer(GOOD) is None


def test_too_short():
    assert C.too_short(R("<image>\nO que é?", "Um."), min_chars=5)[0] == "too_short"
    assert C.too_short(R("<image>\nQual opção?", "B"), min_chars=1) is None  # ScienceQA answers are one letter


def test_length_ratio_needs_the_source():
    cut = R("<image>\nDescreva a cena.", "Um homem.",
            source=["<image>\nDescribe the scene.", "A man is walking his dog along a sunny beach at dawn."])
    assert C.length_ratio(cut)[0] == "length_ratio"
    assert C.length_ratio(GOOD) is None
    assert C.length_ratio(R("<image>\nDescreva.", "Um homem.")) is None  # no source kept: not judged


# Real Bergamot output for NTREX-128 dev line 171 ("The iconoclasm of the English civil
# wars was neither ordered nor carried out by Cromwell."): the decoder looped.
LOOP_SRC = "The iconoclasm of the English civil wars was neither ordered nor carried out by Cromwell."
LOOP = ("A iconoclasma das guerras civis inglesas não foi ordenada nem levada a ser levada a ser levada a ser "
        "ordenada nem levada a ser levada a ser levada a ser levada a ser levada a ser levada a ser ordenada "
        "nem realizada por Cromwell.")


def test_repetition_on_a_real_decoder_loop():
    src = shared_path("parallel", "ntrex128.dev.en").read_text(encoding="utf-8").splitlines()[170]
    assert src == LOOP_SRC
    looped = R("<image>\nO que diz o texto?", LOOP, source=["<image>\nWhat does the text say?", src])
    reason, detail = C.repetition(looped)
    assert reason == "repetition" and "turn 1" in detail
    assert C.length_ratio(looped)[0] == "length_ratio"  # 2.56x the source, too
    assert C.repetition(GOOD) is None


def test_repetition_the_source_already_had_is_forgiven():
    rep = "persona " * 15
    assert C.repetition(R("<image>\nO que é?", rep)) is not None
    assert C.repetition(R("<image>\nO que é?", rep, source=["<image>\nWhat is it?", rep])) is None


def test_mojibake_on_the_real_tatoeba_lines():
    lines = shared_path("parallel", "tatoeba.en-pt.pt").read_text(encoding="utf-8").splitlines()
    hits = [s for s in lines if C.mojibake(R("<image>\nO quê?", s))]
    assert len(hits) == 2 and all("Ã" in s for s in hits)
    assert C.mojibake(R("<image>\nLEIA", "NÃO ENTRE. IRMÃ E MÃE. Ação, órgão, você.")) is None
    assert C.mojibake(R("<image>\nx?", "Texto com \ufffd perdido"))[0] == "mojibake"


@pytest.mark.parametrize("en, pt", [
    ("It costs 1,000 dollars and weighs 0.78 kg.", "Custa 1.000 dólares e pesa 0,78 kg."),
    ("The match starts at 3 p.m. on the 25th.", "A partida começa às 15h no dia 25."),
    ("He arrived at 4.40 am.", "Ele chegou às 4h40."),
    ("A 19th century house for 350,000 people.", "Uma casa do século XIX para 350 mil pessoas."),
])
def test_numbers_rewritten_legitimately_pass(en, pt):
    assert C.numbers_changed(R("<image>\nQ?", pt, source=["<image>\nQ?", en])) is None


def test_numbers_changed_real_bergamot_error():
    # NTREX: "More than 820,000 people are affected" came back as "Mais de 880 mil pessoas".
    r = R("<image>\nQ?", "Mais de 880 mil pessoas são afetadas no país.",
          source=["<image>\nQ?", "More than 820,000 people are affected in the country."])
    assert C.numbers_changed(r) == ("numbers_changed", "turn 1: missing 820000; new 880000")


def test_placeholder_reasons():
    assert C.placeholders(R("<imagem>\nO que é?", "Um gato."))[0] in ("placeholder_missing", "placeholder_mangled")
    assert C.placeholders(R("O que é?", "Um gato."))[0] == "placeholder_missing"
    assert C.placeholders(R("<image>\nO que é? <image>", "Um gato."))[0] == "placeholder_extra"
    assert C.placeholders(GOOD) is None


def test_too_long_for_training_counts_the_image():
    text = "palavra " * 550  # 4400 chars ~ 1466 text tokens: fits alone, not with 576 image tokens
    assert C.too_long_for_training(R("O que é?", text, image=None)) is None
    reason, detail = C.too_long_for_training(R("<image>\nO que é?", text))
    assert reason == "too_long_for_training" and "576" in detail


def test_duplicates_exact_and_normalised():
    f = Duplicates()
    a = R("<image>\nO que é?", "Um gato.", rid="1")
    same = R("<image>\nO que é?", "Um gato.", rid="2")
    loose = R("<image>\no que  é?", "UM GATO.", rid="3")
    other_image = R("<image>\nO que é?", "Um gato.", image="b.jpg", rid="4")
    assert [f.check(r) for r in (a, other_image)] == [None, None]
    assert f.check(same)[0] == "duplicate" and "earlier" in f.check(same)[1]
    assert "spaces and case" in f.check(loose)[1]
    assert len(f.exact) == 2  # digests only: memory grows by 2 small keys per record


def test_checks_configuration_errors():
    with pytest.raises(UsageError, match="unknown check"):
        QualityChecks({"lenght_ratio": {}})
    with pytest.raises(UsageError, match="length_ratio"):
        QualityChecks({"length_ratio": {"lo": 0.5}})
    assert QualityChecks({"too_short": False, "empty_answer": False}).check(R("<image>\nQ?", "")) is None


def test_validate_stage_gives_the_rule_code():
    bad = Record.from_dict({"id": "v", "image": "a.jpg", "conversations": [
        {"from": "gpt", "value": "<image>\nOlá"}, {"from": "human", "value": "Oi"}]})
    assert Validate().check(bad)[0] == "role_order"
    assert Validate().check(GOOD) is None


@pytest.mark.parametrize("src", [
    [{"from": "human", "value": "x"}, {"from": "gpt", "value": "y"}],
    [{"from": "human"}, {"value": "y"}],  # no "value"
    ["not a turn", {"value": "y"}],
    [None, {"value": None}],
    [["value"], {"value": 3}],
])
def test_source_turns_fast_path_matches_its_definition(src):
    r = Record.from_dict({"id": 1, "conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}],
                          "source_conversations": src})
    assert C.source_turns(r) == [t.get("value", "") if isinstance(t, dict) else "" for t in src]
    r.extra["source_conversations"] = src[:1]  # not aligned with the turns
    assert C.source_turns(r) is None
