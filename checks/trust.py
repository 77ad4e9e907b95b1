"""Checks for this area are added by their room (see checks/__init__.py)."""

from __future__ import annotations
