"""Masking: every protected span comes back exactly; lost or invented tokens are errors, never silent."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.placeholders import PlaceholderError, globalise, mask, renumber, restore, token_problems
from corpus.translate.plan import plan

SPANS = ["<image>", "[0.12, 0.34, 0.56, 0.78]", "0.5", "3.14159", "https://example.com/a.b?x=1",
         "user.name@mail.example.org", "`x = 1`", "```py\nprint(1)\n```", "$x^2$", "$$a+b$$", r"\(a\)",
         r"\[E=mc^2\]", "(A)", "<b>", "</div>", "[7]", "<|im_start|>"]
# Text mixing protected spans, LLaVA-ish words, layout and brackets/digits that look almost like tokens.
PIECES = st.sampled_from(SPANS + ["The cat", " ", "\n", "\n\n", "1. ", "- ", "[", "]", "12", ".", ",", "?",
                                  "$5 and $10", "e.g. the dog", "  ", "\t", "XNUM1", "(B", "a.b", "é"])
TEXTS = st.one_of(st.text(), st.lists(PIECES, max_size=30).map("".join))


@given(TEXTS)
@settings(max_examples=400, deadline=None)
def test_mask_identity_restore_is_exact(text):
    m = mask(text)
    assert restore(m.text, m.spans) == text


@given(TEXTS)
@settings(max_examples=300, deadline=None)
def test_plan_identity_translation_reassembles_exactly(text):
    # The whole path (mask -> segment -> renumber -> "translate" -> globalise -> restore).
    p = plan(text, max_chars=40)
    out, problems = p.assemble({u: u for u in p.units})
    assert out == text
    assert problems == []


@pytest.mark.parametrize("span", SPANS)
def test_each_kind_is_protected(span):
    text = f"Look at {span} now."
    m = mask(text)
    assert span not in m.text or span == "[1]"
    assert m.spans == [span]
    assert m.text == "Look at [1] now."


def test_prices_are_not_latex_and_plain_integers_stay_text():
    m = mask("It costs $5 and $10 for 3 apples.")
    assert m.spans == [] and m.text == "It costs $5 and $10 for 3 apples."


def test_url_keeps_trailing_punctuation_outside():
    m = mask("See https://example.com/page.")
    assert m.spans == ["https://example.com/page"] and m.text == "See [1]."


def test_lost_duplicated_and_invented_tokens_raise():
    m = mask("A box [0.1, 0.2, 0.3, 0.4] and 0.5.")
    with pytest.raises(PlaceholderError, match="placeholder_missing"):
        restore("Uma caixa e [2].", m.spans)
    with pytest.raises(PlaceholderError, match="placeholder_duplicated"):
        restore("[1] [1] [2]", m.spans)
    with pytest.raises(PlaceholderError, match="placeholder_extra"):
        restore("[1] [2] [3]", m.spans)
    assert token_problems("[2] antes de [1]", 2) == []  # reordering is fine


def test_renumber_makes_sentences_with_different_boxes_identical():
    a, b = mask("The car at [0.1, 0.2, 0.3, 0.4] is red."), mask("Hi <image> The car at [0.5, 0.6, 0.7, 0.8] is red.")
    la, ida = renumber(a.text)
    lb, idb = renumber(b.text.split("Hi [1] ")[1])
    assert la == lb == "The car at [1] is red."
    assert globalise("O carro em [1] é vermelho.", idb) == "O carro em [2] é vermelho."


def test_lowercase_choice_labels_are_masked_like_uppercase():
    """Found in stop 14: Bergamot turned "(a) the first one" into "a) a primeira"."""
    m = mask("Which is right?\n(a) the first one (b) the second one (A) x")
    assert m.text == "Which is right?\n[1] the first one [2] the second one [3] x"
    assert m.spans == ["(a)", "(b)", "(A)"] and set(m.kinds) == {"label"}
    assert mask("friend(s) and f(x)").spans == []  # glued to a word: not a label
