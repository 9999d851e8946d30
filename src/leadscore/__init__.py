"""Machine-learning lead scoring inside the warehouse: the pure Python behind the dbt package."""
import os

# LightGBM's OpenMP threads spin while waiting; on a small shared machine that collapses throughput.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

__version__ = "0.1.0"
