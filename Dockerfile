# issues-api: Django + DRF served by gunicorn. `docker compose up` runs it with PostgreSQL,
# behind nginx: gunicorn's sync workers must not face clients directly (README, "Production").
FROM python:3.13-slim

ENV ISSUES_API_ENV=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Non-root user; var/ is where the app may keep its SQLite file and generated secret key.
RUN useradd --create-home --uid 10001 --user-group app \
    && mkdir -p /app/var \
    && chown app:app /app/var
USER app

EXPOSE 8000

# Apply migrations, then run the command (gunicorn by default, or e.g. `python manage.py ...`).
# Port 8000 is for the front (nginx) only; publish nginx's port, not this one.
ENTRYPOINT ["/bin/sh", "-c", "python manage.py migrate --noinput && exec \"$@\"", "--"]
CMD ["gunicorn", "issues_api.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
