"""The project's settings with django-axes switched on, for the lockout test's own process:
adding an app inside a running test process would leave axes's admin, checks and signal
receivers behind for every later test. The cache handler needs no tables."""

from governance.settings import *  # noqa: F403
from governance.settings import INSTALLED_APPS

if "axes" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "axes"]
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = 3
AXES_VERBOSE = False
