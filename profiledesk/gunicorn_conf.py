"""gunicorn's settings for the desk: `gunicorn -c python:profiledesk.gunicorn_conf
profiledesk.wsgi`. Its error and access logs pass through the desk's redact filter: an
access line holds the request's path and query (a report link's token, a card number
typed into the customer search)."""

from profiledesk.privacy.logging import install_record_factory

install_record_factory()  # master and workers: every record, whichever handler

_HANDLER = {"class": "logging.StreamHandler", "formatter": "generic", "filters": ["redact"]}

# A logging dictConfig also turns the access log on (to stdout), redacted.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "profiledesk.privacy.logging.RedactFilter"}},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        }
    },
    "handlers": {
        "console": {**_HANDLER, "stream": "ext://sys.stdout"},
        "error_console": {**_HANDLER, "stream": "ext://sys.stderr"},
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
