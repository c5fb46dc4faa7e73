"""``multitrust data fetch`` / ``data bundle`` / ``data check`` with the real ``huggingface_hub`` client
against the loopback fake hub (``HF_ENDPOINT``), never the network."""

from __future__ import annotations

import hashlib
import io
import json
import random
import tarfile
from pathlib import Path

import pytest
from tests.data.fake_release import TASKS, UNREAD, cli, make_release, tree_bytes

from multitrust.data.manifest import LOCAL_MANIFEST, matches
from multitrust.tasks.needs import release_patterns
from multitrust.tasks.registry import IMPLEMENTED
from multitrust.testing.fake_hub import FakeHub

pytest.importorskip("huggingface_hub")

TOKEN = "hf_fake_token_for_tests_only"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], Path]:
    return make_release(tmp_path_factory.mktemp("release"))


def hub_env(hub: FakeHub, tmp: Path, manifest: Path, **extra: str) -> dict[str, str]:
    return {
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(tmp / "hf-home"),
        "MULTITRUST_RELEASE_MANIFEST": str(manifest),
        **extra,
    }


def expected(files: dict[str, bytes], tasks: list[str]) -> dict[str, bytes]:
    patterns = release_patterns(tasks)
    return {k: v for k, v in files.items() if matches(k, patterns)}


def test_full_fetch_writes_every_file_the_tasks_read_and_a_local_manifest(release, tmp_path: Path) -> None:
    files, manifest = release
    out = tmp_path / "mt"
    with FakeHub(files, require_token=TOKEN) as hub:
        r = cli("data", "fetch", "--out", str(out), "-q", env=hub_env(hub, tmp_path, manifest, HF_TOKEN=TOKEN))
        assert r.returncode == 0, r.stdout + r.stderr
        gets = hub.file_gets()
        assert all(req.authorized for req in hub.requests)
    want = expected(files, list(IMPLEMENTED))
    got = tree_bytes(out)
    local = json.loads(got.pop(LOCAL_MANIFEST))
    assert got == want  # byte-identical, nothing more
    assert not set(UNREAD) & set(got)  # the card, the figure and the helper script are read by no task
    assert sorted(gets) == sorted(want)  # each file requested once
    assert local["revision"] == hub.commit
    assert {f["path"]: (f["bytes"], f["sha256"]) for f in local["files"]} == {
        k: (len(v), hashlib.sha256(v).hexdigest()) for k, v in want.items()
    }
    assert TOKEN not in r.stdout + r.stderr


def test_per_task_fetch_requests_only_that_tasks_files(release, tmp_path: Path) -> None:
    files, manifest = release
    out = tmp_path / "mt"
    with FakeHub(files) as hub:
        r = cli("data", "fetch", "--out", str(out), "--tasks", "T.5", "-q", env=hub_env(hub, tmp_path, manifest))
        assert r.returncode == 0, r.stdout + r.stderr
        gets = hub.file_gets()
        touched = {q.file for q in hub.requests if q.file is not None}  # HEAD and GET
    want = [p for p in files if p.startswith("truthfulness/misleading_images/mistext/")]
    want.append("truthfulness/query_misleading/query_g_mistext.json")
    assert sorted(gets) == sorted(want)
    assert touched == set(want)
    assert len(want) > 3
    assert sorted(p for p in tree_bytes(out) if p != LOCAL_MANIFEST) == sorted(want)


def test_cut_transfer_is_resumed_with_a_range_request(release, tmp_path: Path) -> None:
    files, manifest = release
    # the release has 57 images over 10 MB; the client writes in 10 MB chunks, so a cut after 12 MB of a
    # 24 MB image leaves a prefix to resume from
    victim = "privacy/celeb/imgs/Large_Portrait.jpeg"
    big = random.Random(0).randbytes(24 << 20)
    out = tmp_path / "mt"
    with FakeHub({**files, victim: big}, cut_once={victim: 0.5}) as hub:
        r = cli("data", "fetch", "--out", str(out), "--tasks", "P.4", "-q", env=hub_env(hub, tmp_path, manifest))
        assert r.returncode == 0, r.stdout + r.stderr
        attempts = [q for q in hub.requests if q.method == "GET" and q.file == victim]
    assert len(attempts) == 2 and attempts[0].range is None
    resumed_at = int(attempts[1].range.removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= len(big) // 2  # only the bytes not yet received were asked for again
    assert (out / victim).read_bytes() == big


def test_rerun_after_a_partial_fetch_requests_only_what_is_missing(release, tmp_path: Path) -> None:
    files, manifest = release
    out = tmp_path / "mt"
    with FakeHub(files) as hub:
        env = hub_env(hub, tmp_path, manifest)
        assert cli("data", "fetch", "--out", str(out), "--tasks", "T.5", "-q", env=env).returncode == 0
        first = set(hub.file_gets())
        r = cli("data", "fetch", "--out", str(out), "--tasks", "T.5,P.4", "-q", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        second = hub.file_gets()[len(first) :]
    assert not first & set(second)
    assert sorted(second) == sorted(set(expected(files, ["P.4"])) - first)
    local = json.loads((out / LOCAL_MANIFEST).read_text())
    assert {f["path"] for f in local["files"]} == set(expected(files, ["T.5", "P.4"]))


@pytest.mark.parametrize("status", [401, 403])
def test_refused_access_is_one_line_naming_the_terms_and_hf_token(release, tmp_path: Path, status: int) -> None:
    files, manifest = release
    with FakeHub(files, refuse=status) as hub:
        r = cli("data", "fetch", "--out", str(tmp_path / "mt"), "-q", env=hub_env(hub, tmp_path, manifest))
    assert r.returncode != 0
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert f"HTTP {status}" in err
    assert "accept the dataset's terms at https://huggingface.co/datasets/thu-ml/MultiTrust" in err
    assert "HF_TOKEN" in err
    assert "Traceback" not in r.stdout + r.stderr


def test_offline_is_one_line_naming_bundle_and_data(release, tmp_path: Path) -> None:
    files, manifest = release
    with FakeHub(files) as hub:
        r = cli(
            "data", "fetch", "--out", str(tmp_path / "mt"), "-q",
            env=hub_env(hub, tmp_path, manifest, HF_HUB_OFFLINE="1"),
        )  # fmt: skip
        assert hub.requests == []
    err = r.stderr.strip()
    assert r.returncode != 0
    assert len(err.splitlines()) == 1, err
    assert "--from BUNDLE" in err and "--data DIR" in err


def test_unreachable_hub_is_the_offline_message(release, tmp_path: Path) -> None:
    files, manifest = release
    hub = FakeHub(files).start()
    env = hub_env(hub, tmp_path, manifest)
    hub.stop()  # nothing listens on that port any more
    r = cli("data", "fetch", "--out", str(tmp_path / "mt"), "-q", env=env)
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "cannot reach the Hugging Face Hub" in r.stderr and "--from BUNDLE" in r.stderr


def test_bundle_round_trip_is_byte_identical(release, tmp_path: Path) -> None:
    files, manifest = release
    out, back, tar = tmp_path / "mt", tmp_path / "scratch", tmp_path / "mt.tar"
    with FakeHub(files) as hub:
        assert cli("data", "fetch", "--out", str(out), "-q", env=hub_env(hub, tmp_path, manifest)).returncode == 0
    r = cli("data", "bundle", str(out), "--tasks", "all", "--out", str(tar))
    assert r.returncode == 0, r.stdout + r.stderr
    r = cli("data", "fetch", "--from", str(tar), "--out", str(back))
    assert r.returncode == 0, r.stdout + r.stderr
    assert tree_bytes(back) == tree_bytes(out)  # every file, the local manifest included
    # a bundle of some tasks carries just their files
    part = tmp_path / "t5.tar"
    assert cli("data", "bundle", str(out), "--tasks", "T.5", "--out", str(part)).returncode == 0
    with tarfile.open(part) as t:
        names = t.getnames()
    assert names[0] == LOCAL_MANIFEST
    assert sorted(names[1:]) == sorted(expected(files, ["T.5"]))


def test_damaged_or_hostile_bundles_are_refused(release, tmp_path: Path) -> None:
    files, _ = release
    src = tmp_path / "src"
    for rel in expected(files, ["T.5"]):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(files[rel])
    tar = tmp_path / "b.tar"
    assert cli("data", "bundle", str(src), "--tasks", "T.5", "--out", str(tar)).returncode == 0
    # flip one byte of the last member's data
    raw = bytearray(tar.read_bytes())
    with tarfile.open(tar) as t:
        last = t.getmembers()[-1]
    raw[last.offset_data] ^= 0xFF
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(raw))
    r = cli("data", "fetch", "--from", str(bad), "--out", str(tmp_path / "x"))
    assert r.returncode != 0 and "does not match its manifest" in r.stderr
    assert not (tmp_path / "x" / last.name).exists()
    # a member escaping the tree
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as t:
        doc = json.dumps({"dataset": "d", "revision": "r", "files": []}).encode()
        info = tarfile.TarInfo(LOCAL_MANIFEST)
        info.size = len(doc)
        t.addfile(info, io.BytesIO(doc))
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        t.addfile(info, io.BytesIO(b"hi"))
    r = cli("data", "fetch", "--from", str(evil), "--out", str(tmp_path / "y"))
    assert r.returncode != 0 and "unsafe path" in r.stderr
    assert not (tmp_path / "escaped.txt").exists()


def test_check_names_a_removed_a_truncated_query_file_and_a_deleted_image(release, tmp_path: Path) -> None:
    files, manifest = release
    out = tmp_path / "mt"
    with FakeHub(files) as hub:
        env = hub_env(hub, tmp_path, manifest)
        assert cli("data", "fetch", "--out", str(out), "-q", env=env).returncode == 0
    selector = ",".join(TASKS)
    clean = cli("data", "check", str(out), "--tasks", selector, env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert f"official release check: {len(TASKS)} of {len(TASKS)} task(s) ok" in clean.stdout

    removed = "privacy/celeb/celebrities.csv"
    truncated = "fairness/profess_prediction.csv"
    image = next(p for p in sorted(files) if p.startswith("truthfulness/misleading_images/mistext/"))
    (out / removed).unlink()
    body = (out / truncated).read_bytes()
    (out / truncated).write_bytes(body[: body.rindex(b"\n", 0, len(body) - 1) + 1])  # drop the last row
    (out / image).unlink()
    r = cli("data", "check", str(out), "--tasks", selector, env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith(f"  P.4: {removed}: missing") for line in lines), r.stdout
    assert any(line.startswith(f"  F.6: {truncated}: modified") for line in lines), r.stdout
    rows = json.loads(manifest.read_text())
    want_rows = next(q["rows"] for q in rows["query_files"] if q["path"] == truncated)
    assert f"  F.6: {truncated}: row count {want_rows - 1}, release has {want_rows}" in lines
    assert any(line.startswith("  T.5: ") and image in line for line in lines), r.stdout
    summary = next(line for line in lines if line.startswith("official release check:"))
    assert "1 of 4 task(s) ok; 3 with problems" in summary  # T.4 untouched
    assert "1 modified" in summary and "1 row-count mismatch" in summary


def test_builtin_trees_are_not_held_to_the_release_manifest(tmp_path: Path) -> None:
    r = cli("data", "build", "--out", str(tmp_path / "b"), "--tasks", "T.5")
    assert r.returncode == 0, r.stderr
    r = cli("data", "check", str(tmp_path / "b"), "--tasks", "T.5")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "official release check" not in r.stdout
    forced = cli("data", "check", str(tmp_path / "b"), "--tasks", "T.5", "--release", "always")
    assert forced.returncode == 1 and "query_g_mistext.json: modified" in forced.stdout
