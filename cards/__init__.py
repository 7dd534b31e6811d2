"""Dataset card templates (Jinja + YAML), installed as package data `corpus.cards`."""
