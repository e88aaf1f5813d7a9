"""PostgreSQL plumbing of the services: pools, migrations, outbox, inbox, attempt counters."""
