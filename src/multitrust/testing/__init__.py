"""Test helpers that ship with the package so users can dry-run a config without a real model.

``multitrust.testing.server`` is a loopback HTTP server speaking the OpenAI chat API, with canned replies
and injectable faults (HTTP 500/429, hangs, malformed JSON), used by the test suite and the benchmarks.
"""
