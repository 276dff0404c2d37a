"""KYC: what a client must prove, the documents that prove it, their review, the risk
rating and enhanced due diligence, periodic reviews and document expiry, and the gates
that keep unverified clients from withdrawing or opening live accounts.

Services take a `Desk` and return plain dataclasses, so the desktop can call them from
its worker thread and show the result as is.
"""
