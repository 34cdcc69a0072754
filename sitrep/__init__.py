"""The ``sitrep`` command line. The library is ``inference`` (extraction) and ``training``."""
