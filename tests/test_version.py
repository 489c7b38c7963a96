"""The code identity every result records: a hash of the package's files, and the git commit when there is one."""

import hashlib
import shutil

from kerasreg import version
from kerasreg.comparison.table import code_groups, code_markdown


def expected_hash(root):
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def test_source_hash_covers_every_file_and_changes_with_one_byte(tmp_path):
    package = tmp_path / "kerasreg"
    shutil.copytree(version._PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = version.source_hash(str(package))
    assert before == expected_hash(package) == version.source_hash()
    target = package / "schedules" / "one_cycle.py"
    target.write_text(target.read_text() + "\n")
    assert version.source_hash(str(package)) == expected_hash(package) != before


def test_code_identity_names_the_version_hash_and_checkout():
    identity = version.code_identity()
    assert identity["version"] == version.__version__
    assert identity["source_sha256"] == version.source_hash()
    assert (identity["commit"] is None) == (identity["dirty"] is None)
    if identity["commit"] is not None:
        assert len(identity["commit"]) == 40 and isinstance(identity["dirty"], bool)
    assert version.short_code_identity(identity) == f"{version.__version__}+src.{identity['source_sha256'][:8]}"


def _run(sha):
    return {"versions": {"kerasreg_code": {"version": "0.1.0", "source_sha256": sha, "commit": None, "dirty": None}}}


def test_a_table_of_runs_says_which_code_made_them():
    one = {"a": {0: _run("1" * 64), 1: _run("1" * 64)}, "b": {0: _run("1" * 64)}}
    groups = code_groups(one)
    assert [g["code"] for g in groups] == ["0.1.0+src.11111111"]
    assert code_markdown(groups, one) == "Code: kerasreg 0.1.0+src.11111111 (every run).\n"
    mixed = {"a": {0: _run("1" * 64), 1: _run("2" * 64)}, "b": {0: {"versions": {"kerasreg": "0.1.0"}}}}
    groups = code_groups(mixed)
    assert sorted(g["code"] for g in groups) == ["0.1.0+src.11111111", "0.1.0+src.22222222", "not recorded"]
    assert code_markdown(groups, mixed).startswith("Mixed code: the runs span 3 kerasreg versions:")


def test_a_run_records_the_code_it_started_with_not_files_edited_while_it_trained(tmp_path, monkeypatch):
    import keras

    import kerasreg
    from kerasreg.engine.training import train
    from tests.engine import user_models

    edited = []
    monkeypatch.setattr(version, "source_hash", lambda *_: "edited-meanwhile" if edited else "at-start")

    class Edit(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            edited.append(True)  # from here on the files on disk are another version

    exp = kerasreg.Experiment(model=user_models.dropout_mlp, data=user_models.tabular(), logdir=str(tmp_path))
    config = exp.resolve(epochs=1, log=lambda *_: None)
    version.code_identity.cache_clear()
    try:
        _, results = train(config, exp, callbacks=[Edit()], log=lambda *_: None)
    finally:
        version.code_identity.cache_clear()
    assert edited and results["versions"]["kerasreg_code"]["source_sha256"] == "at-start"
