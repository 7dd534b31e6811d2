-- Records by detected language (meta.lang_label), with mean language score.
-- requires: records.lang_label, records.lang_score
SELECT lang_label, count(*) AS records,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct,
       round(avg(lang_score), 3) AS mean_score
FROM records GROUP BY lang_label ORDER BY records DESC
