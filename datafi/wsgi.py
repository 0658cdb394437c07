import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
# gunicorn's threads are long-lived: one persistent database connection each
# instead of psycopg's pool (settings.DB_CONNECTIONS; the environment may still
# choose the pool).
os.environ.setdefault("DB_CONNECTIONS", "thread")
application = get_wsgi_application()
