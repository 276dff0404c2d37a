"""Realistic, deterministic demo data for a fresh workspace."""
