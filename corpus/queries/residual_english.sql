-- Residual English by role: share of common English function words; a turn of 5+ words with 20%+ of them is flagged.
-- requires: turns
WITH s AS (
  SELECT role, len(toks) AS words, CASE WHEN has_english(value) THEN english_tokens(toks) ELSE 0 END AS en
  FROM (SELECT *, tokens(value) AS toks FROM turns)
)
SELECT role, count(*) AS turns, sum(words) AS words,
       round(100.0 * sum(en) / nullif(sum(words), 0), 2) AS english_pct,
       count(*) FILTER (WHERE words >= 5 AND en >= 0.2 * words) AS flagged_turns,
       round(100.0 * count(*) FILTER (WHERE words >= 5 AND en >= 0.2 * words) / count(*), 2) AS flagged_pct
FROM s GROUP BY role ORDER BY turns DESC
