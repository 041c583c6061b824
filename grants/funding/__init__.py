"""Grants to the winners and, later, their tranches, disbursements and expenses."""
