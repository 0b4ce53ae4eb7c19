"""WSGI entry point for gunicorn: ``gunicorn -k gthread --threads 100 -w 1 wsgi:app``."""
from forum import create_app
from forum.serve import prepare_for_serving

app = create_app()
# The same Socket.IO set-up as ``python -m forum.serve``: direct broadcast
# writes (forum/fanout.py), one thread per socket, start-up objects frozen.
prepare_for_serving(app)
