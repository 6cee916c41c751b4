# One image for every Flux process (domain services, BFF, registry, CLI jobs).
# The command decides the role, e.g. `flux service weather` or `flux bff`.
FROM node:20-bookworm-slim AS dashboard
WORKDIR /build
COPY src/flux/bff/dashboard/package*.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 FLUX_ROOT=/app FLUX_LOG_FORMAT=json
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY src ./src
COPY uv.lock ./
# The locked runtime versions (uv.lock, docs/dependencies.md), then Flux itself without resolving again.
RUN pip install --no-cache-dir uv==0.13.8 \
 && uv export --frozen --no-emit-project --format requirements-txt -o /tmp/requirements.txt \
 && pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps -e . \
 && pip uninstall -y uv && rm /tmp/requirements.txt \
 && python -m flux.geo.build_index \
 && useradd --system --uid 10001 flux
COPY --from=dashboard /build/node_modules ./src/flux/bff/dashboard/node_modules
USER flux
ENTRYPOINT ["flux"]
CMD ["--help"]
