# gitops-ray controller image: Debian 12 + Python 3.11 (as the README's set-up), git for the source.
#
# The base is pinned by digest (the multi-architecture index of python:3.11-slim-bookworm, Python 3.11.16),
# so a rebuild gets the same Debian and Python until someone bumps it on purpose: resolve the tag's
# current digest (`docker buildx imagetools inspect python:3.11-slim-bookworm`), replace it in BOTH
# stages, rebuild and run the tests. Runtime Python dependencies are pinned by constraints.txt
# (scripts/update-constraints).
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY gitops_ray ./gitops_ray
# A wheel of gitops-ray, then a virtual environment with it and exactly the pinned dependencies.
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/gitops-ray \
 && /opt/gitops-ray/bin/pip install --constraint constraints.txt /wheels/gitops_ray-*.whl

FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

# Debian's packages follow bookworm's security updates: pinning their versions would break the build
# as soon as the archive drops the pinned one (the base digest already fixes the point release).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Unprivileged, with a writable cache for clones (deploy/ mounts an emptyDir at /var/cache/gitops-ray).
RUN groupadd --gid 10001 gitops-ray \
 && useradd --uid 10001 --gid 10001 --create-home gitops-ray \
 && mkdir -p /var/cache/gitops-ray \
 && chown gitops-ray:gitops-ray /var/cache/gitops-ray
COPY --from=builder /opt/gitops-ray /opt/gitops-ray
USER 10001:10001
ENV PATH=/opt/gitops-ray/bin:$PATH \
    GITOPS_RAY_CACHE_DIR=/var/cache/gitops-ray \
    GITOPS_RAY_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
EXPOSE 8080
ENTRYPOINT ["gitops-ray"]
CMD ["run"]
