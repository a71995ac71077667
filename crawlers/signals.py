"""Project signals: spiders report errors; the warehouse pipeline records them."""

# Sent with keyword arguments: spider, url, stage, error_type, message, archive_ref.
error_recorded = object()

# Sent by the warehouse pipeline when a spider opens, with `memory`: the pages it has already
# loaded (crawlers/pages.py).
page_memory_opened = object()
