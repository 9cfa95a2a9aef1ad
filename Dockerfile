# One image for the worker, the HTTP API and migrations: `qi worker`, `qi api`, `qi migrate`.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Optional extras to install, comma-separated (e.g. `--build-arg QI_EXTRAS=otel` for tracing).
ARG QI_EXTRAS=""

WORKDIR /src

# The pinned dependencies first, read from pyproject.toml, so a code change reuses this layer.
COPY pyproject.toml ./
RUN python -c "import os, tomllib; \
project = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
extras = [e for e in os.environ.get('QI_EXTRAS', '').split(',') if e]; \
print('\n'.join(project['dependencies'] \
    + [d for e in extras for d in project['optional-dependencies'][e]]))" \
    > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps . && rm -rf /src

RUN groupadd --system --gid 10001 qi \
    && useradd --system --uid 10001 --gid qi --create-home --home-dir /home/qi \
       --shell /usr/sbin/nologin qi
USER qi:qi
WORKDIR /home/qi

ENTRYPOINT ["qi"]
CMD ["worker"]
