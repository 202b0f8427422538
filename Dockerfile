# Nexus Graph API image. Backing services come from docker-compose.yml (or
# scripts/services.sh locally); the app only needs their URLs in NEXUS_* variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NEXUS_HOST=0.0.0.0 \
    NEXUS_PORT=8000

WORKDIR /srv/nexus

# .dockerignore lets only the package sources and metadata in.
COPY . .
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /srv/nexus --no-create-home nexus

USER nexus
EXPOSE 8000

CMD ["nexus", "serve", "--host", "0.0.0.0"]
