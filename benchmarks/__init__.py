"""Evaluation and benchmark scripts: scores with baselines, speed, learning curve.

They import ``inference`` (and ``training`` for the learning curve); nothing
imports them but the CLI.
"""
