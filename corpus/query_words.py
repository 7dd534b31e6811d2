"""Word and English function-word counts for DuckDB, vectorised over Arrow string buffers.

Why not plain SQL: a JSON array is parsed by one DuckDB thread, and everything after the
scan runs in that same thread. Splitting every turn into a list and testing each token
in a lambda (``list_filter(string_split(...), lambda w: list_contains([...], w))``) cost
6-10x the bare ``count(*)`` on 158k LLaVA records; a global regex is slower still
(RE2 costs ~200 ns per match), and so is pyarrow's ``split_pattern``. Here DuckDB hands
a chunk of 2048 strings as one Arrow byte buffer; numpy marks where runs of word bytes
start and end and finds them all with one flatnonzero (~0.7 ns a byte: the costliest
pass), each word's first 8 bytes come from two aligned uint64 reads, are cut to the word
and tagged with its length, and are looked up in a perfect hash table of the function
words; per-string counts are popcounts over packed bits. Measured on 158k English LLaVA
records (one core): residual_english 2.8-3.0x the bare count (3.5x with a strided
unaligned gather, two flatnonzero passes and cumsum counts; 6-8x with lambdas). What is
left is ~20 numpy passes over ~62k words a chunk; fewer, compacted or blocked passes, and
two threads, were no faster (measured).

Definitions (those of the SQL macros ``tokens``/``english_tokens``):
- a word is a maximal run of bytes other than ' ' and '\\n' (tabs are part of words);
- an English function word is a word equal to one of ``ENGLISH_FUNCTION_WORDS``,
  lower-case or Capitalised (not ALL CAPS).

    >>> words, english = count_words(pa.array(["The cat is  here", None]))   # doctest: +SKIP
    >>> words.tolist(), english.tolist()                                    # doctest: +SKIP
    ([4, None], [2, None])
"""
from __future__ import annotations

from corpus.arrow_udf import ScratchPool, as_strings, count_before, sql_types
from corpus.arrow_udf import offsets as string_offsets
from corpus.arrow_udf import register as register_udf

# Common English function words that are not also Portuguese words ("a", "as", "no",
# "do", "me", "se" are left out).
ENGLISH_FUNCTION_WORDS = (
    "the of and is are was were be been with this that these those in for to it its on at by from or an "
    "which there their they them can has have had not but what where when how while would could should "
    "will some such also into other than about his her he she we you your our there's it's"
).split()
# The forms that count: lower-case and Capitalised (lower() per word would be slow).
FORMS = sorted(set(ENGLISH_FUNCTION_WORDS + [w.capitalize() for w in ENGLISH_FUNCTION_WORDS]))
MAX_BYTES = 7  # a word is packed with 8x its length in byte 0 of a uint64 (_pack)
assert all(w.isascii() and len(w) <= MAX_BYTES for w in FORMS), "a function word longer than 7 bytes"

_SPACE, _NEWLINE = 32, 10
_HASH_BITS = 12


def _pack(word: bytes) -> int:
    """The key of a word of <= 7 bytes: its bytes in the top of a uint64, 8x its length in byte 0."""
    return int.from_bytes(word, "little") << (64 - 8 * len(word)) | 8 * len(word)


def _tables():
    """A perfect multiplicative hash table of the forms' keys; 0 marks an empty slot (no key is 0)."""
    import numpy as np

    keys = np.array([_pack(w.encode()) for w in FORMS], dtype=np.uint64)
    shift = np.uint64(64 - _HASH_BITS)
    rng = np.random.default_rng(20240607)  # fixed: the same table in every process
    with np.errstate(over="ignore"):
        while True:
            mult = np.uint64(int(rng.integers(1, 2**62)) * 2 + 1)
            slots = (keys * mult) >> shift
            if len(np.unique(slots)) == len(keys):
                break
    table = np.zeros(1 << _HASH_BITS, dtype=np.uint64)
    table[slots] = keys
    return mult, shift, table


class _Scratch:
    """Work buffers reused across calls: fresh arrays for every 2048-turn chunk cost
    ~700k page faults (+1 s) on 158k records (measured)."""

    def __init__(self):
        self.n_bytes = self.n_words = -1

    def for_bytes(self, n: int) -> "_Scratch":
        import numpy as np

        if n > self.n_bytes:
            self.n_bytes = size = max(n, 2 * self.n_bytes, 1 << 20)
            self.word_byte, self.tmp, self.edge = (np.empty(size + 1, dtype=bool) for _ in range(3))
            self.aligned = np.zeros(size // 8 + 3, dtype="<u8")  # the text, then 8+ zero bytes
            self.tail = np.zeros(4, dtype="<u8")
        return self

    def for_words(self, n: int) -> "_Scratch":
        import numpy as np

        if n > self.n_words:
            self.n_words = size = max(n, 2 * self.n_words, 1 << 17)
            self.starts, self.lens, self.shifts = (np.empty(size, dtype=np.int64) for _ in range(3))
            self.key, self.aux = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.uint64)
            self.hit = np.empty(size, dtype=bool)
        return self


_POOL = ScratchPool(_Scratch)
_TABLES = None


def count_words(strings, english: bool = True):
    """(words, english_function_words) per string as Arrow int64 arrays (english None if not asked)."""
    import numpy as np

    arr = as_strings(strings)
    offsets = string_offsets(arr)
    base = int(offsets[0])
    offsets -= base
    n = int(offsets[-1])
    valid = None if arr.null_count == 0 else ~np.asarray(arr.is_null())
    data = arr.buffers()[2]
    with _POOL.borrow() as s:
        s.for_bytes(n)
        if n >= 16 and (data.address + base) % 8 == 0:
            # Read in place (a copy cost 0.04 s on 158k records): the last uint64 and the
            # bytes after it are read from a zero-padded copy instead (see _english).
            text = np.frombuffer(data, dtype=np.uint8, count=n, offset=base)
            full = n // 8
            aligned = np.frombuffer(data, dtype="<u8", count=full, offset=base)
            tail = s.tail
            tail[:] = 0
            tail.view(np.uint8)[: n - 8 * (full - 1)] = text[8 * (full - 1):]
        else:
            aligned = s.aligned[: (n + 7) // 8 + 2]
            text = aligned.view(np.uint8)[:n]
            aligned[-3:] = 0
            if n:
                text[:] = np.frombuffer(data, dtype=np.uint8, count=n, offset=base)
            full, tail = len(aligned), None
        in_word, tmp, edge = s.word_byte[:n], s.tmp[:n], s.edge[: n + 1]
        np.not_equal(text, _SPACE, out=in_word)
        np.not_equal(text, _NEWLINE, out=tmp)
        np.logical_and(in_word, tmp, out=in_word)
        # edge[i]: byte i-1 is a word byte and byte i is not, or the reverse (outside the buffer:
        # no word bytes). One flatnonzero finds where the runs of word bytes start and end.
        edge[0] = edge[n] = False
        if n:
            edge[0], edge[n] = in_word[0], in_word[n - 1]
            np.not_equal(in_word[1:], in_word[:-1], out=edge[1:n])
        z = np.flatnonzero(edge)
        # Strings lie back to back, so a run may go on from one string into the next ones. Find
        # the strings (`split`) that start inside a run: the run is a word of each of them.
        inner = offsets[1:-1]
        split = np.flatnonzero((inner > 0) & (inner < offsets[2:])) + 1  # not the first, not empty
        if len(split):
            at = offsets[split]
            split = split[in_word[at - 1] & in_word[at]]
        # the first run starting in each string: runs start at even edges
        bounds = (count_before(edge[:n], offsets) + 1) >> 1
        words = np.diff(bounds)
        words[split] += 1
        english_counts = None
        if english:
            english_counts = _english(s, (aligned, full, tail), z, offsets, bounds, split)
        return _arrow(words, valid), (None if english_counts is None else _arrow(english_counts, valid))


def _english(s, text64, z, offsets, bounds, split):
    """Function words per string, for the runs of word bytes that start at z[0::2] and end at
    z[1::2], and the strings `split` that start inside a run (see count_words). `text64`:
    the text as uint64 words (the first `full` of them), and `tail`, a zero-padded copy from
    word full - 1 on (None: `aligned` has 16 zero bytes after the text)."""
    import numpy as np

    global _TABLES
    if _TABLES is None:
        _TABLES = _tables()
    mult, shift, table = _TABLES
    aligned, full, tail = text64
    runs, extra = len(z) // 2, len(split)
    k = runs + extra
    w = s.for_words(k)
    # at: the uint64 word holding a word's first byte; at_bit: 8x the byte's place in it;
    # bits: 8x the word's length
    at, bits, at_bit = w.starts[:k], w.lens[:k], w.shifts[:k]
    key, aux, hit = w.key[:k], w.aux[:k], w.hit[:k]
    starts, ends = z[0::2], z[1::2]  # strided: each read once (2x slower than contiguous)
    np.subtract(ends, starts, out=bits[:runs])
    np.bitwise_and(starts, 7, out=at_bit[:runs])
    np.right_shift(starts, 3, out=at[:runs])
    if extra:
        # A run that reaches into string `split` ends at that string's start (its first
        # boundary); each piece from a boundary on is a word of its own, appended after the runs.
        piece = offsets[split]
        run = bounds[split] - 1
        first = np.ones(extra, dtype=bool)
        np.not_equal(run[1:], run[:-1], out=first[1:])
        bits[run[first]] = piece[first] - starts[run[first]]
        np.subtract(np.minimum(ends[run], offsets[split + 1]), piece, out=bits[runs:])
        np.bitwise_and(piece, 7, out=at_bit[runs:])
        np.right_shift(piece, 3, out=at[runs:])
    np.left_shift(bits, 3, out=bits)
    np.left_shift(at_bit, 3, out=at_bit)
    # The 8 bytes from each word's start, from two aligned uint64 reads (numpy gathers from an
    # unaligned view ~5x slower, measured); shifts of 64 or more give 0 in numpy.
    np.take(aligned, at, out=key, mode="clip")
    np.take(aligned[1:], at, out=aux, mode="clip")
    if tail is not None:  # words read from word full - 1 on: the positions are sorted
        for lo, hi in ((0, runs), (runs, k)):
            i = lo + int(np.searchsorted(at[lo:hi], full - 1))
            if i < hi:
                j = at[i:hi] - (full - 1)
                key[i:hi], aux[i:hi] = tail[j], tail[j + 1]
    shifts = at_bit.view(np.uint64)
    np.right_shift(key, shifts, out=key)
    np.subtract(64, at_bit, out=at_bit)
    np.left_shift(aux, shifts, out=aux)
    np.bitwise_or(key, aux, out=key)
    # The key (_pack): the word's bytes moved to the top, 8x its length in byte 0. No form's key
    # (1-7 bytes on top) is that of a longer word: 8 bytes with byte 0 | 64, or (a shift of 64
    # or more) the bare 8x length.
    np.subtract(64, bits, out=at_bit)
    np.left_shift(key, shifts, out=key)
    np.bitwise_or(key, bits.view(np.uint64), out=key)
    with np.errstate(over="ignore"):
        np.multiply(key, mult, out=aux)
    np.right_shift(aux, shift, out=aux)
    np.take(table, aux.view(np.int64), out=aux, mode="clip")
    np.equal(aux, key, out=hit)
    counts = np.diff(count_before(hit[:runs], bounds))
    counts[split] += hit[runs:]
    return counts


def _arrow(values, valid):
    import pyarrow as pa

    # pa.array(x, mask=None) costs ~0.3 ms a call (measured), without the keyword ~5 us
    return pa.array(values) if valid is None else pa.array(values, mask=~valid)


def _word_count(strings):
    return count_words(strings, english=False)[0]


def _english_function_words(strings):
    return count_words(strings)[1]


def _word_stats(strings):
    import pyarrow as pa

    words, english = count_words(strings)
    return pa.StructArray.from_arrays([words, english], names=["words", "english"])


def register(con) -> None:
    """word_count(s), english_function_words(s) and word_stats(s) -> {words, english} on `con`."""
    import duckdb

    t = sql_types()
    stats = duckdb.struct_type({"words": t.BIGINT, "english": t.BIGINT})
    for name, fn, returns in (("word_count", _word_count, t.BIGINT),
                              ("english_function_words", _english_function_words, t.BIGINT),
                              ("word_stats", _word_stats, stats)):
        register_udf(con, name, fn, [t.VARCHAR], returns)
