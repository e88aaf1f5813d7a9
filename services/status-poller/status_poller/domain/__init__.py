"""The status-poller's pure rules: what an SMS's tracked state becomes, and when to look again."""
