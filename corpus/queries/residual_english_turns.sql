-- The turns most likely left in English: highest share of English function words (5+ words, 20%+ share).
-- requires: turns
WITH s AS (
  SELECT record_id, idx, role, value, len(toks) AS words, CASE WHEN has_english(value) THEN english_tokens(toks) ELSE 0 END AS en
  FROM (SELECT *, tokens(value) AS toks FROM turns)
)
SELECT record_id, idx, role, words, round(en / words, 2) AS english_share, left(value, 100) AS preview
FROM s WHERE words >= 5 AND en >= 0.2 * words
ORDER BY english_share DESC, record_id, idx LIMIT 200
