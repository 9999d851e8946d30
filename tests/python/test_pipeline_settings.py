"""Training settings read from dbt vars by the registry model."""
import pytest

from leadscore.pipeline import candidate_algorithms, settings_from_config


def test_candidate_algorithms_come_from_a_list_or_the_rendered_string():
    assert candidate_algorithms(None) == ("logistic", "random_forest", "lightgbm")
    assert candidate_algorithms("lightgbm,logistic") == ("logistic", "lightgbm")  # package order, not var order
    assert candidate_algorithms("['LightGBM']") == ("lightgbm",)
    assert candidate_algorithms(["random_forest"]) == ("random_forest",)


@pytest.mark.parametrize("value", ["xgboost", "logistic,svm", ","])
def test_unknown_or_empty_candidate_algorithms_fail_with_the_accepted_names(value):
    with pytest.raises(ValueError, match="candidate_algorithms must name one or more of"):
        candidate_algorithms(value)


def test_settings_carry_the_candidates_to_training():
    config = {"candidate_algorithms": "logistic,lightgbm", "horizon_days": "60"}
    settings = settings_from_config(config.get)
    assert settings.algorithms == ("logistic", "lightgbm") and settings.horizon_days == 60
