"""``python -m dlt_lint`` runs the command line."""

from dlt_lint.cli import main

if __name__ == "__main__":
    main()
