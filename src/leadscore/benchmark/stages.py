"""The stages of a nightly run, as dbt selections that split the project's DAG into consecutive parts.

Each stage selects its models and excludes everything an earlier stage already built, so running the stages in
order builds the whole project once (``dbt build`` runs a stage's data tests with it; a test that spans two stages
runs with the later one). The monitoring stage picks
up ``models/marts/monitoring`` and ``python_models/monitoring`` by path (and anything tagged ``monitoring``) when
they exist.
"""
from __future__ import annotations

from dataclasses import dataclass

MONITORING_SELECTORS = ("path:models/marts/monitoring", "path:python_models/monitoring", "tag:monitoring")


@dataclass(frozen=True)
class DbtStage:
    """One timed ``dbt build``: what it selects, before exclusions."""

    name: str
    label: str
    select: tuple[str, ...]


DBT_STAGES: tuple[DbtStage, ...] = (
    DbtStage("staging", "staging (views, source tests, rejected-row checks)",
             ("+path:models/staging", "+path:models/intermediate/quality")),
    DbtStage("features", "feature marts (spine, activity, six families, lead_features)", ("+lead_features",)),
    DbtStage("training", "training (registry, champion, evaluation, importance, test predictions)",
             ("+path:python_models/ml", "+path:models/marts/ml")),
    DbtStage("scoring", "scoring with top factors (lead_scores, history, alerts, accounts, CRM sync)",
             ("+path:python_models/scoring", "+path:models/intermediate/scoring", "+path:models/marts/scoring")),
    DbtStage("monitoring", "monitoring", tuple(f"{selector}+" for selector in MONITORING_SELECTORS)),
    # whatever a later change adds outside these folders, so the stages always add up to a full build
    DbtStage("other", "anything else", ("fqn:*",)),
)


def stage_arguments(stage_index: int, stages: tuple[DbtStage, ...] = DBT_STAGES) -> list[str]:
    """``dbt build`` arguments of a stage: its selection minus every earlier stage (and minus monitoring for the
    stages before it, so monitoring models are timed on their own).

    >>> stage_arguments(1)[3:5]
    ['--select', '+lead_features']
    """
    stage = stages[stage_index]
    excluded = [selector for earlier in stages[:stage_index] for selector in earlier.select]
    if stage.name not in ("monitoring", "other"):
        excluded += list(MONITORING_SELECTORS)
    # buildable: a test between two stages (a relationship) runs with the later one, once both sides exist
    arguments = ["build", "--indirect-selection", "buildable", "--select", *stage.select]
    if excluded:
        arguments += ["--exclude", *excluded]
    return arguments


FULL_BUILD_ARGUMENTS = ["build"]


@dataclass(frozen=True)
class ExtraStage:
    """A timed step run after the full build, on the built warehouse, outside the DAG partition above: a
    comparison such as one scorer against another. ``arguments`` go to ``dbt`` (``["run", "--select", "x"]``);
    a ``command`` (argument list; ``{python}`` and ``{db}`` are filled in) runs instead when given."""

    name: str
    label: str
    arguments: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    min_leads: int = 0


#: Extra timed steps, in order: the two scorers of the same champion on the same open leads (docs/sql_scorer.md).
EXTRA_STAGES: tuple[ExtraStage, ...] = (
    ExtraStage("scoring_python", "Python scorer (int_lead_scores_computed)",
               ("run", "--select", "int_lead_scores_computed")),
    ExtraStage("scoring_sql", "SQL scorer (int_lead_scores_sql_leaves, int_lead_scores_computed_sql)",
               ("run", "--select", "int_lead_scores_sql_leaves", "int_lead_scores_computed_sql")),
)


def stage_label(name: str) -> str:
    """The label of a stage name, for the results table."""
    for stage in (*DBT_STAGES, *EXTRA_STAGES):
        if stage.name == name:
            return stage.label
    return OTHER_LABELS.get(name, name)


OTHER_LABELS = {
    "generate": "data generation",
    "build_no_retrain": "full `dbt build`, champion reused (no retrain)",
}
