"""The SDK's path for formats: ``from lakefeed.managed.formats import Format, CocoPanoptic, …``."""

from ..formats import *  # noqa: F401,F403
from ..formats import __all__, __getattr__  # noqa: F401
