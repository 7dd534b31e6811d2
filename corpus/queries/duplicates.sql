-- Duplicate records: exact (same image and turns) and normalised (case, spaces, newlines and <image> ignored).
-- requires: records
WITH t AS (
  SELECT id, image, hash(image, conversations) AS exact_key,
         -- the turns joined, without <image>, spaces and newlines, lower-cased: one vectorised UDF
         -- (corpus/query_keys.py) gives the key of lower(replace(replace(replace(array_to_string(
         -- list_transform(conversations, lambda t: t.value), ''), '<image>', ''), ' ', ''), chr(10), ''))
         -- at ~2.3x the bare count instead of ~3.7x (measured, 158k records)
         normalised_turns(conversations) AS n
  FROM records
),
k AS (  -- lower() only where a non-ASCII letter needs it (its slow path cost 0.8 s on pt-BR text)
  SELECT id, exact_key, hash(image, CASE WHEN n.unicode THEN lower(n.text) ELSE n.text END) AS norm_key
  FROM t
),
g AS (  -- one scan, two groupings
  SELECT CASE WHEN grouping(exact_key) = 0 THEN 'exact' ELSE 'normalised' END AS kind, count(*) AS n
  FROM k GROUP BY GROUPING SETS ((exact_key), (norm_key)) HAVING count(*) > 1
)
SELECT kinds.kind,
       count(g.n) AS groups,
       CAST(coalesce(sum(g.n), 0) AS BIGINT) AS records_in_groups,
       CAST(coalesce(sum(g.n) - count(g.n), 0) AS BIGINT) AS redundant_records,
       max(g.n) AS largest_group
FROM (VALUES ('exact'), ('normalised')) kinds(kind) LEFT JOIN g USING (kind)
GROUP BY kinds.kind ORDER BY kinds.kind
