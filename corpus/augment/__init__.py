"""Augmentation methods: instruction templates, back-translation, image position, turn splitting.

- base.py: the `Augmenter` base (ids ``<id>#aug-<method>-<k>``, provenance in
  ``meta["augment"]``, seeded per record, validated), usable as a stage.
- templates.py, backtranslate.py, image_position.py, split_turns.py: the methods.
- run.py: `augment_file` behind ``corpus augment`` (dedupe, --ratio/--max-total, stats).
"""
