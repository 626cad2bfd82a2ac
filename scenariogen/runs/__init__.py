"""Runs of ``scenariogen generate``: resumable, sharded output directories with a manifest."""

from .generate import GenerateSettings, generate, load_run
from .manifest import content_hash, read_manifest

__all__ = ["GenerateSettings", "content_hash", "generate", "load_run", "read_manifest"]
