"""The Jupyter Book from a run: building the site, its Parameters page, plotly offline, and
publishing to gh-pages. Imports run and below; only the command line sits above it."""
