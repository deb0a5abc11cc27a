"""An example third-party NEAT plugin; see plugin.py for what it registers."""
