"""Race helpers for the PostgreSQL tests (@pytest.mark.postgres) that run services against each other."""

import threading

from django.db import connection

from tests.figures import RACES


def run_concurrently(*calls, timeout=60):
    """Run each call in its own thread, all released together by a barrier; return (results, errors).

    `results[i]` is what `calls[i]` returned (None if it raised); `errors` holds what the calls raised,
    for the test to assert on. Each thread closes its own database connection; the race is counted."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # returned to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    RACES["tried"] += 1
    return results, errors
