"""Benchmarks: they print numbers and assert nothing. Run them with `python -m bench.<name>`."""
