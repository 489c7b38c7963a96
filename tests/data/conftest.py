import pytest


@pytest.fixture(autouse=True)
def default_cache(tmp_path, monkeypatch):
    """Loads without ``cache_dir`` write here, never to ~/.cache/kerasreg."""
    folder = tmp_path / "default-cache"
    monkeypatch.setenv("KERASREG_CACHE", str(folder))
    return folder
