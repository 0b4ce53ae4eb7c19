"""Offline tools for the moderation engine: training (``train_*``),
evaluation (``evaluate``, ``evaluate_abuse``, ``abuse_data``) and
benchmarks (``bench``, ``encoder_parity``).

Nothing that screens imports this package, so a deployment loads only the
runtime modules of ``moderation``; run each tool with
``python -m moderation.tools.NAME``. The tools run with the model settings
the forum would (config.py reads them from the environment).
"""
import config
from moderation import settings

settings.install(config.model_settings())
