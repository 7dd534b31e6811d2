-- The largest groups of normalised duplicates (case, spaces, newlines and <image> ignored), with ids.
-- requires: records
WITH t AS (
  SELECT id, image, conversations[-1].value AS last_turn,
         -- the key of duplicates.sql: one vectorised UDF (corpus/query_keys.py) instead of lower(replace(
         -- replace(replace(joined turns, '<image>', ''), ' ', ''), chr(10), '')): ~2.3x the bare count, not ~3.6x
         normalised_turns(conversations) AS n
  FROM records
),
k AS (  -- lower() only where a non-ASCII letter needs it
  SELECT id, image, last_turn, hash(image, CASE WHEN n.unicode THEN lower(n.text) ELSE n.text END) AS norm_key
  FROM t
)
SELECT count(*) AS records, any_value(image) AS image, min(id, 5) AS example_ids,
       left(any_value(last_turn), 100) AS last_turn
FROM k GROUP BY norm_key HAVING count(*) > 1
ORDER BY records DESC, example_ids LIMIT 50
