"""(being written)"""

from grants.proposals.views import bp  # noqa: F401
