"""Compliance casework: the alerts monitoring raised, and the cases compliance opens
from them to investigate a client.

An alert is open until someone dismisses it as a false positive (with a reason) or
puts it in a case; a case's alerts close with the case. A case goes open →
investigating → closed, with the outcome `confirmed_risk` or `false_positive` and a
reason; a closed case is only reopened with a reason. A confirmed risk may freeze
the client (no money out, no new live accounts) exactly as a confirmed sanctions
match does. Every change needs "work compliance alerts and cases", is audited, and
checks the version the person saw (a stale edit changes nothing).

Alerts and cases about clients the gateway knows travel to the other desks as the
shared records `alert` and `compliance_case`. Notes and attachments stay on the desk
that wrote them: the gateway's records have no place for them.
"""
