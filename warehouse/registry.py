"""The spiders' metadata, read through Scrapy's spider loader (by the project's settings
module name, so the warehouse imports no crawler code): the one way to list the sources."""

from __future__ import annotations


def spider_classes() -> list[type]:
    import os

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    return [loader.load(name) for name in sorted(loader.list())]
