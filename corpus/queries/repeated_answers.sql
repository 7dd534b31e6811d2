-- The most repeated gpt answers (template answers, mode collapse): count and share of all gpt turns.
-- requires: turns
SELECT count(*) AS times,
       round(100.0 * count(*) / any_value(total), 3) AS pct_of_answers,
       count(DISTINCT record_id) AS records,
       left(any_value(value), 120) AS answer
FROM (SELECT record_id, trim(value) AS value, count(*) OVER () AS total FROM turns WHERE role = 'gpt')
GROUP BY value HAVING count(*) > 1
ORDER BY times DESC, answer LIMIT 50
