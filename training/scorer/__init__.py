"""The learned answer scorer: collect labelled features from every collection's dev half, fit
the unit model and the answerability model, and measure them leaving one collection out."""
