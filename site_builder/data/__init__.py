"""Datasets in: the readers (one per format), datasets named by URL, and the Dataset form
every later stage reads."""
