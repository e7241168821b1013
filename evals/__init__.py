"""Evaluation of answer quality: datasets, metrics and reports."""
