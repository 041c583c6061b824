"""Publication of results (公示): public notice with an objection window, public pages, open data."""
