"""The content-addressed blob store (``content/blobs/sha256``): writers that verify size
and digest on commit, an ingest area for blobs in flight, and readers by digest.
"""
