"""Keys generated into instance/ are created once, owner-only, and reused."""
import stat

from config import instance_key, load_or_create_secret_key


def test_instance_key_is_created_once_with_owner_only_permissions(tmp_path):
    first = instance_key(tmp_path, "k", lambda: "generated-1")
    second = instance_key(tmp_path, "k", lambda: "generated-2")
    assert first == second == "generated-1"
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


def test_secret_key_prefers_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_or_create_secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()
    monkeypatch.delenv("SECRET_KEY")
    generated = load_or_create_secret_key(tmp_path)
    assert len(generated) >= 48 and load_or_create_secret_key(tmp_path) == generated
