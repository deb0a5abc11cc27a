"""The installed version of NEAT: a leaf every module may import."""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "neat-entropy"  # the distribution NEAT and its built-in plugins ship in

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"
