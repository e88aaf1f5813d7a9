"""The reporting service: the SMS follow-up lists and the synthesis."""
