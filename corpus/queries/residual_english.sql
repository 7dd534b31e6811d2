-- Residual English by role: share of common English function words; a turn of 5+ words with 20%+ of them is flagged.
-- requires: turns
WITH s AS (
  -- word_stats: words and function words in one vectorised pass (corpus/query_words.py);
  -- measured on 158k English records: 2.8-3.0x the bare count (tokens() + english_tokens() lambdas: 6.3x)
  SELECT role, ws.words AS words, ws.english AS en
  FROM (SELECT role, word_stats(value) AS ws FROM turns)
)
SELECT role, count(*) AS turns, sum(words) AS words,
       round(100.0 * sum(en) / nullif(sum(words), 0), 2) AS english_pct,
       count(*) FILTER (WHERE words >= 5 AND en >= 0.2 * words) AS flagged_turns,
       round(100.0 * count(*) FILTER (WHERE words >= 5 AND en >= 0.2 * words) / count(*), 2) AS flagged_pct
FROM s GROUP BY role ORDER BY turns DESC
