-- Duplicate records: exact (same image and turns) and normalised (case, spaces, newlines and <image> ignored).
-- requires: records
WITH k AS (
  SELECT id,
         hash(image, conversations) AS exact_key,
         -- whole-record text without <image>, spaces and newlines, lower-cased (cheaper than a regex)
         hash(image, lower(replace(replace(replace(
              array_to_string(list_transform(conversations, lambda t: t.value), ''),
              '<image>', ''), ' ', ''), chr(10), ''))) AS norm_key
  FROM records
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
