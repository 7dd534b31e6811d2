-- Language score distribution (meta.lang_score) in bins of 0.1.
-- requires: records.lang_score
SELECT least(floor(lang_score * 10) / 10, 0.9) AS bin_from, count(*) AS records,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct
FROM records WHERE lang_score IS NOT NULL GROUP BY bin_from ORDER BY bin_from
