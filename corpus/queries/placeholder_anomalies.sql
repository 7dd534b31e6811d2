-- <image> placeholder anomalies (same rule codes as `corpus validate`), with example ids.
-- requires: records
WITH r AS MATERIALIZED (  -- one scan, read by the four rules below
  SELECT id, image, placeholders,
         -- a placeholder outside the first turn, or a first turn that is not human
         len(list_filter(conversations, lambda t, i: contains(t.value, '<image>')
                                                     AND (i > 1 OR t."from" <> 'human'))) AS misplaced,
         -- one placeholder in the first turn, but neither at its start nor at its end
         (conversations[1].value LIKE '%<image>%'
          AND NOT (trim(conversations[1].value) LIKE '<image>%' OR trim(conversations[1].value) LIKE '%<image>')) AS inside,
         -- damaged forms a translator leaves: <imagem>, < image >, &lt;image&gt;, -imagem>, [image] ...
         -- Each form has "mag"/"MAG" and one of < > & ] }: those memchr tests decide first, in a CASE
         -- because AND inside a lambda evaluates both sides (the regex ran on every turn: 3x the bare count).
         len(list_filter(conversations, lambda t:
             CASE WHEN (contains(t.value, 'mag') OR contains(t.value, 'MAG'))
                       AND (contains(t.value, '<') OR contains(t.value, '>') OR contains(t.value, '&')
                            OR contains(t.value, ']') OR contains(t.value, '}'))
                  THEN regexp_matches(replace(t.value, '<image>', ''),
                    '&lt;\s*imag(e|em)\s*&gt;|<\s*/?\s*imag(e|em)\s*/?\s*>|[-\[{]\s*imag(e|em)\s*[>\]}]|<\s*imag(e|em)\b|\bimag(e|em)\s*>',
                    'i')
                  ELSE false END)) AS mangled
  FROM records
),
f AS (
  SELECT 'placeholder_missing' AS rule, id FROM r WHERE image IS NOT NULL AND placeholders = 0
  UNION ALL SELECT 'placeholder_extra', id FROM r WHERE (image IS NOT NULL AND placeholders > 1) OR (image IS NULL AND placeholders > 0)
  UNION ALL SELECT 'placeholder_position', id FROM r WHERE misplaced > 0 OR inside
  UNION ALL SELECT 'placeholder_mangled', id FROM r WHERE mangled > 0
)
SELECT rule, count(*) AS records, min(id, 5) AS example_ids
FROM f GROUP BY rule ORDER BY records DESC, rule
