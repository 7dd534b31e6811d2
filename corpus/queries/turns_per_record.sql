-- How many turns records have: records per turn count, share and cumulative share.
-- requires: records
SELECT n_turns, records,
       round(100.0 * records / sum(records) OVER (), 2) AS pct,
       round(100.0 * sum(records) OVER (ORDER BY n_turns) / sum(records) OVER (), 2) AS cumulative_pct,
       odd_turns
FROM (
  SELECT n_turns, count(*) AS records, count(*) FILTER (WHERE n_turns % 2 = 1) AS odd_turns
  FROM records GROUP BY n_turns
)
ORDER BY n_turns
