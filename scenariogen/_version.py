"""The package version, read once from the installed distribution's metadata."""

from importlib import metadata

try:
    __version__ = metadata.version("scenariogen")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
