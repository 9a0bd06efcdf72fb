"""The folder of real payloads and files, kept beside the repository in shared/."""

import os
from pathlib import Path

REALDATA = Path(
    os.environ.get(
        "SMOOVE_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata"
    )
)
