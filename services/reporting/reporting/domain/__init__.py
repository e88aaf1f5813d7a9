"""Pure rules of the reporting service: the SMS row and its merges, tabs, calendar, labels."""
