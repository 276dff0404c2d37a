"""Three-way reconciliation: the ledger, the trading platform's mirrors and the payment
providers' records, matched so that every break is found and none is invented.

    books.py      what a run reads, in a few queries (no ORM: 100k accounts)
    platform.py   payments against the platform's balance deals
    provider.py   provider statement lines against payments
    balances.py   ledger balance against platform balance, less what items explain
    register.py   breaks kept as exceptions across runs (key + signature)
    statement.py  provider statement files (CSV) and their import
    run.py        one run from start to finish
"""
