"""The frozen program's entry point: PyInstaller runs this file as `__main__`."""

import multiprocessing

from app.__main__ import main

if __name__ == "__main__":
    # Screening all clients spawns worker processes; a frozen program has no
    # interpreter to spawn, so each worker is this executable again, and
    # freeze_support() is what turns such a start into a worker instead of the CLI.
    multiprocessing.freeze_support()
    main()
