"""Fixed output schemas: every frame a monitoring model returns has exactly its declared columns and types."""
from __future__ import annotations

from leadscore.ml.frames import conform  # noqa: F401  (the one schema conformer, re-exported here)


