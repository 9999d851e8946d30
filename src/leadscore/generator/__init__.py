"""Deterministic synthetic B2B lead-funnel data written straight into DuckDB (``python -m leadscore.generator``)."""
from leadscore.generator.config import GeneratorConfig, RunParams, Timeline
from leadscore.generator.pipeline import run

__all__ = ["GeneratorConfig", "RunParams", "Timeline", "run"]
