"""WSGI entry point: gunicorn wsgi:app, flask --app wsgi ..."""

from grants import create_app

app = create_app()
