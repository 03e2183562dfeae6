"""Which backend each recogniser name loads, with what, and how loaded ones are reused: the
backends are replaced by recorders, so nothing is loaded or downloaded."""

import numpy as np
import pytest

from audiosqueeze import asr
from audiosqueeze.asr import hama, hf, openai, sphinx, whisper
from audiosqueeze.errors import OptionsError


class Recorder:
    """Stands in for a backend class: keeps what it was made with and what it was given."""

    def __init__(self, backend, *args, **kw):
        self.backend, self.args, self.kw, self.given = backend, args, kw, []

    def transcribe(self, samples):
        self.given.append(samples)
        return asr.Transcript(f"{len(samples)} samples")


def maker(backend):
    return lambda *args, **kw: Recorder(backend, *args, **kw)


@pytest.fixture
def recorded(monkeypatch):
    monkeypatch.setattr(whisper, "FasterWhisperASR", maker("whisper"))
    monkeypatch.setattr(sphinx, "PocketsphinxASR", maker("sphinx"))
    monkeypatch.setattr(hama, "HamaASR", maker("hama"))
    monkeypatch.setattr(hf, "TransformersASR", maker("hf"))
    monkeypatch.setattr(openai, "OpenAIASR", maker("openai"))
    asr._cached.cache_clear()
    yield
    asr._cached.cache_clear()


@pytest.mark.parametrize(
    "name, backend, args",
    [
        ("whisper-tiny.en", "whisper", ("whisper-tiny.en",)),
        ("whisper-base", "whisper", ("whisper-base",)),
        ("faster-whisper:/m/small", "whisper", ("faster-whisper:/m/small",)),
        ("pocketsphinx", "sphinx", ()),
        ("hama", "hama", ()),
        ("transformers:/m/w2v:2", "hf", ("/m/w2v:2",)),  # split at the first colon only
        ("openai", "openai", ()),
    ],
)
def test_each_name_loads_its_backend(recorded, name, backend, args):
    m = asr.load_asr(name, device="x")
    assert (m.backend, m.args, m.kw) == (backend, args, {"device": "x"})
    assert asr.asr_name(name) == name


@pytest.mark.parametrize("bad", ["whisper", "Hama", "faster-whisper", "transformers/x", None, 3])
def test_other_names_are_options_errors(recorded, bad):
    with pytest.raises(OptionsError, match="unknown ASR"):
        asr.asr_name(bad)
    with pytest.raises(OptionsError, match="unknown ASR"):
        asr.load_asr(bad)


def test_a_recogniser_is_loaded_once_per_name_and_options(recorded):
    m = asr.load_asr("openai", model="a", base_url="b")
    assert asr.load_asr("openai", base_url="b", model="a") is m  # in any order
    assert asr.load_asr("openai", model="c", base_url="b") is not m
    assert asr.load_asr("openai") is not m


def test_at_most_eight_loaded_recognisers_are_held(recorded):
    # models are large: the eight used last are kept, a ninth drops the one unused longest
    held = [asr.load_asr("openai", model=str(i)) for i in range(8)]
    assert all(asr.load_asr("openai", model=str(i)) is m for i, m in enumerate(held))
    asr.load_asr("openai", model="8")
    assert asr.load_asr("openai", model="0") is not held[0]


def test_transcribe_gives_the_model_contiguous_float32(recorded):
    x = np.arange(20, dtype=np.float64)[::2]  # float64, not contiguous
    t = asr.transcribe(x, "hama")
    (given,) = asr.load_asr("hama").given
    assert t.text == "10 samples"
    assert given.dtype == np.float32 and given.flags.c_contiguous
    assert given.tolist() == list(range(0, 20, 2))
    m = Recorder("mine")
    assert asr.transcribe(x, m).text == "10 samples" and len(m.given) == 1  # a loaded one
