import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture
def snakemake_bin():
    exe = shutil.which("snakemake")
    if exe is None:
        pytest.skip("snakemake is not installed")
    return exe


needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "ctc").is_dir(), reason="../shared/data is not present"
)
