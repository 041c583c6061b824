"""Append-only audit log."""

from grants.audit.service import record

__all__ = ["record"]
