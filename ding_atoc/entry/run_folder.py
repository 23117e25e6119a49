"""
Overview:
    One experiment folder per run, named after what ran and claimed atomically: ``<exp_name>_seed<N>`` (the
    config's ``exp_name`` names env and policy; ``ding-atoc train --n-agent`` adds ``_n<N>``), and ``_2``, ``_3``, ...
    when that folder exists. ``os.mkdir`` is the claim: of two runs that start at the same moment exactly one
    creates a given folder, so two runs never share one.

    While a process runs in a folder it holds it (``hold``): ``<folder>/running.pid``, created exclusively, holds its
    pid, so a second process (a second ``--resume`` of the run, a second benchmark suite on a cell) is refused while
    the first lives; the lock of a process that died (a crash, kill -9) is taken over.
"""
import contextlib
import itertools
import os
import re
import time
from typing import Iterator, Optional

#: A trailing seed in a config's ``exp_name`` (DI-engine's own configs name their folder for seed 0, e.g.
#: ``ptz_simple_spread_maddpg_seed0``; this project's name env and policy only): replaced by the run's seed.
SEED_SUFFIX = re.compile(r'_seed\d+$')
#: File in a folder that a process holds (a run's, a benchmark cell's): the holder's pid.
LOCK_FILE = 'running.pid'
#: Seconds a holder may take between creating its lock and writing its pid into it; a lock still empty after that was
#: left by a process that died in between.
PID_WRITE_S = 1.0
#: Seconds after which a takeover guard (see ``_remove_dead_lock``) was left by a process that died holding it.
GUARD_TIMEOUT_S = 10.0


class FolderInUse(ValueError):
    """A folder that a live process holds; the message names the folder and the process."""


def base_name(exp_name: str) -> str:
    """
    Overview:
        ``exp_name`` relative to the working directory (an absolute ``exp_name`` splits DI-engine's outputs between
        two folders) and without a trailing ``_seed<N>``.
    """
    if os.path.isabs(exp_name):
        exp_name = os.path.relpath(exp_name)
    return SEED_SUFFIX.sub('', os.path.normpath(exp_name))


def claim_run_folder(exp_name: str, seed: int) -> str:
    """
    Overview:
        Create the folder of a new run, ``<base_name(exp_name)>_seed<seed>``, or the first of ``..._2``,
        ``..._3``, ... that does not exist yet.
    Arguments:
        - exp_name (:obj:`str`): the config's ``exp_name``.
        - seed (:obj:`int`): the run's seed.
    Returns:
        - folder (:obj:`str`): the created folder, relative to the working directory.
    """
    name = f'{base_name(exp_name)}_seed{seed}'
    parent = os.path.dirname(name)
    if parent:
        os.makedirs(parent, exist_ok=True)
    for attempt in itertools.count(1):
        folder = name if attempt == 1 else f'{name}_{attempt}'
        try:
            os.mkdir(folder)
            return folder
        except FileExistsError:
            continue


def folder_of_checkpoint(path: str) -> str:
    """
    Overview:
        The run folder a checkpoint of ``ding-atoc train`` belongs to (``<folder>/ckpt/<file>``), relative to the
        working directory; ``ValueError`` when the file is not inside a run's ``ckpt`` folder.
    """
    ckpt_dir = os.path.dirname(os.path.abspath(path))
    if os.path.basename(ckpt_dir) != 'ckpt':
        raise ValueError(
            f"{path}: --resume continues in the run's folder, so it takes a checkpoint inside <run folder>/ckpt/"
        )
    return os.path.relpath(os.path.dirname(ckpt_dir))


@contextlib.contextmanager
def hold(folder: str) -> Iterator[None]:
    """
    Overview:
        Hold ``folder`` for this process while the block runs (``claim``) and give it back at the end, also on an
        error. Raises ``FolderInUse`` when a live process holds it.
    """
    claim(folder)
    try:
        yield
    finally:
        release(folder)


def claim(folder: str) -> None:
    """
    Overview:
        Take ``folder`` for this process: create ``<folder>/running.pid`` exclusively (``O_CREAT | O_EXCL``) and
        write this process's pid into it. The lock of a process that died is taken over (by exactly one of several
        processes that find it at once). Raises ``FolderInUse``, naming the folder and the holder's pid, when a live
        process holds it.
    """
    path = os.path.join(folder, LOCK_FILE)
    while True:
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pid = _live_holder(path)
            if pid is not None:
                raise FolderInUse(
                    f"{folder}/ is in use by process {pid}, which holds {path}: wait for it to end (or remove that "
                    f"file if process {pid} is not a run)"
                )
            _remove_dead_lock(path)
            continue
        with os.fdopen(descriptor, 'w') as f:
            f.write(str(os.getpid()))
        return


def release(folder: str) -> None:
    """Give back a folder this process took with ``claim``."""
    os.remove(os.path.join(folder, LOCK_FILE))


def _live_holder(path: str) -> Optional[int]:
    """The pid in the lock at ``path`` when that process is alive; None when there is no lock or its holder died."""
    deadline = time.monotonic() + PID_WRITE_S
    while True:
        try:
            with open(path) as f:
                text = f.read().strip()
        except FileNotFoundError:
            return None
        if text or time.monotonic() > deadline:
            break
        time.sleep(0.01)  # created, pid not written yet: a live process is claiming it
    if not text.isdigit():
        return None
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        pass
    return int(text)


def _remove_dead_lock(path: str) -> None:
    """
    Overview:
        Remove the lock at ``path`` if its holder is dead, checked again under a guard file that one process at a
        time creates: without it, a process that found the lock dead could remove the lock that another process
        has just taken over, and both would hold the folder.
    """
    guard = f'{path}.takeover'
    try:
        os.close(os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:  # another process is taking over: the caller tries again
        with contextlib.suppress(FileNotFoundError):
            if time.time() - os.stat(guard).st_mtime > GUARD_TIMEOUT_S:
                os.remove(guard)
        time.sleep(0.01)
        return
    try:
        if _live_holder(path) is None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
    finally:
        os.remove(guard)
