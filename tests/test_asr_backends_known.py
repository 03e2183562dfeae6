"""hama and PocketSphinx wrappers with planted answers, through stand-in modules: what each
hands its model, which words it keeps, and the times it gives them."""

import sys
import types
from importlib.metadata import version

import numpy as np
import pytest

from audiosqueeze.asr import hama as hm
from audiosqueeze.asr import sphinx as sp
from audiosqueeze.transcript import Transcript, Word


def ns(**kw):
    return types.SimpleNamespace(**kw)


@pytest.fixture
def fake_hama(monkeypatch):
    calls, result = [], {}

    class ASRModel:
        def __call__(self, samples, rate):
            calls.append((len(samples), rate))
            return result["r"]

    class P2GModel:
        def predict(self, phones):
            return ns(
                text={"HH AH": " huh ", "B IY": "bee", "S IY": "", "D IY": "dee"}[" ".join(phones)]
            )

    monkeypatch.setitem(sys.modules, "hama", ns(ASRModel=ASRModel, P2GModel=P2GModel))
    monkeypatch.setattr(hm, "_version", lambda dist: f"v-{dist}")
    return calls, result


def test_hama_skips_under_a_tenth_of_a_second_and_decodes_from_it(fake_hama):
    calls, result = fake_hama
    result["r"] = ns(
        num_frames=5, frame_token_ids=[190, 3, 190, 190, 190], word_phoneme_text="HH AH"
    )
    asr = hm.HamaASR()
    assert asr.config == {"backend": "hama", "version": "v-hama"}
    assert asr.transcribe(np.zeros(1599, np.float32)) == Transcript("") and calls == []
    t = asr.transcribe(np.zeros(1600, np.float32))
    assert calls == [(1600, 16000)]
    assert t == Transcript("huh", (Word("huh", 0.02, 0.04),))  # 20-ms frames: frame 1 to 2


def test_hama_words_take_their_spans_in_order_and_skip_empty_spellings(fake_hama):
    _, result = fake_hama
    # 16000 samples over 7 frames: a frame is 1/7 s. Words: frames 1-2, 4, then no span left.
    result["r"] = ns(
        num_frames=7,
        frame_token_ids=[190, 5, 5, 189, 9, 189, 190],
        word_phoneme_text="B IY | S IY | D IY |",
    )
    t = hm.HamaASR().transcribe(np.zeros(16000, np.float32))
    # "S IY" spells nothing, so it is dropped but still uses the second span; "D IY" has none
    # of its own and sits at the end of the audio
    assert t == Transcript("bee dee", (Word("bee", 0.143, 0.429), Word("dee", 1.0, 1.0)))


def test_hama_survives_a_result_with_no_frames(fake_hama):
    _, result = fake_hama
    result["r"] = ns(num_frames=0, frame_token_ids=[], word_phoneme_text="B IY")
    assert hm.HamaASR().transcribe(np.zeros(3200, np.float32)) == Transcript(
        "bee", (Word("bee", 0.0, 0.0),)
    )


@pytest.mark.parametrize(
    ("frames", "spans"),
    [
        ([], []),
        ([189, 189, 190], []),
        ([4, 4, 4], [(0, 3)]),
        ([4, 190, 190, 6, 189, 190, 7], [(0, 4), (6, 7)]),  # blanks inside a word stay in it
        ([190, 8, 189, 189, 9, 190, 189], [(1, 2), (4, 5)]),
    ],
)
def test_word_spans_run_from_first_to_last_non_blank_between_separators(frames, spans):
    assert hm._word_spans(frames) == spans


@pytest.fixture
def fake_sphinx(monkeypatch):
    log = []

    class Decoder:
        def __init__(self, **kw):
            log.append(("init", kw))
            self.segs, self.text = [], None

        def start_utt(self):
            log.append("start")

        def process_raw(self, pcm, full_utt):
            log.append(("raw", np.frombuffer(pcm, "<i2").tolist(), full_utt))

        def end_utt(self):
            log.append("end")

        def hyp(self):
            return self.text

        def seg(self):
            return iter(self.segs)

    monkeypatch.setitem(sys.modules, "pocketsphinx", ns(Decoder=Decoder))
    monkeypatch.setattr(sp, "_version", lambda dist: f"v-{dist}")
    return log


def test_sphinx_hands_clipped_16_bit_pcm_in_one_utterance(fake_sphinx):
    asr = sp.PocketsphinxASR()
    assert fake_sphinx[0] == ("init", {"samprate": 16000, "loglevel": "FATAL"})
    assert asr.config == {"backend": "pocketsphinx", "version": "v-pocketsphinx"}
    t = asr.transcribe(np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0], np.float32))
    assert fake_sphinx[1:] == [
        "start", ("raw", [0, 16383, -16383, 32767, -32767, 32767, -32767], True), "end"
    ]  # fmt: skip
    assert t == Transcript("")  # no hypothesis: no words, whatever the segments say


def test_sphinx_keeps_words_drops_fillers_and_times_them_in_10_ms_frames(fake_sphinx):
    asr = sp.PocketsphinxASR()
    asr._decoder.text = "hello world"
    asr._decoder.segs = [
        ns(word="<s>", start_frame=0, end_frame=9),
        ns(word="hello", start_frame=10, end_frame=41),
        ns(word="[NOISE]", start_frame=42, end_frame=50),
        ns(word="<sil>", start_frame=51, end_frame=60),
        ns(word="world(2)", start_frame=61, end_frame=99),
        ns(word="</s>", start_frame=100, end_frame=110),
    ]
    t = asr.transcribe(np.zeros(1600, np.float32))
    assert t == Transcript("hello world", (Word("hello", 0.1, 0.42), Word("world", 0.61, 1.0)))


def test_versions_are_the_installed_distributions():
    assert sp._version("numpy") == version("numpy") == np.__version__


@pytest.fixture
def fake_transformers(monkeypatch, tmp_path):
    log = []

    def pipeline(task, **kw):
        log.append((task, kw))

        def run(inputs, **call):
            log.append((len(inputs["raw"]), inputs["sampling_rate"], call))
            return {
                "text": " one two three ",
                "chunks": [
                    {"text": " one", "timestamp": (0.5, 0.9)},
                    {"text": "two ", "timestamp": (None, 1.4)},
                    {"text": " three", "timestamp": (1.5, None)},
                ],
            }

        run.model = type(model_class[0], (), {})()
        return run

    model_class = ["Wav2Vec2ForCTC"]
    monkeypatch.setitem(sys.modules, "transformers", ns(pipeline=pipeline, __version__="4.x"))
    (tmp_path / "config.json").write_text("{}")
    return log, model_class, tmp_path


@pytest.mark.parametrize("cls", ["Wav2Vec2ForCTC", "WhisperForConditionalGeneration"])
def test_transformers_loads_locally_and_asks_whisper_for_english(fake_transformers, cls):
    from audiosqueeze.asr.hf import TransformersASR

    log, model_class, d = fake_transformers
    model_class[0] = cls
    asr = TransformersASR(str(d))
    assert log[0] == (
        "automatic-speech-recognition",
        {"model": str(d), "device": "cpu", "model_kwargs": {"local_files_only": True}},
    )
    assert asr.name == f"transformers:{d}"
    assert asr.config == {"backend": "transformers", "version": "4.x", "model": str(d)}
    t = asr.transcribe(np.zeros(32000, np.float32))  # 2 s
    call = {"return_timestamps": "word"}
    if cls.startswith("Whisper"):
        call["generate_kwargs"] = {"language": "en", "task": "transcribe"}
    assert log[1] == (32000, 16000, call)
    assert t == Transcript(
        "one two three",
        (Word("one", 0.5, 0.9), Word("two", 0.0, 1.4), Word("three", 1.5, 2.0)),  # runs to the end
    )
