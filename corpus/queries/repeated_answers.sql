-- The most repeated gpt answers (template answers, mode collapse): count and share of all gpt turns.
-- requires: turns
SELECT count(*) AS times,
       round(100.0 * count(*) / sum(count(*)) OVER (), 3) AS pct_of_answers,
       count(DISTINCT record_id) AS records,
       left(any_value(value), 120) AS answer
FROM turns WHERE role = 'gpt'
GROUP BY value
QUALIFY count(*) > 1
ORDER BY times DESC, answer LIMIT 50
