"""Project signals: spiders report errors; the warehouse pipeline records them."""

# Sent with keyword arguments: spider, url, stage, error_type, message, archive_ref.
error_recorded = object()
