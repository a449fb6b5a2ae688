# Load the Celery app with Django so that tasks' `delay_on_commit` finds its broker.
from .celery import app as celery_app

__all__ = ("celery_app",)
