"""The ``diplolex`` command line: one module per subcommand."""
