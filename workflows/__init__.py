"""Orchestration: deterministic workflow code, replayed by Temporal."""
