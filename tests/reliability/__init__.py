"""Fault and load tests with real server processes (issue 15)."""
