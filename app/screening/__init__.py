"""Sanctions and PEP screening: list files in their official formats, names in any
script brought to comparable tokens, and scored matches that say why."""
