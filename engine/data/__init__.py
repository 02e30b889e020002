"""Readers that turn data files named in a spec into plain Python data."""
