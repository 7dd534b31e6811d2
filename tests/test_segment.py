"""Segmenting keeps layout byte for byte and hands the engine only sentences, never over max_chars."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.placeholders import mask
from corpus.segment import Piece, segment, split_long, units


def parts(text, max_chars=300):
    m = mask(text)
    return segment(m.text, max_chars=max_chars, kinds=m.kinds)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_pieces_join_back_to_the_input(text):
    assert "".join(p.text for p in segment(text, max_chars=30)) == text


def test_layout_is_kept_and_only_sentences_are_translated():
    text = ("  Notable details:\n\n1. A man holds an umbrella. He waits.\n- The bus is red!\n"
            "* Indented item  \n\tB. second option\n")
    ps = parts(text)
    assert "".join(p.text for p in ps) == text
    assert units(ps) == ["Notable details:", "A man holds an umbrella.", "He waits.", "The bus is red!",
                         "Indented item", "second option"]
    keep = [p.text for p in ps if not p.translate]
    for layout in ("  ", "1. ", "- ", "* ", "\tB. "):
        assert layout in keep
    assert keep.count("\n") == text.count("\n")


def test_image_token_and_edge_tokens_stay_outside_sentences():
    ps = parts("<image>\nWhat is this? <image>")
    assert units(ps) == ["What is this?"]
    ps = parts("(A) shark (B) dolphin")
    assert units(ps) == ["shark [2] dolphin"]  # the leading label is layout, the inner one travels


def test_pieces_without_words_are_not_sent():
    assert units(parts("B")) == []
    assert units(parts("1, 2, 3.")) == []
    assert units(parts("[0.1, 0.2, 0.3, 0.4]")) == []


def test_abbreviations_do_not_split_sentences():
    assert units(parts("Dr. Smith met Mr. Jones, e.g. at noon. Then he left.")) == [
        "Dr. Smith met Mr. Jones, e.g. at noon.", "Then he left."]


def test_long_sentences_are_split_under_max_chars_never_truncated():
    long = ", ".join(f"the {w} sits on the left side of the wooden table" for w in ["cat", "dog", "cup", "pen"] * 6) + "."
    ps = parts(long, max_chars=120)
    assert "".join(p.text for p in ps) == long
    assert all(len(u) <= 120 for u in units(ps))
    assert len(units(ps)) > 3


def test_split_long_prefers_clause_boundaries():
    text = "A cat sleeps on the sofa; a dog barks at the door, and a bird sings outside."
    out = split_long(text, 40)
    assert "".join(out) == text
    assert out[0] == "A cat sleeps on the sofa;"


def test_a_line_leading_em_dash_is_layout():
    """Found in stop 14: "—Homer, The Iliad" (ScienceQA) came back as "Homer, a Ilíada"."""
    for line, lead in (("—Homer, The Iliad", "—"), ("— Mark Twain, Tom Sawyer", "— ")):
        pieces = segment(line, max_chars=300)
        assert pieces[0] == Piece(lead, False) and "".join(p.text for p in pieces) == line
        assert [p.text for p in pieces if p.translate] == [line[len(lead):]]
