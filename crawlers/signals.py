"""Project signals: spiders report errors; the warehouse pipeline records them."""

# Sent with keyword arguments: spider, url, stage, error_type, message, archive_ref.
error_recorded = object()

# Sent by the warehouse pipeline when a spider opens, with `memory`: the pages it has already
# loaded (crawlers/pages.py).
page_memory_opened = object()

# Sent by the page middleware when a parse worker decoded a body the crawl process left
# encoded (crawlers/workers.py), with `response` and `size`: the decoded size, which is what
# the crawl counts as the page's bytes (`response_received` saw the encoded body).
body_decoded = object()
