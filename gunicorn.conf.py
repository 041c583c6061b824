"""gunicorn's settings for `make run` and the benchmarks (gunicorn reads ./gunicorn.conf.py itself;
a flag on the command line overrides a setting here).

One worker process per core (a process's threads share one core, the GIL), eight threads each. Each
worker takes at most two connections per thread at once (``worker_connections``): a worker accepts
as fast as it can, so when 200 group leaders post their activities in the same second, one worker
took four in five of them (measured with bench/activities.py) and queued them behind its own eight
threads while the other core idled. Past its share, a worker leaves the next connections in the
listening socket's queue, where the other workers take them; a request is never refused for it.

Of a worker's threads, one runs the app at a time (``REQUEST_SLOTS``, grants/slots.py): the others
read the bodies of the requests that wait for their turn and write the answers of those done.
"""

import os

workers = int(os.environ.get("WORKERS") or os.cpu_count() or 1)
worker_class = "gthread"
threads = 8
worker_connections = 2 * threads
# The app keeps a database connection per thread (grants/config.py): past its pool's size, each
# request of a burst would open a connection and close it after (on PostgreSQL a new backend).
os.environ.setdefault("DB_POOL_SIZE", str(threads))
# Connections waiting in the kernel for a worker (a burst of submissions after a festival).
backlog = 1024
