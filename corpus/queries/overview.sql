-- Corpus at a glance: records, turns, characters, images, text-only records, placeholders.
-- requires: records
SELECT count(*) AS records,
       CAST(sum(n_turns) AS BIGINT) AS turns,
       CAST(sum(chars) AS BIGINT) AS chars,
       count(image) AS records_with_image,
       count(*) - count(image) AS text_only_records,
       count(DISTINCT image) AS unique_images,
       CAST(sum(placeholders) AS BIGINT) AS placeholders,
       count(DISTINCT source_file) AS files
FROM records
