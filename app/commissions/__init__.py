"""IB and affiliate commissions: the partner tree, plans, accruals per deal, payouts."""
