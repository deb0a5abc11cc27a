"""The installed version of NEAT: a leaf every module may import."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("neat-entropy")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"
