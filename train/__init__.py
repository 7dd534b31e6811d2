"""Thin fine-tuning layer over the published dataset: LoRA, merge, evaluate. Installed as `corpus.train`."""
