-- Mix by input file and category (the record's source/dataset key, else the image's top folder like coco/, else image or text-only).
-- requires: records
SELECT source_file, category, count(*) AS records,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct,
       sum(n_turns) AS turns, round(avg(chars), 1) AS mean_chars
FROM records GROUP BY source_file, category ORDER BY records DESC, source_file, category
