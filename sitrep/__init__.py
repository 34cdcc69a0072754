"""The ``sitrep`` command line and what only its commands use (evaluation, baselines, speed, report tables).

The library is ``inference`` (extraction) and ``training``.
"""
