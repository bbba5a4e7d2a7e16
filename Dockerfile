# gitops-ray controller image: Debian 12 + Python 3.11 (as the README's set-up), git for the source.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY gitops_ray ./gitops_ray
RUN pip install --no-cache-dir . && rm -rf /app/gitops_ray

# Unprivileged, with a writable cache for clones (mount an emptyDir or a volume at /var/cache/gitops-ray).
RUN useradd --uid 10001 --create-home gitops-ray && mkdir -p /var/cache/gitops-ray \
 && chown gitops-ray /var/cache/gitops-ray
USER 10001
ENV GITOPS_RAY_CACHE_DIR=/var/cache/gitops-ray \
    GITOPS_RAY_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
EXPOSE 8080
ENTRYPOINT ["gitops-ray"]
CMD ["run"]
