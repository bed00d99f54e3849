"""Run the SMS Console from a source checkout: ``python main.py [subcommand] [options]``."""

import sys

from console.app import main

if __name__ == "__main__":
    sys.exit(main())
