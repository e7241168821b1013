"""Turning passages into an answer: extractive and generative composition, the kinds of value a
question asks for, unit vectors of answer sentences, and citation verification."""
