"""What the visitor gets: the projector's files, the recommendation page's data, the pages
(templates/, static/), the docs, and publishing the finished site."""
