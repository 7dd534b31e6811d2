-- Source vs translation lengths by role (needs translate --keep-source): length ratios and suspicious turns.
-- requires: turns.source_chars
SELECT role, count(*) AS turns,
       round(avg(source_chars), 1) AS mean_source_chars,
       -- over the same turns as the source mean: records without a kept source would pull it down
       round(avg(chars) FILTER (WHERE source_value IS NOT NULL), 1) AS mean_chars,
       round(quantile_cont(chars / nullif(source_chars, 0), 0.1), 2) AS ratio_p10,
       round(quantile_cont(chars / nullif(source_chars, 0), 0.5), 2) AS ratio_p50,
       round(quantile_cont(chars / nullif(source_chars, 0), 0.9), 2) AS ratio_p90,
       count(*) FILTER (WHERE source_chars >= 20 AND chars < 0.5 * source_chars) AS shrunk_below_half,
       count(*) FILTER (WHERE source_chars >= 20 AND chars > 2 * source_chars) AS grew_above_double,
       count(*) FILTER (WHERE source_value IS NULL) AS without_source,
       count(*) FILTER (WHERE source_value = value AND source_chars >= 20) AS identical_to_source
FROM turns GROUP BY role ORDER BY turns DESC
