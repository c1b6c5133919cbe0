# The one image behind every application service in docker-compose.yml (web, worker, beat).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=sharing_platform.settings

# gettext: msgfmt for compilemessages. PostgreSQL comes through psycopg2-binary (no libpq needed).
# fonts-wqy-microhei: the TrueType font (Chinese and Latin) embedded in statement PDFs (billing/exports.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

# The processes run as an unprivileged user.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app app

WORKDIR /app

# Dependencies first, read from pyproject.toml: this layer is rebuilt only when it changes.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself (installed in place, so /app is the only copy of the code), translations
# compiled, static files collected with the production storage (hashed names, compressed).
COPY . .
RUN pip install --no-deps -e . \
    && mkdir -p locale \
    && python manage.py compilemessages --ignore=.venv -v0 \
    && DEBUG=false SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --noinput -v0 \
    && mkdir -p /app/media \
    && chown -R app:app /app/staticfiles /app/media

USER app
EXPOSE 8000

# docker-compose.yml runs migrations first; this is the plain web process.
CMD ["gunicorn", "sharing_platform.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
