-- The turns most likely left in English: highest share of English function words (5+ words, 20%+ share).
-- requires: turns
WITH s AS (
  -- word_stats: words and function words in one vectorised pass (corpus/query_words.py)
  SELECT record_id, idx, role, value, ws.words AS words, ws.english AS en
  FROM (SELECT *, word_stats(value) AS ws FROM turns)
), top AS (
  SELECT record_id, idx, role, words, round(en / words, 2) AS english_share, value
  FROM s WHERE words >= 5 AND en >= 0.2 * words
  ORDER BY english_share DESC, record_id, idx LIMIT 200
)
-- the preview is cut for the 200 rows kept only: left() on every flagged turn cost ~0.25x the bare count
SELECT record_id, idx, role, words, english_share, left(value, 100) AS preview
FROM top ORDER BY english_share DESC, record_id, idx
