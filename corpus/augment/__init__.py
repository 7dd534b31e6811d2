"""Augmentation methods: instruction templates, back-translation, image position, turn splitting."""
