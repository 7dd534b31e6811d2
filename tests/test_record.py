"""Record / Turn: unknown keys, key order and meta survive; bad shapes are named."""
from __future__ import annotations

import pytest

from corpus.record import Record, RecordShapeError


def test_unknown_keys_and_order_survive():
    d = {"source": "x", "id": 3, "conversations": [{"from": "human", "value": "<image>\nQ", "weight": 0.5},
                                                   {"value": "A", "from": "gpt"}], "image": "a.jpg", "tags": [1]}
    r = Record.from_dict(d)
    out = r.to_dict()
    assert out == d and list(out) == list(d)
    assert list(out["conversations"][1]) == ["value", "from"]
    assert r.has_image and r.key == "3" and r.turns[0].extra == {"weight": 0.5}


def test_text_only_record_has_no_image_key_and_null_image_is_kept():
    d = {"id": "t", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}
    assert "image" not in Record.from_dict(d).to_dict()
    d2 = {"id": "t", "image": None, "conversations": d["conversations"]}
    assert Record.from_dict(d2).to_dict() == d2


def test_meta_round_trips_and_stage_meta_is_written():
    d = {"id": 1, "conversations": [{"from": "human", "value": "Q"}], "meta": {"lang_score": 0.9}}
    r = Record.from_dict(d)
    assert r.meta == {"lang_score": 0.9} and r.to_dict() == d
    r2 = Record.from_dict({"id": 1, "conversations": []})
    r2.meta["engine"] = "bergamot"
    assert r2.to_dict()["meta"] == {"engine": "bergamot"}
    assert "meta" not in r2.to_dict(with_meta=False)


def test_copy_is_independent():
    r = Record.from_dict({"id": 1, "conversations": [{"from": "human", "value": "Q"}]})
    c = r.copy()
    c.turns[0].value = "changed"
    c.meta["x"] = 1
    assert r.turns[0].value == "Q" and r.meta == {}


@pytest.mark.parametrize("d,detail", [
    ([1], "not an object"),
    ({"conversations": []}, "no 'id'"),
    ({"id": True, "conversations": []}, "'id' must be"),
    ({"id": 1, "conversations": {}}, "'conversations' must be a list"),
    ({"id": 1, "image": 5, "conversations": []}, "'image' must be"),
    ({"id": 1, "conversations": [{"from": "human"}]}, "needs 'from' and 'value'"),
    ({"id": 1, "conversations": [{"from": "human", "value": 3}]}, "must be strings"),
])
def test_bad_shapes_raise_named_error(d, detail):
    with pytest.raises(RecordShapeError, match=detail) as ei:
        Record.from_dict(d)
    assert ei.value.rule == "schema"
