"""Runs of ``scenariogen generate``: sampler stages simulated shard by shard into a run directory."""

from .generate import GenerateSettings, generate

__all__ = ["GenerateSettings", "generate"]
