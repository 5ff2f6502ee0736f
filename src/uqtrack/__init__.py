"""uqtrack: calibrated mother-daughter link probabilities for cell trackers."""

__version__ = "0.1.0"
