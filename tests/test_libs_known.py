"""Optional-dependency plumbing with planted answers: ``deps.require`` and the TSM libraries'
wrapper (``tsm_libs``), which must trim or pad to the planned length and name what is missing."""

import json
import sys

import numpy as np
import pytest

from audiosqueeze.deps import require
from audiosqueeze.errors import MissingDependencyError, OptionsError
from audiosqueeze.tsm_libs import _fit, library_stretch


def test_require_returns_the_module_itself():
    assert require("json", "none") is json


def test_require_names_the_module_and_the_extra_to_install():
    with pytest.raises(MissingDependencyError) as e:
        require("audiosqueeze_no_such_module", "bench")
    assert str(e.value) == (
        "'audiosqueeze_no_such_module' is not installed: pip install 'audiosqueeze[bench]'"
    )
    assert isinstance(e.value, ImportError) and isinstance(e.value.__cause__, ImportError)


def test_fit_trims_a_long_output_to_its_first_samples():
    y = np.arange(10, dtype=np.float64)
    out = _fit(y, 4)
    assert out.dtype == np.float32 and out.tolist() == [0, 1, 2, 3]
    assert _fit(y, 10).tolist() == list(range(10))


def test_fit_pads_a_short_output_with_its_last_sample_and_an_empty_one_with_zeros():
    assert _fit(np.array([[1.0, 2.0, 3.0]]), 6).tolist() == [1, 2, 3, 3, 3, 3]
    assert _fit(np.zeros(0), 3).tolist() == [0, 0, 0]


def test_an_unknown_method_is_refused_by_name():
    with pytest.raises(OptionsError, match="unknown TSM method 'sox'"):
        library_stretch(np.ones(1600, np.float32), 800, "sox")


@pytest.mark.parametrize(
    ("method", "module"),
    [("rubberband", "pedalboard"), ("signalsmith", "python_stretch"), ("audiotsm", "audiotsm")],
)
def test_a_missing_library_names_the_method_and_the_tsm_extra(monkeypatch, method, module):
    monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    with pytest.raises(MissingDependencyError) as e:
        library_stretch(np.ones(1600, np.float32), 800, method)
    assert f"TSM method {method!r} needs an optional package ({module}" in str(e.value)
    assert "pip install 'audiosqueeze[tsm]'" in str(e.value)
