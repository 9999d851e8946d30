"""A Spark session configured exactly like the ``spark`` target in ``profiles.yml``."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import yaml


def spark_settings(profiles_path: Path, profile: str = "lead_scoring", target: str = "spark") -> dict[str, str]:
    """The ``server_side_parameters`` of a dbt-spark target, rendered as dbt renders them.

    The loader and the comparison must open the same catalog (warehouse directory and Derby metastore) as
    ``dbt build --target spark``, so they read the settings from the profile instead of repeating them.
    Only ``env_var`` is available in the template, which is all the profile uses.
    """
    document = yaml.safe_load(profiles_path.read_text())
    parameters = document[profile]["outputs"][target]["server_side_parameters"]
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)

    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise KeyError(f"env var {name} is required by the profile")
        return default

    return {
        str(key): environment.from_string(str(value)).render(env_var=env_var)
        for key, value in parameters.items()
    }


def open_session(settings: dict[str, str]) -> Any:
    """A Hive-enabled local Spark session with the given settings (as dbt-spark's ``method: session`` opens it).

    dbt-spark forces ANSI mode off on every session, so the loader and the comparison do the same.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in {**settings, "spark.sql.ansi.enabled": "false"}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
