"""
Overview:
    Checkpoints that a crash cannot corrupt: written to a temporary file and moved into place atomically, with
    the run's counters so that a run resumes where it stopped.
"""
import contextlib
import os
from typing import Any, Dict, Iterator

import torch

#: File name of the most recent checkpoint inside ``<exp_name>/ckpt``.
LATEST = 'ckpt_latest.pth.tar'


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """
    Overview:
        Yield a temporary path beside ``path`` to write to; when the block ends without error, move it onto
        ``path`` in one step, so that a reader sees the previous file or the new one, never a partial one.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f'{path}.tmp{os.getpid()}'
    yield temporary
    os.replace(temporary, path)


def save_checkpoint(path: str, state: Dict[str, Any]) -> None:
    """
    Overview:
        Save ``state`` to ``path`` atomically (see ``atomic_path``).
    """
    with atomic_path(path) as temporary:
        torch.save(state, temporary)


def load_checkpoint(path: str) -> Dict[str, Any]:
    """
    Overview:
        Load a checkpoint written by ``save_checkpoint`` (or a DI-engine ``iteration_*.pth.tar``, which holds the
        policy state alone) onto the CPU.
    Returns:
        - state (:obj:`Dict[str, Any]`): ``policy`` (learn-mode state dict) and, when present, ``env_step``, \
            ``train_iter``.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path!r}")
    state = torch.load(path, map_location='cpu', weights_only=False)
    return state if 'policy' in state else {'policy': state}
