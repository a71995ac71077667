"""The one way to list the sources: the spider classes through Scrapy's spider loader, and
their declared metadata as plain records for the warehouse.

The warehouse never loads a spider (DESIGN.md, "Layout"): whoever knows the spiders (the
CLI, the watcher, the crawl pipeline) calls `source_records()` here and hands the records
to `warehouse.publish.build_and_publish(..., sources=...)`, which stores them as the
`sources` table; the warehouse's readers (status.json, incident titles, the app's About
page) read that table.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings, Settings
from scrapy.spiderloader import SpiderLoaderProtocol, get_spider_loader

from warehouse.sources import SourceRecord, declared


def project_settings() -> Settings:
    """This project's Scrapy settings (crawlers/settings.py), without reading the environment
    (so a caller's SCRAPY_SETTINGS_MODULE, or none, makes no difference)."""
    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    return settings


def spider_loader(settings: BaseSettings | None = None) -> SpiderLoaderProtocol:
    """Scrapy's spider loader (SPIDER_LOADER_CLASS) for `settings`: a crawl's or a worker's
    own settings, else the project's."""
    return get_spider_loader(settings if settings is not None else project_settings())


def spider_classes(settings: BaseSettings | None = None) -> list[type[Any]]:
    """Every registered spider class, by name (`settings` as for `spider_loader`)."""
    loader = spider_loader(settings)
    return [loader.load(name) for name in sorted(loader.list())]


def source_records(settings: BaseSettings | None = None) -> list[SourceRecord]:
    """What every spider declares about its source, as the warehouse's `sources` records."""
    return [declared(spider) for spider in spider_classes(settings)]
