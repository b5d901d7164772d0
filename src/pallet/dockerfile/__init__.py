"""The Dockerfile language (pure): the parser (text -> instructions with their lines) and
Docker's word expansion. Neutral ground: the builder (``pallet.build``, daemon side) builds
from it and the linter (``pallet.lint``, both sides) checks with it, so a Dockerfile is read
the same way by both; it imports only ``pallet.errors`` (an import-linter contract keeps it
so).
"""
