"""The `portals` command line and the commands that are not the build: scaffolding, cache
keys, the closing summary."""
