-- Duplicate records: exact (same image and turns) and normalised (case, spacing, punctuation and <image> ignored).
-- requires: records
WITH k AS (
  SELECT id,
         hash(image, list_transform(conversations, lambda t: t."from" || ':' || t.value)) AS exact_key,
         hash(image, list_transform(conversations, lambda t: translate(lower(replace(t.value, '<image>', '')),
              ' ' || chr(10) || chr(9) || '.,;:!?"''()[]-*', ''))) AS norm_key
  FROM records
),
g AS (
  SELECT 'exact' AS kind, count(*) AS n FROM k GROUP BY exact_key HAVING count(*) > 1
  UNION ALL
  SELECT 'normalised', count(*) FROM k GROUP BY norm_key HAVING count(*) > 1
)
SELECT kinds.kind,
       count(g.n) AS groups,
       coalesce(sum(g.n), 0) AS records_in_groups,
       coalesce(sum(g.n) - count(g.n), 0) AS redundant_records,
       max(g.n) AS largest_group
FROM (VALUES ('exact'), ('normalised')) kinds(kind) LEFT JOIN g USING (kind)
GROUP BY kinds.kind ORDER BY kinds.kind
