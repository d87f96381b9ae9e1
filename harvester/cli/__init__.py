"""The ``prisma-harvest`` command line: thin Typer commands over the library."""
