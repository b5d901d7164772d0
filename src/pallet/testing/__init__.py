"""Fakes and builders shipped with the package for the tests (a fake backend, fake
engine parts, a temporary registry, a CLI session); product code never imports it.
"""
