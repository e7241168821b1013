"""Training of the cross-language reading maps (`assistant.answer.crosslingual`)."""
