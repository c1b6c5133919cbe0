#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharing_platform.settings")
    from django.core.management import execute_from_command_line

    from sharing_platform.configuration import settings_load_or_exit

    settings_load_or_exit()  # a missing SECRET_KEY and the like: one clear line, no traceback

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
