#!/usr/bin/env python
"""Django's command-line utility for ProfileDesk."""

import os
import sys


def main() -> None:
    # Production reads everything from the environment; `make run` selects the demo.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "profiledesk.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
