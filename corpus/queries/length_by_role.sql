-- Turn length distribution (characters) by role: count, mean and percentiles.
-- requires: turns
SELECT role, turns, mean_chars, q[1] AS p10, q[2] AS p50, q[3] AS p90, q[4] AS p99, max_chars, empty_turns
FROM (
  SELECT role,
         count(*) AS turns,
         round(avg(chars), 1) AS mean_chars,
         quantile_disc(chars, [0.1, 0.5, 0.9, 0.99]) AS q,
         max(chars) AS max_chars,
         -- CASE evaluates trim() only on short turns; AND would trim every turn
         count(*) FILTER (WHERE CASE WHEN chars < 8 THEN trim(value) = '' ELSE false END) AS empty_turns
  FROM turns
  GROUP BY role
)
ORDER BY turns DESC
