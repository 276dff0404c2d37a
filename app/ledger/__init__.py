"""The double-entry ledger of client money, in integer minor units per currency.

chart.py names the accounts; journal.py posts balanced entries (idempotent on their
source) and reverses them; sources.py turns deals and payments into entries;
views.py reads balances and statements; export.py writes Beancount and CSV.
"""
