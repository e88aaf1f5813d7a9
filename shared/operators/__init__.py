"""Operator adapters: one module per SMS operator dialect behind one interface."""
