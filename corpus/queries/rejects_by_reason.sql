-- Rejected records by reason (the first reason of each) and stage, with example ids.
-- requires: rejects
SELECT reason, stage, count(*) AS records,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct,
       min(id, 5) AS example_ids
FROM rejects GROUP BY reason, stage ORDER BY records DESC, reason
