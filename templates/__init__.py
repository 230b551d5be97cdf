"""The site's theme: the look of every page the build writes, for a fork to change.

- `base.html`: the frame of the landing, map and recommendation pages (head,
  fonts, stylesheet);
- `index.html`: the landing page, one card per portal;
- `projector.html`: a portal's map, around the Embedding Projector;
- `recommend.html`: a portal's recommendation page;
- `colour-key.html`: the key to a portal's colours, on the landing and
  recommendation pages;
- `site.css`: the stylesheet of all of them (served as static/site.css);
- `docs-theme/main.html`: the docs pages' frame, over mkdocs' own theme.

They are Jinja2 templates (autoescaped, strict about undefined names). What they
may use is `site_builder.site.pages.SiteModel` and `PortalPage`, and `paths`,
which names every file of the site. The scripts the pages run are the
product's, in site_builder/site/static/: a template keeps the elements and
`data-` attributes they look for. A checkout builds with this folder; an
installed copy of the package carries it as `site_builder.theme`.
"""
