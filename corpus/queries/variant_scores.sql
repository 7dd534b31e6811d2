-- pt-BR variant probability distribution (meta.variant_ptbr) in bins of 0.1.
-- requires: records.variant_ptbr
SELECT least(floor(variant_ptbr * 10) / 10, 0.9) AS bin_from, count(*) AS records,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct
FROM records WHERE variant_ptbr IS NOT NULL GROUP BY bin_from ORDER BY bin_from
