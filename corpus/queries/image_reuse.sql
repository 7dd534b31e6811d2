-- Images shared by more than one record, most shared first.
-- requires: records
SELECT image, count(*) AS records, min(id, 5) AS example_ids
FROM records WHERE image IS NOT NULL
GROUP BY image HAVING count(*) > 1
ORDER BY records DESC, image LIMIT 100
