"""Dossier: an evidenced dossier from leaked or disclosed communications."""

__version__ = "0.1.0"
