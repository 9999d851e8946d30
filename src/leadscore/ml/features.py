"""Feature selection from the catalog and a small, serializable feature encoder.

The catalog seed has one row per feature: ``feature_name, family, description,
explanation_template, is_protected, data_type``. A column is a model input only when
it is in the catalog, not protected, not a key / label / flag column, and numeric,
boolean or categorical.

Custom lead fields (var ``lead_custom_fields``) are not in the seed: :func:`catalog_with_custom_fields`
adds a row for each, and :func:`coerce_custom_columns` turns their raw values (often all text) into
numbers, booleans or categories the same way at training and at scoring.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .frames import RESERVED_COLUMNS, as_bool, to_float

NUMERIC_TYPES = frozenset({"numeric", "number", "float", "double", "real", "decimal", "integer", "int",
                           "bigint", "smallint", "count", "rate", "ratio"})
BOOLEAN_TYPES = frozenset({"boolean", "bool", "flag"})
CATEGORICAL_TYPES = frozenset({"categorical", "category", "string", "varchar", "text", "str"})
MISSING_LEVEL = "__missing__"
OTHER_LEVEL = "__other__"
CUSTOM_FAMILY = "custom"
#: Text read as a boolean custom field (lower case, trimmed): CRM exports write booleans in all these ways.
TRUE_TEXT = frozenset({"true", "t", "yes", "y", "1"})
FALSE_TEXT = frozenset({"false", "f", "no", "n", "0"})
#: A text custom field is a number when at least this share of its non-null values parse as one; a few typos
#: ("n/a", "-") must not turn a numeric field into hundreds of categories.
NUMERIC_TEXT_SHARE = 0.95
#: A text custom field with more distinct values than this share of the leads holding it names each lead (an id,
#: an email, free-text notes): no level could recur on new leads, so it is dropped rather than encoded.
MAX_DISTINCT_PER_LEAD = 0.5
#: Below this many distinct values a text field is never read as an id, however few leads hold it.
MIN_DISTINCT_FOR_ID = 30


def normalize_catalog(catalog: pd.DataFrame) -> pd.DataFrame:
    """Return the catalog with lower-case column names and clean types.

    ``is_protected`` becomes bool (missing = False), ``data_type`` a lower-case string,
    ``description``, ``explanation_template`` and ``missing_explanation`` strings ('' when missing).

    Raises
    ------
    ValueError
        If there is no ``feature_name`` column or a feature is listed twice.
    """
    normalized = catalog.rename(columns=str.lower).copy()
    if "feature_name" not in normalized.columns:
        raise ValueError("the feature catalog needs a feature_name column")
    if normalized["feature_name"].duplicated().any():
        duplicated = sorted(normalized.loc[normalized["feature_name"].duplicated(), "feature_name"])
        raise ValueError(f"feature(s) listed twice in the catalog: {duplicated}")
    normalized["feature_name"] = normalized["feature_name"].astype(str)
    protected = normalized["is_protected"] if "is_protected" in normalized.columns else pd.Series(False, index=normalized.index)
    normalized["is_protected"] = as_bool(protected)
    for column in ("data_type", "description", "explanation_template", "missing_explanation", "family"):
        values = normalized[column] if column in normalized.columns else pd.Series("", index=normalized.index)
        normalized[column] = values.astype(object).where(values.notna(), "").astype(str)
    normalized["data_type"] = normalized["data_type"].str.strip().str.lower()
    return normalized.reset_index(drop=True)


def protected_features(catalog: pd.DataFrame) -> set[str]:
    """Names of the catalog features flagged ``is_protected``."""
    normalized = normalize_catalog(catalog)
    return set(normalized.loc[normalized["is_protected"], "feature_name"])


def _kind_from_dtype(values: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(values.dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(values.dtype) or isinstance(values.dtype, pd.PeriodDtype):
        return None
    non_null = values.dropna()
    if len(non_null) and non_null.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return "boolean"
    return "categorical"


def feature_kinds(frame: pd.DataFrame, catalog: pd.DataFrame) -> dict[str, str]:
    """Kind of every catalog feature present in ``frame``: numeric, boolean or categorical.

    The catalog ``data_type`` decides when it is a recognised type name; otherwise
    the column dtype does. Dates and timestamps get no kind (they are not inputs).

    Returns
    -------
    dict
        ``{feature_name: kind}`` in catalog order, protected features included.
    """
    normalized = normalize_catalog(catalog)
    kinds = {}
    for name, data_type in zip(normalized["feature_name"], normalized["data_type"]):
        if name not in frame.columns:
            continue
        if data_type in NUMERIC_TYPES:
            kinds[name] = "numeric"
        elif data_type in BOOLEAN_TYPES:
            kinds[name] = "boolean"
        elif data_type in CATEGORICAL_TYPES:
            kinds[name] = "categorical"
        else:
            kind = _kind_from_dtype(frame[name])
            if kind is not None:
                kinds[name] = kind
    return kinds


def select_feature_columns(frame: pd.DataFrame, catalog: pd.DataFrame) -> list[str]:
    """Model inputs: catalog features present in ``frame`` that may be used.

    Excluded: key, label and flag columns (``lead_id``, ``as_of_date``, ``label``,
    ``is_label_mature``, ``is_never_worked``, ``is_scoring_row``, ``account_domain``),
    protected attributes, columns missing from the catalog, and columns that are
    neither numeric, boolean nor categorical (dates).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of ``lead_features``.
    catalog : pandas.DataFrame
        The feature catalog seed.

    Returns
    -------
    list of str
        Feature names in catalog order (a stable order for every run).
    """
    protected = protected_features(catalog)
    return [
        name for name in feature_kinds(frame, catalog)
        if name not in RESERVED_COLUMNS and name not in protected
    ]


def category_strings(values: pd.Series) -> pd.Series:
    """Categorical values as strings, missing values as ``'__missing__'``."""
    filled = values.astype(object).where(values.notna(), MISSING_LEVEL)
    if values.dtype != object and pd.api.types.is_string_dtype(values.dtype):
        return filled
    return filled.map(str)


class FeatureEncoder:
    """Turn a feature frame into a float matrix for one model family.

    Two outputs, chosen by ``output``:

    * ``"tree"`` (LightGBM, random forest): one column per feature. Numeric and
      boolean features stay as float with NaN for missing; categoricals become integer
      codes of their frequent levels, with rare levels (fewer than
      ``min_category_count`` rows, or beyond the ``max_categories`` most frequent)
      folded into an ``'__other__'`` bucket that also receives levels unseen in
      training. Missing is a level of its own (``'__missing__'``).
    * ``"linear"`` (logistic regression): median imputation, a missing indicator for
      each numeric feature that had missing values in training, one-hot columns for
      the categorical levels (same folding), then every column standardized with the
      training mean and standard deviation.

    Everything is learned in :meth:`fit`, on training rows only. The fitted encoder
    round-trips through :meth:`to_dict` / :meth:`from_dict` as plain JSON values.

    Parameters
    ----------
    numeric_features : sequence of str
        Numeric and boolean feature names.
    categorical_features : sequence of str
        Categorical (string) feature names.
    output : {"tree", "linear"}
    min_category_count : int
        Levels rarer than this in training are folded into ``'__other__'``.
    max_categories : int
        At most this many levels per feature are kept (most frequent first).
    """

    def __init__(
        self,
        numeric_features: Sequence[str] = (),
        categorical_features: Sequence[str] = (),
        *,
        output: str = "tree",
        min_category_count: int = 20,
        max_categories: int = 30,
    ):
        self.numeric_features = numeric_features
        self.categorical_features = categorical_features
        self.output = output
        self.min_category_count = min_category_count
        self.max_categories = max_categories

    def get_params(self) -> dict:
        """Constructor parameters (sklearn convention)."""
        return {
            "numeric_features": list(self.numeric_features),
            "categorical_features": list(self.categorical_features),
            "output": self.output,
            "min_category_count": self.min_category_count,
            "max_categories": self.max_categories,
        }

    def fit(self, X: pd.DataFrame, y: Sequence | None = None) -> "FeatureEncoder":
        """Learn medians, category levels and scaling from training rows.

        Parameters
        ----------
        X : pandas.DataFrame
            Training rows holding every configured feature.
        y : ignored

        Returns
        -------
        FeatureEncoder
            ``self``.
        """
        if self.output not in ("tree", "linear"):
            raise ValueError(f"output must be 'tree' or 'linear', got {self.output!r}")
        numeric = list(self.numeric_features)
        categorical = list(self.categorical_features)
        missing_columns = [name for name in numeric + categorical if name not in X.columns]
        if missing_columns:
            raise KeyError(f"feature(s) {missing_columns} not found in the frame")
        self.feature_names_in_ = np.array(numeric + categorical, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.medians_ = {}
        self.has_missing_ = {}
        for name in numeric:
            values = to_float(X[name])
            observed = values[~np.isnan(values)]
            self.medians_[name] = float(np.median(observed)) if len(observed) else 0.0
            self.has_missing_[name] = bool(len(observed) < len(values))
        self.category_levels_ = {}
        for name in categorical:
            counts = category_strings(X[name]).value_counts()
            counts = counts[counts >= self.min_category_count]
            ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            self.category_levels_[name] = [level for level, _ in ordered[: self.max_categories]]
        self.means_ = {}
        self.scales_ = {}
        if self.output == "linear":
            self._set_linear_layout()
            raw = self._linear_unscaled(X)
            means = raw.mean(axis=0)
            scales = raw.std(axis=0)
            scales[scales < 1e-12] = 1.0
            self.means_ = dict(zip(self.feature_names_out_, means.tolist()))
            self.scales_ = dict(zip(self.feature_names_out_, scales.tolist()))
        else:
            self._set_tree_layout()
        return self

    def _set_tree_layout(self) -> None:
        self.feature_names_out_ = list(self.feature_names_in_)
        self.feature_sources_ = list(self.feature_names_in_)
        numeric_count = len(self.numeric_features)
        self.categorical_indices_ = list(range(numeric_count, self.n_features_in_))

    def _set_linear_layout(self) -> None:
        names, sources = [], []
        for name in self.numeric_features:
            names.append(name)
            sources.append(name)
            if self.has_missing_[name]:
                names.append(f"{name}__missing")
                sources.append(name)
        for name in self.categorical_features:
            for level in [*self.category_levels_[name], OTHER_LEVEL]:
                names.append(f"{name}={level}")
                sources.append(name)
        self.feature_names_out_ = names
        self.feature_sources_ = sources
        self.categorical_indices_ = []

    def _codes(self, values: pd.Series, name: str) -> np.ndarray:
        levels = self.category_levels_[name]
        codes = pd.Index([*levels, OTHER_LEVEL], dtype=object).get_indexer(category_strings(values).astype(object))
        codes = codes.astype(np.int64)
        codes[codes < 0] = len(levels)
        return codes

    def _linear_unscaled(self, X: pd.DataFrame) -> np.ndarray:
        blocks = []
        for name in self.numeric_features:
            values = to_float(X[name])
            missing = np.isnan(values)
            blocks.append(np.where(missing, self.medians_[name], values)[:, None])
            if self.has_missing_[name]:
                blocks.append(missing.astype(float)[:, None])
        for name in self.categorical_features:
            codes = self._codes(X[name], name)
            one_hot = np.zeros((len(codes), len(self.category_levels_[name]) + 1))
            one_hot[np.arange(len(codes)), codes] = 1.0
            blocks.append(one_hot)
        if not blocks:
            return np.empty((len(X), 0))
        return np.hstack(blocks)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Encode rows with what :meth:`fit` learned.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows holding every configured feature (extra columns are ignored).

        Returns
        -------
        numpy.ndarray of float64, shape ``(len(X), len(feature_names_out_))``.
        """
        if not hasattr(self, "feature_names_out_"):
            raise RuntimeError("FeatureEncoder is not fitted; call fit first")
        if self.output == "linear":
            raw = self._linear_unscaled(X)
            means = np.array([self.means_[name] for name in self.feature_names_out_])
            scales = np.array([self.scales_[name] for name in self.feature_names_out_])
            return (raw - means) / scales
        matrix = np.empty((len(X), self.n_features_in_), dtype=np.float64)
        for position, name in enumerate(self.numeric_features):
            matrix[:, position] = to_float(X[name])
        offset = len(self.numeric_features)
        for position, name in enumerate(self.categorical_features):
            matrix[:, offset + position] = self._codes(X[name], name)
        return matrix

    def fit_transform(self, X: pd.DataFrame, y: Sequence | None = None) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same rows."""
        return self.fit(X, y).transform(X)

    def get_feature_names_out(self) -> np.ndarray:
        """Names of the output columns (``feature``, ``feature__missing``, ``feature=level``)."""
        return np.array(self.feature_names_out_, dtype=object)

    def to_dict(self) -> dict:
        """The fitted encoder as JSON-serializable values."""
        return {
            "params": self.get_params(),
            "medians": self.medians_,
            "has_missing": self.has_missing_,
            "category_levels": self.category_levels_,
            "means": self.means_,
            "scales": self.scales_,
        }

    @classmethod
    def from_dict(cls, state: dict) -> "FeatureEncoder":
        """Rebuild a fitted encoder from :meth:`to_dict` output."""
        encoder = cls(**state["params"])
        encoder.feature_names_in_ = np.array(
            list(encoder.numeric_features) + list(encoder.categorical_features), dtype=object
        )
        encoder.n_features_in_ = len(encoder.feature_names_in_)
        encoder.medians_ = dict(state["medians"])
        encoder.has_missing_ = dict(state["has_missing"])
        encoder.category_levels_ = {name: list(levels) for name, levels in state["category_levels"].items()}
        encoder.means_ = dict(state["means"])
        encoder.scales_ = dict(state["scales"])
        if encoder.output == "linear":
            encoder._set_linear_layout()
        else:
            encoder._set_tree_layout()
        return encoder


def make_encoder(features: Sequence[str], kinds: dict[str, str], output: str, **params) -> FeatureEncoder:
    """An unfitted :class:`FeatureEncoder` for ``features``, split by kind.

    Parameters
    ----------
    features : sequence of str
    kinds : dict
        ``{feature: "numeric" | "boolean" | "categorical"}``, from :func:`feature_kinds`.
    output : {"tree", "linear"}
    **params
        Passed to :class:`FeatureEncoder`.
    """
    numeric = [name for name in features if kinds[name] in ("numeric", "boolean")]
    categorical = [name for name in features if kinds[name] == "categorical"]
    return FeatureEncoder(numeric, categorical, output=output, **params)


def _text_values(values: pd.Series) -> pd.Series:
    """Non-null values as trimmed lower-case text (for kind detection only)."""
    return values.dropna().astype(str).str.strip().str.lower()


def custom_column_kind(values: pd.Series) -> str | None:
    """Kind of one custom field from its raw values: ``"boolean"``, ``"numeric"``, ``"categorical"`` or None.

    Typed columns keep their type (booleans, numbers; dates and timestamps are no feature and get None). Text
    columns, as raw loaders often land every field, are read: only true/false/yes/no/t/f/y/n/0/1 values make a
    boolean, at least :data:`NUMERIC_TEXT_SHARE` of values parsing as numbers make a number, anything else is a
    category (its rare levels are folded into ``'__other__'`` by :class:`FeatureEncoder`).

    Parameters
    ----------
    values : pandas.Series
        The raw column.

    Returns
    -------
    str or None
    """
    kind = _kind_from_dtype(values)
    if kind != "categorical":
        return kind
    text = _text_values(values)
    if text.empty:
        return "categorical"
    if text.isin(TRUE_TEXT | FALSE_TEXT).all():
        return "boolean"
    if pd.to_numeric(text, errors="coerce").notna().mean() >= NUMERIC_TEXT_SHARE:
        return "numeric"
    return "categorical"


def custom_column_kinds(frame: pd.DataFrame, custom_columns: Sequence[str]) -> dict[str, str]:
    """:func:`custom_column_kind` of every custom field present in ``frame`` that has a kind, in the given order."""
    kinds = {}
    for name in custom_columns:
        if name in frame.columns:
            kind = custom_column_kind(frame[name])
            if kind is not None:
                kinds[name] = kind
    return kinds


def coerce_custom_column(values: pd.Series, kind: str) -> pd.Series:
    """One custom field's raw values as its kind: float for numbers, nullable boolean for booleans, text as is.

    A value that does not read as the kind becomes missing. Categories are left untouched (no trimming or case
    change) so the SQL scorer, which compares the raw text with the stored levels, encodes them identically.
    """
    if kind == "numeric":
        return pd.Series(to_float(values), index=values.index, name=values.name)
    if kind == "boolean":
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("boolean")
        if pd.api.types.is_numeric_dtype(values.dtype):
            numbers = to_float(values)
            return pd.Series(pd.array(np.where(np.isnan(numbers), None, numbers != 0), dtype="boolean"),
                             index=values.index, name=values.name)
        text = values.astype(object).map(lambda value: str(value).strip().lower() if pd.notna(value) else None)
        flags = text.map(lambda value: True if value in TRUE_TEXT else False if value in FALSE_TEXT else None)
        return flags.astype("boolean")
    return values


def coerce_custom_columns(
    frame: pd.DataFrame, custom_columns: Sequence[str], kinds: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The frame with every custom field converted to its kind (:func:`coerce_custom_column`).

    Training and scoring must convert identically, so scoring passes the kinds the model was trained with
    (``ModelBundle.feature_kinds``); training infers them from its own rows (:func:`custom_column_kinds`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of ``lead_features`` joined to the custom fields.
    custom_columns : sequence of str
        The custom field names (var ``lead_custom_fields``); names absent from ``frame`` are ignored.
    kinds : mapping, optional
        ``{column: kind}`` to apply; columns missing from it have their kind inferred from ``frame``.

    Returns
    -------
    pandas.DataFrame
        A copy; other columns unchanged.
    """
    present = [name for name in custom_columns if name in frame.columns]
    inferred = custom_column_kinds(frame, [name for name in present if name not in (kinds or {})])
    chosen = {**inferred, **{name: kind for name, kind in (kinds or {}).items() if name in present}}
    coerced = frame.copy()
    for name, kind in chosen.items():
        coerced[name] = coerce_custom_column(frame[name], kind)
    return coerced


def with_custom_inputs(
    frame: pd.DataFrame, catalog: pd.DataFrame, kinds: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows and catalog ready for a trained model whose inputs include custom fields (scoring, backtests).

    The custom fields are the model's inputs the catalog seed does not describe; they are converted with the kinds
    the model was trained with and get the same catalog rows as in training, so encodings and reason sentences
    match.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to score, custom fields raw.
    catalog : pandas.DataFrame
        The feature catalog seed.
    kinds : mapping
        The model's ``{feature: kind}`` (``ModelBundle.feature_kinds``).

    Returns
    -------
    tuple of pandas.DataFrame
        ``(rows, catalog)``.
    """
    known = set(catalog.rename(columns=str.lower)["feature_name"].astype(str))
    custom = [name for name in kinds if name not in known]
    if not custom:
        return frame, catalog
    return coerce_custom_columns(frame, custom, kinds), catalog_with_custom_fields(catalog, frame, custom, kinds)


def custom_column_drop_reasons(
    frame: pd.DataFrame, custom_columns: Sequence[str], lead_column: str = "lead_id"
) -> dict[str, str]:
    """Custom fields that cannot be features, with the reason; the others are absent from the result.

    A field is dropped (never an error) when it is absent from the rows, a date, empty, constant (missing counts
    as a value: "yes or empty" is informative), or text with so many distinct values that it names each lead
    (more than :data:`MAX_DISTINCT_PER_LEAD` of the leads holding it, and more than :data:`MIN_DISTINCT_FOR_ID`).

    Parameters
    ----------
    frame : pandas.DataFrame
        The training rows (raw or coerced values).
    custom_columns : sequence of str
    lead_column : str
        Lead identifier, to count leads rather than snapshots.

    Returns
    -------
    dict
        ``{column: reason}``.
    """
    reasons = {}
    for name in custom_columns:
        if name not in frame.columns:
            reasons[name] = f"custom field {name}: not in the training rows"
            continue
        values = frame[name]
        kind = custom_column_kind(values)
        if kind is None:
            reasons[name] = f"custom field {name}: a date or timestamp, not a feature"
            continue
        coerced = coerce_custom_column(values, kind)
        present = coerced.notna()
        if not present.any():
            reasons[name] = f"custom field {name}: empty on every training row"
        elif present.all() and coerced.nunique() == 1:
            reasons[name] = f"custom field {name}: the same value ({coerced.iloc[0]}) on every training row"
        elif kind == "categorical":
            distinct = int(coerced[present].astype(str).nunique())
            if lead_column in frame.columns:
                leads = int(frame.loc[present, lead_column].nunique())
            else:
                leads = int(present.sum())
            if distinct > max(MIN_DISTINCT_FOR_ID, MAX_DISTINCT_PER_LEAD * leads):
                reasons[name] = (f"custom field {name}: {distinct} distinct values over {leads} leads, an identifier "
                                 "or free text that no new lead would share")
    return reasons


def custom_column_leakage_reasons(
    training: pd.DataFrame,
    custom_columns: Sequence[str],
    kinds: Mapping[str, str],
    threshold: float,
    *,
    random_state: int = 0,
) -> dict[str, str]:
    """Custom fields that alone separate the label, with the reason.

    CRM custom fields are overwritten in place, so one may be set when a lead converts (a stage, a won flag) and
    hold the outcome on every past snapshot. The leakage guard stops a run on such a standard feature (a bug in
    the package); a custom field is the user's data, so it is dropped instead and the build goes on.

    Parameters
    ----------
    training : pandas.DataFrame
        Labelled training rows, custom fields coerced (:func:`coerce_custom_columns`).
    custom_columns : sequence of str
    kinds : mapping
        Kind of each custom field.
    threshold : float
        Single-feature AUC at or above which a field is dropped (var ``leakage_auc_threshold``).
    random_state : int
        Seed of the categorical out-of-fold encoding.

    Returns
    -------
    dict
        ``{column: reason}``.
    """
    from .guards import single_feature_auc

    labelled = training.loc[~np.isnan(to_float(training["label"]))]
    if labelled.empty:
        return {}
    labels = to_float(labelled["label"]).astype(np.int8)
    reasons = {}
    for name in custom_columns:
        if name not in labelled.columns or name not in kinds or labelled[name].isna().all():
            continue
        auc = single_feature_auc(labelled[name], labels, categorical=kinds[name] == "categorical",
                                 random_state=random_state)
        if auc >= threshold:
            reasons[name] = (f"custom field {name}: alone separates the label (AUC {auc:.3f} >= leakage_auc_threshold "
                             f"{threshold:g}), probably set when the outcome was known")
    return reasons


def readable_label(column: str) -> str:
    """A column name as a short label: ``product_interest__c`` -> "Product interest", ``NPSScore`` -> "NPS score".

    The Salesforce custom-field suffix ``__c`` is dropped, underscores and camel case become spaces, and words
    are lower-cased except acronyms and the first letter.
    """
    name = re.sub(r"__c$", "", column.strip(), flags=re.IGNORECASE)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    words = [word for word in re.split(r"[_\s.-]+", name) if word]
    if not words:
        return column
    words = [word if word.isupper() and len(word) > 1 else word.lower() for word in words]
    return words[0][0].upper() + words[0][1:] + "".join(f" {word}" for word in words[1:])


def custom_catalog_row(column: str, kind: str) -> dict[str, object]:
    """The feature catalog row of one custom field, in the seed's style (never protected).

    Sentences: "<Label> is <value>" for a category or a number (whether the value raised or lowered the score is
    the reason's column, reason_up or reason_down), "<Label>: yes" for a boolean, "<Label> is unknown" when
    missing.
    """
    label = readable_label(column)
    kind_word = {"numeric": "number", "boolean": "yes/no", "categorical": "text"}[kind]
    template = f"{label}: {{value}}" if kind == "boolean" else f"{label} is {{value}}"
    return {
        "feature_name": column,
        "family": CUSTOM_FAMILY,
        "data_type": kind,
        "window_days": None,
        "source": "salesforce.lead (custom field, var lead_custom_fields)",
        "description": f"Custom lead field {column} ({kind_word}), as the CRM holds it.",
        "explanation_template": template,
        "is_protected": False,
        "missing_explanation": f"{label} is unknown",
    }


def catalog_with_custom_fields(
    catalog: pd.DataFrame,
    frame: pd.DataFrame,
    custom_columns: Sequence[str],
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The feature catalog plus one row per custom field that the seed does not describe.

    Parameters
    ----------
    catalog : pandas.DataFrame
        The feature catalog seed; its rows win (a user may describe a custom field there).
    frame : pandas.DataFrame
        Rows holding the custom fields, raw or coerced, to infer their kinds.
    custom_columns : sequence of str
        The custom field names (var ``lead_custom_fields``); names absent from ``frame`` or without a kind
        (dates) get no row.
    kinds : mapping, optional
        Kinds to use instead of inferring them (at scoring, ``ModelBundle.feature_kinds``).

    Returns
    -------
    pandas.DataFrame
        The seed's rows and columns, then the custom rows (family ``'custom'``).
    """
    known = set(catalog.rename(columns=str.lower)["feature_name"].astype(str))
    present = [name for name in custom_columns if name not in known and name in frame.columns]
    chosen = {**custom_column_kinds(frame, [name for name in present if name not in (kinds or {})]),
              **{name: kind for name, kind in (kinds or {}).items() if name in present}}
    rows = [custom_catalog_row(name, chosen[name]) for name in present if name in chosen]
    if not rows:
        return catalog.copy()
    added = pd.DataFrame(rows)
    base = catalog.rename(columns=str.lower)
    return pd.concat([base, added.reindex(columns=list(dict.fromkeys([*base.columns, *added.columns])))],
                     ignore_index=True)
