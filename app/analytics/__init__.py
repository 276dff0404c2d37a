"""Management figures: onboarding throughput, trading activity by segment, money flow,
partner commission by tier and open exceptions by age, for a period and a choice of
clients (country, segment, manager).

Everything here reads through the driver connection with SQL written against covering
indexes (migration 0009): over 100,000 clients and 1,000,000 deals a non-covering
index or a GROUP BY that has to sort a million unsorted rows costs seconds here
(bench/dashboard.py). Weeks start on Monday, UTC; periods are whole UTC days.
"""
