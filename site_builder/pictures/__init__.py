"""One picture per point: picture sources (local, URL column, TMDB), the downloader, and the
sprite sheets with generated cards for the points without one."""
