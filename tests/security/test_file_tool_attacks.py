"""The file tools as an attacker drives them: races, FIFOs, odd bounds and every shape of path."""

import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runwire.agent import Agent
from runwire.exceptions import ToolArgumentsError
from runwire.testing import ScriptedModel, ToolCall
from runwire_tools import file_tools
from runwire_tools.confined import NotARegularFileError, PathOutsideRootError

SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT"


@pytest.fixture
def outside(tmp_path):
    secret_dir = tmp_path / "outside"
    secret_dir.mkdir()
    (secret_dir / "secret.txt").write_text(SECRET)
    (secret_dir / "f.txt").write_text(SECRET)
    return secret_dir


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    return root


# -- the symlink race: check-then-open became open-then-verify ------------------------


def _swap_forever(stop, link_path, make_inside, make_outside):
    """Flip ``link_path`` between an entry inside the root and a symlink out (os.replace where it can)."""
    staging = link_path.parent / f".{link_path.name}.staging"
    while not stop.is_set():
        for make in (make_inside, make_outside):
            make(staging)
            try:
                os.replace(staging, link_path)
            except OSError:  # a directory cannot replace a symlink or a non-empty directory: clear it first
                _remove(link_path)
                os.replace(staging, link_path)
            time.sleep(0)  # let the reader in while this state stands


def _remove(path):
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()


def _file_inside(path):
    _remove(path)
    path.write_text("inside")


def _dir_inside(path):
    _remove(path)
    path.mkdir()
    (path / "f.txt").write_text("inside")


def _race(read, path, link_path, make_inside, make_outside, iterations):
    make_inside(link_path)
    stop = threading.Event()
    swapper = threading.Thread(target=_swap_forever, args=(stop, link_path, make_inside, make_outside), daemon=True)
    swapper.start()
    outcomes = {"inside": 0, "refused": 0}
    leaked = []
    try:
        for attempt in range(20 * iterations):  # bounded; past ``iterations`` only until both outcomes were seen
            if attempt >= iterations and outcomes["inside"] and outcomes["refused"]:
                break
            try:
                text = read(path)
            except OSError:  # refused, missing mid-swap, or "changed while it was opened"
                outcomes["refused"] += 1
                continue
            if SECRET in text:
                leaked.append(text)
            else:
                outcomes["inside"] += 1
    finally:
        stop.set()
        swapper.join()
    return outcomes, leaked


# the default run races a few thousand reads (the old check-then-open leaked ~1.5% of them); -m slow races 70,000
LONG_RACE = pytest.param(70_000, marks=pytest.mark.slow, id="long")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("iterations", [3000, LONG_RACE])
def test_a_symlink_swapped_in_during_read_file_never_leads_outside(root, outside, iterations):
    read_file, _, _ = file_tools(root)

    def link_out(path):
        _remove(path)
        os.symlink(outside / "secret.txt", path)

    outcomes, leaked = _race(read_file, "target.txt", root / "target.txt", _file_inside, link_out, iterations)
    assert leaked == []
    assert outcomes["inside"] > 0 and outcomes["refused"] > 0, outcomes  # the race really ran both ways


@pytest.mark.timeout(600)
@pytest.mark.parametrize("iterations", [5000, LONG_RACE])
def test_a_directory_swapped_for_a_symlink_mid_walk_never_leads_outside(root, outside, iterations):
    read_file, _, _ = file_tools(root)

    def link_out(path):
        _remove(path)
        os.symlink(outside, path, target_is_directory=True)

    outcomes, leaked = _race(read_file, "dir/f.txt", root / "dir", _dir_inside, link_out, iterations)
    assert leaked == []
    assert outcomes["inside"] > 0 and outcomes["refused"] > 0, outcomes


@pytest.mark.timeout(120)
def test_search_files_during_the_race_never_reports_an_outside_file(root, outside):
    _, _, search_files = file_tools(root)
    (outside / "secret.txt").write_text("needle")  # only outside: reporting dir/secret.txt would be the leak

    def dir_inside(path):
        _remove(path)
        path.mkdir()
        (path / "f.txt").write_text("needle")

    def link_out(path):
        _remove(path)
        os.symlink(outside, path, target_is_directory=True)

    def search(path):
        found = list(search_files.fn("needle", path))[-1]
        return SECRET if "secret.txt" in found else found

    outcomes, leaked = _race(search, ".", root / "dir", dir_inside, link_out, iterations=500)
    assert leaked == []
    assert outcomes["inside"] > 0


# -- FIFOs and other non-regular files ------------------------------------------------


@pytest.mark.timeout(60)  # before the fix, search_files blocked forever on the FIFO
def test_search_files_skips_a_fifo_and_read_file_refuses_it(root):
    (root / "a.txt").write_text("needle here")
    os.mkfifo(root / "pipe")
    (root / "sub").mkdir()
    os.mkfifo(root / "sub" / "pipe2")
    read_file, list_files, search_files = file_tools(root)
    items = list(search_files.fn("needle"))
    assert items[-1] == "a.txt"
    assert items[-2].files_scanned == 1  # the FIFOs are not files to scan
    with pytest.raises(NotARegularFileError, match="not a regular file"):
        read_file("pipe")
    assert list_files() == ["a.txt", "pipe", "sub/"]


@pytest.mark.timeout(60)
def test_a_symlink_to_a_fifo_is_neither_read_nor_searched(root, tmp_path):
    os.mkfifo(tmp_path / "outside-pipe")
    os.mkfifo(root / "inside-pipe")
    os.symlink(tmp_path / "outside-pipe", root / "out")
    os.symlink("inside-pipe", root / "in")
    read_file, _, search_files = file_tools(root)
    with pytest.raises(PathOutsideRootError):
        read_file("out")
    with pytest.raises(NotARegularFileError):
        read_file("in")
    assert list(search_files.fn("x"))[-1] == "no file under '.' contains 'x'"


@pytest.mark.timeout(60)
def test_through_an_agent_the_model_sees_the_fifo_refused_and_the_run_ends(root):
    os.mkfifo(root / "pipe")
    (root / "a.txt").write_text("needle")
    model = ScriptedModel([[ToolCall("read_file", {"path": "pipe"}), ToolCall("search_files", {"text": "needle"})],
                           "done"])
    out = Agent(model=model, tools=file_tools(root)).run("go")
    by_name = {t.tool_name: t for t in out.tools}
    assert by_name["read_file"].tool_call_error and "not a regular file" in by_name["read_file"].error
    assert by_name["search_files"].result == "a.txt"


# -- numeric bounds ------------------------------------------------------------------


@pytest.mark.parametrize("max_bytes", [-2, -1, 0, 1 << 40])
def test_read_file_refuses_out_of_range_max_bytes(root, max_bytes):
    (root / "big.txt").write_bytes(b"x" * (5 << 20))
    read_file, _, _ = file_tools(root)
    with pytest.raises(ToolArgumentsError, match="max_bytes must be between 1 and"):
        read_file("big.txt", max_bytes=max_bytes)


def test_the_model_gets_the_bounds_error_not_the_whole_file(root):
    (root / "big.txt").write_bytes(b"x" * (5 << 20))
    model = ScriptedModel([[ToolCall("read_file", {"path": "big.txt", "max_bytes": -2})], "ok"])
    out = Agent(model=model, tools=file_tools(root)).run("go")
    tool = out.tools[0]
    assert tool.tool_call_error and tool.error.startswith("max_bytes must be between 1 and")
    assert len(tool.result) < 200


def test_file_tools_refuse_nonsense_settings(root):
    with pytest.raises(ValueError, match="progress_every"):
        file_tools(root, progress_every=0)
    with pytest.raises(ValueError, match="max_read_bytes"):
        file_tools(root, max_read_bytes=-1)


# -- property: whatever path the model sends -----------------------------------------

COMPONENTS = ["a.txt", "docs", "deep", "b.txt", "link_in", "link_in_rel", "link_dir_in", "link_out_abs",
              "link_out_rel", "link_dir_out", "loop", "up_and_in", "pipe", "missing", ".", "..", "", "~", "/", "\\",
              "secret.txt", "outside", "root", "\x00", "..."]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("paths")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "a.txt").write_text(SECRET)
    root = base / "root"
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text("content of a")
    (root / "docs" / "b.txt").write_text("content of b")
    (root / "docs" / "deep" / "a.txt").write_text("content of deep a")
    os.symlink(root / "a.txt", root / "link_in")
    os.symlink("docs/b.txt", root / "link_in_rel")
    os.symlink("docs", root / "link_dir_in")
    os.symlink(outside / "secret.txt", root / "link_out_abs")
    os.symlink("../outside/secret.txt", root / "link_out_rel")
    os.symlink(outside, root / "link_dir_out")
    os.symlink("loop", root / "loop")
    os.symlink("../root/a.txt", root / "up_and_in")  # leaves and comes back: refused, conservatively
    os.mkfifo(root / "pipe")
    return root


def _oracle(root, path):
    """What a correct confinement must do on this static tree: the text to return, or None (refuse)."""
    if not path.strip():
        return None  # the root is a directory
    if os.path.isabs(path) or path.startswith(("~", "\\")) or ".." in Path(path).parts or "\x00" in path:
        return None
    real = os.path.realpath(os.path.join(root, path))
    if not real.startswith(str(root.resolve()) + os.sep):
        return None
    if os.path.isfile(real) and not os.path.islink(real):
        return Path(real).read_text()
    return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(COMPONENTS), min_size=0, max_size=5).map("/".join))
def test_read_file_returns_only_files_inside_the_root(tree, path):
    read_file, list_files, _ = file_tools(tree)
    expected = _oracle(tree, path)
    try:
        text = read_file(path)
    except OSError:  # PathOutsideRootError, FileNotFoundError, NotADirectoryError, NotARegularFileError, ELOOP, ...
        text = None
    assert SECRET not in (text or "")
    if text is not None:  # whatever is returned is the file the path names, inside the root
        assert text == expected, path
    elif expected is not None and "up_and_in" not in path:
        pytest.fail(f"{path!r} names {expected!r} inside the root but was refused")
    try:
        listing = list_files(path)
    except OSError:
        return
    assert "secret.txt" not in listing  # only the directory outside holds one


def test_a_symlink_that_leaves_and_comes_back_is_refused(tree):
    read_file, _, _ = file_tools(tree)
    assert read_file("link_in_rel") == "content of b" and read_file("link_dir_in/deep/a.txt") == "content of deep a"
    with pytest.raises(PathOutsideRootError):
        read_file("up_and_in")
