"""Headless subcommands, one module each; :mod:`console.cli` parses and dispatches to them."""
