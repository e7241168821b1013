"""Distilling a reader: training pairs (human and teacher labels) and the student's training."""
