"""Benchmarks run by ``manage.py bench`` (``make bench``).

Each submodule defines ``run(*, out, quick: bool) -> dict[str, str]`` and returns the figures
it measured (name → human-readable value); the command prints them. They measure speed and
memory targets of the design; tests never time anything.
"""
