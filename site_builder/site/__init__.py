"""What the visitor gets: the projector's files, the recommendation page's data, the pages (in the
theme of templates/ at the repository's top, theme.py; their scripts in static/), the docs, and
publishing the finished site."""
