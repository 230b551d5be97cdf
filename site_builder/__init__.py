"""Projector Portals: build a static site of embedding projector portals."""
