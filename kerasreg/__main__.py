"""``python -m kerasreg COMMAND --experiment MODULE:NAME``: the command line for any experiment."""

import sys

from kerasreg.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m kerasreg"))
