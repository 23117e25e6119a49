"""
Overview:
    One experiment folder per run, named after what ran and claimed atomically: ``<exp_name>_seed<N>`` (the
    config's ``exp_name`` names env and policy; ``ding-atoc train --n-agent`` adds ``_n<N>``), and ``_2``, ``_3``, ...
    when that folder exists. ``os.mkdir`` is the claim: of two runs that start at the same moment exactly one
    creates a given folder, so two runs never share one.

    While a process runs in a folder it holds it (``hold``): it keeps an exclusive ``flock`` on
    ``<folder>/running.pid``, which names its pid, so a second process (a second ``--resume`` of the run, a second
    benchmark suite on a cell) is refused while the first lives. The kernel drops the lock of a process that dies (a
    crash, kill -9), so its folder is free again at once. POSIX only (``fcntl``), like DI-engine's subprocess env
    managers.
"""
import contextlib
import fcntl
import itertools
import os
import re
import time
from typing import Dict, Iterator

#: A trailing seed in a config's ``exp_name`` (DI-engine's own configs name their folder for seed 0, e.g.
#: ``ptz_simple_spread_maddpg_seed0``; this project's name env and policy only): replaced by the run's seed.
SEED_SUFFIX = re.compile(r'_seed\d+$')
#: File in a folder that a process holds (a run's, a benchmark cell's): the holder's pid.
LOCK_FILE = 'running.pid'
#: Seconds a message about a held folder waits for the holder to write its pid (it does just after locking).
PID_WRITE_S = 1.0


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
        Take ``folder`` for this process: open ``<folder>/running.pid``, lock it (``flock``, exclusive) and write
        this process's pid into it. The kernel drops the lock when its holder dies (a crash, kill -9), so a dead
        holder's folder is taken over with no guess about whether its pid is still alive, and of several processes
        that try at once exactly one gets it. Raises ``FolderInUse``, naming the folder and the holder's pid, while
        a live process holds it.
    """
    path = os.path.join(folder, LOCK_FILE)
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise FolderInUse(
                f"{folder}/ is in use by process {_holder_pid(path)}, which holds {path}: wait for it to end"
            ) from None
        if _is_current_file(descriptor, path):
            break
        # the holder released (removed) this file between our open and our lock: lock the file now at ``path``
        os.close(descriptor)
    os.ftruncate(descriptor, 0)
    os.write(descriptor, str(os.getpid()).encode())
    _held[os.path.realpath(folder)] = descriptor


def release(folder: str) -> None:
    """Give back a folder this process took with ``claim``: remove its lock file, then drop the lock."""
    descriptor = _held.pop(os.path.realpath(folder))
    # removed before unlocking, so that a process waiting on this file finds it gone (``_is_current_file``)
    os.remove(os.path.join(folder, LOCK_FILE))
    os.close(descriptor)


#: Lock files this process holds, by folder: their descriptors keep the locks.
_held: Dict[str, int] = {}


def _is_current_file(descriptor: int, path: str) -> bool:
    """Whether ``descriptor`` is the file at ``path`` now (not one that was removed, or replaced, since it opened)."""
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except FileNotFoundError:
        return False


def _holder_pid(path: str) -> str:
    """The pid in a held lock file; the holder writes it just after locking, so an empty file is waited on a while."""
    deadline = time.monotonic() + PID_WRITE_S
    while True:
        with contextlib.suppress(FileNotFoundError):
            with open(path) as f:
                text = f.read().strip()
            if text:
                return text
        if time.monotonic() > deadline:
            return '(pid not written yet)'
        time.sleep(0.01)
