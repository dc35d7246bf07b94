"""Motion Studio entry point: `python main.py` opens the GUI; `python main.py COMMAND ...` runs the CLI."""
import os
import sys

os.environ.setdefault("MODULAR_TELEMETRY_ENABLED", "0")


def main() -> int:
    if len(sys.argv) > 1:
        from cli import main as cli_main

        return cli_main(sys.argv[1:])
    from gui.app import run_gui

    return run_gui()


if __name__ == "__main__":
    sys.exit(main())
