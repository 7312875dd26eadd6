"""Benchmarks of sxplan against its limits (hand-written SQL) and its peers (naive DRF, django-import-export).

Not part of the product: run with ``make bench`` (PostgreSQL only); see README, “Performance”.
"""
