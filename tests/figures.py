"""Counters the tests fill and tests/conftest.py prints at the end of the run."""

RACES = {"tried": 0}  # concurrent operations raced against each other (@pytest.mark.postgres, threads)
