"""WSGI entry point for gunicorn: ``gunicorn -k gthread --threads 100 -w 1 wsgi:app``."""
from forum import create_app
from forum.serve import prepare_for_serving

app = create_app()
# The same process set-up as ``python -m forum.serve``: start-up objects
# frozen, the sweeper for sockets of ended logins.
prepare_for_serving(app)
