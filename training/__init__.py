"""Training side of sitrep: corpus tooling, configs and the accelerate training loop.

It imports ``inference`` (the model lives there); ``inference`` never imports it.
"""
