"""Each metric on cases computed by hand, Portuguese accents included."""
from __future__ import annotations

import math

import pytest

from corpus.train.metrics import (METRICS, PortugueseTokenizer, exact_match, normalize_pt, rouge, score,
                                  token_f1)

pytest.importorskip("sacrebleu")
pytest.importorskip("rouge_score")


@pytest.mark.parametrize("text, expected", [
    ("À Casa!", "casa"),
    ("O gato, a gata e UM cão.", "gato gata e cao"),
    ("Não está aqui...", "nao esta aqui"),
    ("  os   Coqueiros  ", "coqueiros"),
])
def test_normalisation_drops_case_accents_punctuation_and_articles(text, expected):
    assert normalize_pt(text) == expected


def test_exact_match():
    assert exact_match("Um gato.", "o Gato") == 100.0
    assert exact_match("Está", "esta") == 100.0
    assert exact_match("gato preto", "gato") == 0.0


def test_token_f1_by_hand():
    # pred -> [gato, preto, dormindo]; ref -> [gato, dormindo, no, sofa]; common 2
    # P = 2/3, R = 2/4, F1 = 2PR/(P+R) = 4/7
    assert token_f1("um gato preto dormindo", "o gato dormindo no sofá") == pytest.approx(400 / 7)
    assert token_f1("", "") == 100.0 and token_f1("gato", "") == 0.0 and token_f1("a", "cão") == 0.0


def test_rouge_keeps_accented_words_whole():
    assert PortugueseTokenizer().tokenize("Não está LÁ!") == ["não", "está", "lá"]
    # [não, está, aqui] vs [não, está, lá]: unigrams 2/3 both ways; bigrams (não está) 1 of 2; LCS 2
    r = rouge(["não está aqui"], ["não está lá"])
    assert r["rouge1"] == pytest.approx(200 / 3)
    assert r["rouge2"] == pytest.approx(50.0)
    assert r["rougeL"] == pytest.approx(200 / 3)


def test_rouge_default_tokenizer_would_have_been_wrong():
    """The reason for our tokenizer: rouge-score's default splits "não" into "n", "o" and scores 3/4."""
    from rouge_score import rouge_scorer

    default = rouge_scorer.RougeScorer(["rouge1"]).score("não está lá", "não está aqui")["rouge1"].fmeasure
    assert default == pytest.approx(0.75)
    assert rouge(["ação"], ["ação"])["rouge1"] == 100.0
    assert rouge(["ação"], ["acao"])["rouge1"] == 0.0  # accents are part of the word in ROUGE


def test_rouge_averages_over_samples():
    r = rouge(["gato", "cão"], ["gato", "pato"])  # 1.0 and 0.0
    assert r["rouge1"] == pytest.approx(50.0)


def test_bleu_by_hand():
    # all n-gram precisions are 1 (5/5, 4/4, 3/3, 2/2); brevity penalty exp(1 - 6/5)
    s = score(["o gato está no tapete"], ["o gato está no tapete azul"])
    assert s["bleu"] == pytest.approx(100 * math.exp(-0.2), abs=1e-6)


def test_chrf_by_hand():
    # chars (spaces removed) "ab" vs "abc": order 1 P=1 R=2/3; order 2 P=1 R=1/2; orders 3-6 have no
    # hypothesis n-grams and are left out. Mean P=1, R=7/12; F2 = 5PR/(4P+R) = 35/55
    assert score(["ab"], ["abc"])["chrf"] == pytest.approx(100 * 35 / 55)
    assert score(["não está"], ["não está"])["chrf"] == pytest.approx(100.0)


def test_score_reports_every_metric():
    s = score(["O gato preto.", "Uma praia."], ["o gato preto", "um carro vermelho"])
    assert set(METRICS) <= set(s) and s["n"] == 2
    assert s["exact_match"] == 50.0
    assert all(0.0 <= s[m] <= 100.0 for m in METRICS)
    with pytest.raises(ValueError):
        score(["a"], [])
