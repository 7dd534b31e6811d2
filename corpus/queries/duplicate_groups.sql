-- The largest groups of normalised duplicates (case, spaces, newlines and <image> ignored), with ids.
-- requires: records
WITH k AS (
  SELECT id, image, conversations[-1].value AS last_turn,
         -- whole-record text without <image>, spaces and newlines, lower-cased (cheaper than a regex)
         hash(image, lower(replace(replace(replace(
              array_to_string(list_transform(conversations, lambda t: t.value), ''),
              '<image>', ''), ' ', ''), chr(10), ''))) AS norm_key
  FROM records
)
SELECT count(*) AS records, any_value(image) AS image, min(id, 5) AS example_ids,
       left(any_value(last_turn), 100) AS last_turn
FROM k GROUP BY norm_key HAVING count(*) > 1
ORDER BY records DESC, example_ids LIMIT 50
