"""Dev probe: ``audiosqueeze bench`` with verify's relax margin set to M seconds.

Verify mode sets every sped-up edit within ``VERIFY_MARGIN_S`` (0.3 s) of a changed or unsure
word back to 1.0x. This runs the usual bench command line with that margin replaced, to ask
whether a wider margin gives back the protection verify lost with 64-ms segments (it did not,
docs/RESULTS.md). A probe, not an option: the default stays until a dev rule says otherwise.

    python benchmarks/verify_margin_probe.py 0.45 bench --data ../shared/data --split dev \\
        --datasets librispeech,commonvoice --limit 100 --asr whisper-tiny.en \\
        --methods none,sq-verify-0.75 --out vm45-tiny
"""

from __future__ import annotations

import sys

import audiosqueeze.verify
from audiosqueeze.cli import main

USAGE = "usage: verify_margin_probe.py MARGIN_S bench [BENCH OPTIONS ...]"

if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(f"{USAGE}\n\n{__doc__}")
        sys.exit(0)
    if len(sys.argv) < 3:
        print(f"{USAGE}\nverify_margin_probe.py: error: need a margin and a command",
              file=sys.stderr)  # fmt: skip
        sys.exit(2)
    raw = sys.argv.pop(1)
    try:
        margin_s = float(raw)
    except ValueError:
        sys.exit(f"verify_margin_probe.py: error: the margin must be seconds, not {raw!r}")
    if not 0.0 <= margin_s < 60.0:
        sys.exit(f"verify_margin_probe.py: error: the margin must be 0 to 60 s, not {margin_s!r}")
    audiosqueeze.verify.VERIFY_MARGIN_S = margin_s
    sys.exit(main())
