"""Notices by e-mail: what the follow-up announces and what `mejora remind` finds due."""
