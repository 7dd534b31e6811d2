"""The normalised text behind duplicate keys, vectorised over Arrow buffers.

Definition (that of the SQL it replaces, measured at 3.6-4.1x the bare ``count(*)``):

    lower(replace(replace(replace(array_to_string(list_transform(conversations,
          lambda t: t.value), ''), '<image>', ''), ' ', ''), chr(10), ''))

A JSON array is parsed by one DuckDB thread and everything after the scan runs in that
same thread; on 158k LLaVA records ``replace(' ')`` alone cost 0.55 s (English) / 1.2 s
(pt-BR), ``lower()`` 0.3 s / 0.8 s (accented text takes its slow path) and the join
~0.5 s. Here DuckDB hands 2048 records as Arrow buffers and numpy removes the bytes of
each exact ``<image>`` (joined turns included), every ' ' and '\\n', and lower-cases A-Z,
in a few whole-buffer passes; ``bytes.translate`` does the deleting (numpy's boolean
compaction and polars' replace_all were slower, measured).

Non-ASCII letters that ``lower()`` maps to a letter of the same UTF-8 length and first
byte (É->é, Ç->ç, Ā->ā: 30 % of pt-BR records hold one) are lowered here too, by a table
asked of DuckDB itself once per process. ``normalised_turns(conversations)`` (and
``normalised_text(s)`` for one string) return ``{text, unicode}``: ``unicode`` is true
when ``text`` still holds a code point that ``lower()`` changes in another way (Σ, İ, ẞ,
3- and 4-byte letters), so SQL finishes with

    CASE WHEN n.unicode THEN lower(n.text) ELSE n.text END

which equals the definition above because ``lower()`` maps code point by code point
(tests/test_query_keys.py checks this against the SQL with hypothesis).

    >>> normalise(pa.array(["<image>\\nA b", None]))   # doctest: +SKIP
    (['ab', None], [False, False])
"""
from __future__ import annotations

from corpus.arrow_udf import ScratchPool, as_strings, sql_types
from corpus.arrow_udf import offsets as string_offsets
from corpus.arrow_udf import register as register_udf

_SPACE, _NEWLINE, _LT = 32, 10, 60
_IMAGE = int.from_bytes(b"<image>", "little")  # 7 bytes, read as the low bytes of a uint64
_LOW7 = (1 << 56) - 1
_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_LOWER = None  # (second, hard2, hard): see _lower_tables


def _lower_tables(con=None):
    """What DuckDB's lower() does to non-ASCII code points, asked of DuckDB itself (~0.1 s, once).

    Indexed by a 2-byte sequence's (first byte << 8 | second byte): ``second`` is the
    lowered second byte when lower() maps the letter to one with the same first byte
    (É->é, Ç->ç, Ā->ā), else 0; ``hard2`` marks the 2-byte letters lower() changes
    otherwise (Σ->σ changes the first byte). ``hard`` marks, by code point, those of
    3 and 4 bytes. Strings holding a hard letter go to lower() itself.
    """
    import numpy as np

    global _LOWER
    if _LOWER is None:
        if con is None:  # first use: ask a private in-memory DuckDB (same lower() as any connection)
            import duckdb

            with duckdb.connect() as own:
                return _lower_tables(own)
        pairs = con.execute("""SELECT c, lower(chr(c::INTEGER)) FROM range(128, 1114112) t(c)
            WHERE (c < 55296 OR c > 57343) AND lower(chr(c::INTEGER)) <> chr(c::INTEGER)""").fetchall()
        second = np.zeros(1 << 16, dtype=np.uint8)
        hard2 = np.zeros(1 << 16, dtype=bool)
        hard = np.zeros(0x110000, dtype=bool)
        for c, low in pairs:
            if c >= 0x800:
                hard[c] = True
                continue
            code = chr(c).encode()
            pair = code[0] << 8 | code[1]
            new = low.encode()
            if len(new) == 2 and new[0] == code[0]:
                second[pair] = new[1]
            else:
                hard2[pair] = True
        _LOWER = second, hard2, hard
    return _LOWER


class _Scratch:
    """Work buffers reused across calls (fresh ones per 2048-string chunk cost page faults;
    see query_words). Nothing here reaches the result: that is translate()'s new bytes."""

    def __init__(self):
        self.n = -1

    def fit(self, n: int) -> "_Scratch":
        import numpy as np

        if n > self.n:
            self.n = size = max(n, 2 * self.n, 1 << 20)
            self.padded = np.zeros(size + 8, dtype=np.uint8)
            self.mask, self.tmp = np.empty(size, dtype=bool), np.empty(size, dtype=bool)
            self.words = np.zeros(size // 64 + 2, dtype=np.uint64)
            self.cumulative = np.zeros(size // 64 + 3, dtype=np.int64)
        return self


_POOL = ScratchPool(_Scratch)


def normalise(strings, tables=None):
    """(text, unicode) Arrow arrays: text without '<image>', ' ', '\\n', A-Z lower-cased."""
    import numpy as np

    arr = as_strings(strings)
    offsets = string_offsets(arr)
    valid = None if arr.null_count == 0 else np.asarray(arr.is_valid())
    return _normalise(arr.buffers()[2], offsets, valid, tables)


def normalise_turns(conversations, tables=None):
    """normalise() of each record's turn values joined with '' (array_to_string(..., '')),
    straight from the list of turns: no joined copy is made (DuckDB's list_transform and
    array_to_string cost ~0.5 s on 158k records, measured)."""
    import numpy as np
    import pyarrow as pa

    lists = conversations.combine_chunks() if isinstance(conversations, pa.ChunkedArray) else conversations
    turns = lists.values  # every turn of the chunk; the list offsets index into it
    values = as_strings(turns.flatten()[list(turns.type.names).index("value")])  # a NULL turn has a NULL value
    if values.null_count:
        # NULL values add nothing to the join; their slots must hold no bytes
        lengths = np.diff(string_offsets(values))
        if lengths[~np.asarray(values.is_valid())].any():
            values = values.fill_null("")
    by_turn = string_offsets(values)
    starts = np.asarray(lists.offsets).astype(np.int64)  # sliced with `lists`, absolute in `turns`
    offsets = by_turn[starts]
    # array_to_string: NULL for a NULL list, or for a non-empty list of NULL values only
    valid = None
    if lists.null_count or values.null_count:
        counted = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(np.asarray(values.is_valid()), out=counted[1:])
        has_value = np.diff(counted[starts]) > 0
        valid = np.asarray(lists.is_valid()) & (has_value | (np.diff(starts) == 0))
    return _normalise(values.buffers()[2], offsets, valid, tables)


def _normalise(data, offsets, valid, tables):
    """The work of normalise: `offsets` delimit each row's bytes in the buffer `data`."""
    import numpy as np
    import pyarrow as pa

    second, hard2, hard = tables or _lower_tables()
    rows = len(offsets) - 1
    base = int(offsets[0])
    offsets = offsets - base
    n = int(offsets[-1])
    with _POOL.borrow() as s:
        s.fit(n)
        # a writable copy with 8 readable bytes past every position ('<image>' is tested
        # one uint64 read at a time)
        padded = s.padded[: n + 8]
        padded[n:] = 0
        if n:
            padded[:n] = np.frombuffer(data, dtype=np.uint8, count=n, offset=base)
        text, mask, tmp = padded[:n], s.mask[:n], s.tmp[:n]
        np.equal(text, _LT, out=mask)
        lt = np.flatnonzero(mask)
        if len(lt):
            as_u64 = np.ndarray(shape=(n,), dtype="<u8", buffer=padded, strides=(1,))
            hit = lt[(as_u64[lt] & np.uint64(_LOW7)) == np.uint64(_IMAGE)]
            # a match must end inside its own string (strings sit back to back in the buffer)
            ends = offsets[np.searchsorted(offsets, hit, side="right")]
            hit = hit[hit + 7 <= ends]
            for k in range(7):  # '<image>' cannot overlap itself: matches are disjoint.
                text[hit + k] = _SPACE  # Spaces go next, and the match with them.
        np.equal(text, _SPACE, out=mask)
        np.equal(text, _NEWLINE, out=tmp)
        np.logical_or(mask, tmp, out=mask)
        gone = _counts(mask, offsets, s)
        new_offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(np.diff(offsets) - gone, out=new_offsets[1:])
        unicode = np.zeros(rows, dtype=bool)
        np.greater_equal(text, 0xC0, out=mask)  # the first byte of a multi-byte UTF-8 sequence
        lead = np.flatnonzero(mask)
        if len(lead):
            odd = _lower_two_byte(padded, lead, second, hard2, hard)
            unicode[np.searchsorted(offsets, odd, side="right") - 1] = True
        # One C pass deletes and lower-cases: 2x faster than numpy's boolean compaction (measured).
        out = text.tobytes().translate(_ASCII_LOWER, b" \n")
    nulls = 0 if valid is None else rows - int(np.count_nonzero(valid))
    validity = pa.array(valid).buffers()[1] if nulls else None
    result = pa.LargeStringArray.from_buffers(rows, pa.py_buffer(new_offsets), pa.py_buffer(out), validity, nulls)
    return result, pa.array(unicode)


def _counts(mask, offsets, s):
    """Set bytes of `mask` per string, by popcount over 64-bit words of packed bits: 7x
    faster than count_nonzero per string (measured)."""
    import numpy as np

    n = len(mask)
    packed = np.packbits(mask, bitorder="little")  # byte i, bit j: mask[8 * i + j]
    words = s.words[: n // 64 + 1]
    as_bytes = words.view(np.uint8)
    as_bytes[: len(packed)] = packed
    as_bytes[len(packed):] = 0
    cumulative = s.cumulative[: len(words) + 1]  # set bits before each word
    np.cumsum(np.bitwise_count(words), out=cumulative[1:])
    word, bit = offsets >> 6, offsets & 63
    below = np.left_shift(np.uint64(1), bit.astype(np.uint64)) - np.uint64(1)
    before = cumulative[word] + np.bitwise_count(words[word] & below)
    return np.diff(before)


def _lower_two_byte(padded, lead, second, hard2, hard):
    """Lower the 2-byte letters that keep their first byte, in place; return where the
    sequences starting at `lead` hold a letter lower() changes otherwise."""
    import numpy as np

    first = padded[lead]
    two = first < 0xE0
    at = lead[two]
    pair = first[two].astype(np.uint16) << 8  # (first byte, second byte) indexes the tables
    pair |= padded[at + 1]
    lowered = second[pair]
    simple = lowered != 0
    padded[at[simple] + 1] = lowered[simple]  # É -> é
    odd = at[hard2[pair]]
    if len(at) < len(lead):  # 3- and 4-byte sequences: rarer, decoded in full
        at = lead[~two]
        b0 = padded[at].astype(np.int64)  # `padded` has 8 bytes past the text
        b1, b2, b3 = (padded[at + k].astype(np.int64) & 0x3F for k in (1, 2, 3))
        cp = np.where(b0 < 0xF0, ((b0 & 0x0F) << 12) | (b1 << 6) | b2,
                      ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3)
        odd = np.concatenate([odd, at[hard[np.minimum(cp, len(hard) - 1)]]])
    return odd


def _normalised_text(strings):
    import pyarrow as pa

    return pa.StructArray.from_arrays(list(normalise(strings)), names=["text", "unicode"])


def _normalised_turns(conversations):
    import pyarrow as pa

    return pa.StructArray.from_arrays(list(normalise_turns(conversations)), names=["text", "unicode"])


def register(con) -> None:
    """normalised_text(s) and normalised_turns(conversations) -> {text VARCHAR, unicode BOOLEAN}
    on `con`; normalised_turns(c) = normalised_text(array_to_string(list_transform(c, lambda t: t.value), ''))."""
    import duckdb

    t = sql_types()
    # the lower() tables are built on first use (~0.2 s), not here: most queries never need them
    returns = duckdb.struct_type({"text": t.VARCHAR, "unicode": t.BOOLEAN})
    turns = duckdb.list_type(duckdb.struct_type({"from": t.VARCHAR, "value": t.VARCHAR}))
    for name, fn, argument in (("normalised_text", _normalised_text, t.VARCHAR),
                               ("normalised_turns", _normalised_turns, turns)):
        register_udf(con, name, fn, [argument], returns)
