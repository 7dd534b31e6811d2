"""corpus: build, translate, filter and publish Brazilian-Portuguese LLaVA corpora."""

__version__ = "0.1.0"
