"""The top layer: the `outages` command line and the watcher, standing on the warehouse,
the crawlers and the app (DESIGN.md, "Layout")."""
