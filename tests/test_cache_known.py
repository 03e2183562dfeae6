"""The benchmark's transcript cache: what makes two keys the same, on planted configs."""

import numpy as np

from audiosqueeze.bench.cache import TranscriptCache
from audiosqueeze.transcript import Transcript


def test_the_key_is_the_samples_and_the_config_not_how_they_were_written(tmp_path):
    c = TranscriptCache(tmp_path)
    x = np.linspace(-1, 1, 50, dtype=np.float32)
    k = c.key(x, {"backend": "whisper", "beam_size": 5, "opts": {"t": 0, "lang": "en"}})
    # the same config with its keys in another order, the same samples as float64 or a view
    assert k == c.key(x, {"opts": {"lang": "en", "t": 0}, "beam_size": 5, "backend": "whisper"})
    assert k == c.key(x.astype(np.float64), {"beam_size": 5, "backend": "whisper",
                                             "opts": {"t": 0, "lang": "en"}})  # fmt: skip
    view = np.repeat(x, 2)[::2]  # not contiguous: the same samples
    assert k == c.key(view, {"backend": "whisper", "beam_size": 5, "opts": {"t": 0, "lang": "en"}})
    assert k != c.key(x, {"backend": "whisper", "beam_size": 4, "opts": {"t": 0, "lang": "en"}})
    assert k != c.key(
        x[:-1], {"backend": "whisper", "beam_size": 5, "opts": {"t": 0, "lang": "en"}}
    )
    c.put(k, Transcript("hello"), 1.5)
    reordered = c.key(x, {"opts": {"t": 0, "lang": "en"}, "backend": "whisper", "beam_size": 5})
    assert c.get(reordered) == (Transcript("hello"), 1.5)  # a hit, whatever the order
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        k[:2], f"{k[:2]}/{k}.json"]  # fmt: skip
