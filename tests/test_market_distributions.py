from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from abm.errors import ParameterError
from abm.market.distributions import Distribution, as_distribution, draw


def rng():
    return np.random.default_rng(123)


def test_constant_and_list():
    assert np.array_equal(draw(2.5, rng(), 3, "x"), [2.5, 2.5, 2.5])
    assert np.array_equal(draw([1.0, 2.0], rng(), 2, "x"), [1.0, 2.0])


def test_uniform_moments():
    values = draw(Distribution("uniform", low=1.0, high=3.0), rng(), 20000, "x")
    assert values.min() >= 1.0 and values.max() <= 3.0
    assert values.mean() == pytest.approx(2.0, abs=0.02)


def test_truncated_normal_matches_scipy():
    spec = Distribution("normal", mean=0.0, sd=1.0, low=0.5, high=2.0)
    values = draw(spec, rng(), 20000, "x")
    assert values.min() >= 0.5 and values.max() <= 2.0
    expected = stats.truncnorm(0.5, 2.0).mean()
    assert values.mean() == pytest.approx(expected, abs=0.01)


def test_lognormal_median():
    values = draw(
        Distribution("lognormal", mean=math.log(2.0), sd=0.5), rng(), 20000, "x", 0.0, low_open=True
    )
    assert np.median(values) == pytest.approx(2.0, rel=0.03)


def test_mapping_spec():
    spec = as_distribution({"kind": "uniform", "low": 0.0, "high": 1.0}, "x")
    assert spec.kind == "uniform"


@pytest.mark.parametrize(
    "spec",
    [
        Distribution("uniform", low=3.0, high=1.0),
        Distribution("normal", mean=0.0, sd=0.0),
        Distribution("normal", mean=0.0, sd=0.001, low=10.0, high=11.0),
        Distribution("weird"),
        Distribution("list"),
        {"kind": "uniform", "lo": 1},
    ],
)
def test_impossible_distributions_name_the_parameter(spec):
    with pytest.raises(ParameterError, match="alpha0"):
        draw(spec, rng(), 2, "alpha0", 0.0, low_open=True)


def test_support_outside_range_is_refused():
    with pytest.raises(ParameterError, match=r"alpha0 must be in \(0"):
        draw(Distribution("uniform", low=-1.0, high=1.0), rng(), 5, "alpha0", 0.0, low_open=True)
