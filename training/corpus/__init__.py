"""Corpus tooling: compile compact annotations, validate, split, measure and import data."""
