"""The dispatcher service: sends every SMS to the school's operator."""
