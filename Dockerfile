# 911 Outage Watch: one image, two services (docs/deploy.md).
#   docker build -t outage-watch .
#   docker run -v outages:/data outage-watch outages watch          # the crawler/scheduler
#   docker run -v outages:/data:ro -p 8501:8501 outage-watch        # the map (default command)
# The static status site the watcher writes to /data/site/ is served by a stock nginx:alpine
# container beside these (compose.yaml's `site` service, docs/deploy.md), not by this image:
# it must keep answering when the app is overloaded, and needs no Python.
FROM python:3.11-slim

# uv installs exactly the locked dependencies (uv.lock); only PyPI is needed to build.
ARG UV_VERSION=0.13.8
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH \
    OUTAGES_DATA=/data

WORKDIR /app
# Dependencies first: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
# Then the project itself (installed editable: the CLI finds app.py and demo/ next to it).
COPY . .
RUN uv sync --frozen --no-dev

# Run as an unprivileged user; everything it writes goes to the /data volume.
RUN useradd --system --uid 10001 --create-home --home-dir /home/outages outages \
    && mkdir -p /data && chown outages:outages /data
USER outages
VOLUME /data
EXPOSE 8501

# The map's health (Streamlit's own endpoint); the watch service overrides this check with
# `python -m outages.watch healthcheck` (heartbeat and a published database).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=5).status != 200)"]

CMD ["outages", "serve", "--host", "0.0.0.0", "--port", "8501"]
