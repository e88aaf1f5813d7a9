"""The events service: absences, SMS actions and the SMS queue."""
