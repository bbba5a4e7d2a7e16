"""Reconcile: desired objects + live objects + inventory -> one action per object (inventory, compare,
plan). Pure.
"""
