"""Backup and restore: one archive with the database, uploads, generated documents and the secret key.

``archive`` writes and checks the archive (no Flask, no database); ``database`` takes a consistent
snapshot of SQLite (online backup API) or PostgreSQL (pg_dump) and restores it; ``service`` puts
the two together for ``flask backup`` and ``flask restore`` (``cli``).
"""
