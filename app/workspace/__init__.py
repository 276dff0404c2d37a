"""The encrypted workspace: a folder holding one SQLCipher database and its key parameters."""
