"""Services: the only way data changes. Each checks permissions, validates, writes the
change and its audit entry in one transaction, and raises typed errors."""
