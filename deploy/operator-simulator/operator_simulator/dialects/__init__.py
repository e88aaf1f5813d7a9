"""The operators' own dialects, each under its path prefix, over the simulator's accounts and store.

Written from the facts in ``shared/docs/operators-and-sms.md``; where those are silent, the
behaviour is the simulator's own and documented as such in the README ("Dialects").
"""
