import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# ../shared/data beside the checkout (CI, developers); UQTRACK_SHARED_DATA points elsewhere
SHARED_DATA = Path(os.environ.get("UQTRACK_SHARED_DATA", ROOT / ".." / "shared" / "data")).resolve()


def snakemake_command() -> list[str]:
    """Snakemake of this very interpreter, whether or not its venv is activated."""
    if importlib.util.find_spec("snakemake") is None:
        pytest.skip("snakemake is not installed")
    return [sys.executable, "-m", "snakemake"]


@pytest.fixture
def snakemake_bin():
    return snakemake_command()


needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "ctc").is_dir(), reason="../shared/data is not present"
)
