"""Observe: how the live cluster stands against Git (drift, health). Pure."""
