"""The operators' own dialects, each under its path prefix, over the simulator's accounts and store.

Written from what is publicly known of the operators' APIs; where that is silent, the
behaviour is the simulator's own and documented as such in the README ("Dialects").
"""
