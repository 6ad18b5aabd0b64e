"""Settings for benchmarks: Kehu's settings plus django-import-export (the peer the import benchmark compares with).

django-import-export is a benchmark reference only (``pip install -e '.[bench]'``), never part of the application.
"""

from kehu.settings import *  # noqa: F403
from kehu.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]
