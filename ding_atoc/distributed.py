"""
Overview:
    Data-parallel training of ``ding_atoc`` on DI-engine's own distributed helpers (``ding.utils``: ``get_rank``,
    ``get_world_size``, ``allgather``, ``allreduce`` through ``Policy.sync_gradients``): a process-group context that
    works on CPUs (gloo) as well as GPUs (NCCL) and fails instead of hanging when a rank dies, the gradient sync of one
    optimiser's module, and the all-gather of rows of different length per rank (the dQ pairs of the attention unit).

    Launch: ``torchrun --nproc_per_node N script.py`` (or ``python -m torch.distributed.launch``), the script running
    its pipeline inside ``with DDPContext():`` with ``policy.multi_gpu=True``, as DI-engine documents for its own DDP.
"""
import datetime
import os
from typing import Any, Optional

import torch
import torch.distributed as dist
from ding.utils import DDPContext as DingDDPContext, get_world_size
from ding.utils.pytorch_ddp_dist_helper import allgather

#: Seconds a collective waits for the other ranks before it raises (``DDPContext(timeout_s=...)`` or the environment
#: variable ``DING_ATOC_DDP_TIMEOUT_S``): the longest a rank may be busy alone, e.g. rank 0 evaluating or saving.
DEFAULT_TIMEOUT_S = 600.0


class DDPContext(DingDDPContext):
    """
    Overview:
        DI-engine's ``DDPContext`` for any device: it joins the process group that a ``torch.distributed`` launcher
        describes in the environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``), with NCCL where
        GPUs are present and gloo on CPUs, each rank on GPU ``rank % device_count`` (the device DI-engine's
        ``Policy`` picks), and leaves it at the end. DI-engine's own context hard-codes NCCL, sets the GPU by
        ``rank % torch.cuda.device_count()`` (a ZeroDivisionError on a CPU machine) and waits 30 minutes on a dead
        rank; this one raises after ``timeout_s`` instead.
    Interfaces:
        ``__init__``, ``__enter__``, ``__exit__``
    """

    def __init__(self, backend: Optional[str] = None, timeout_s: Optional[float] = None) -> None:
        """
        Arguments:
            - backend (:obj:`Optional[str]`): ``'nccl'``, ``'gloo'``, or None: NCCL where GPUs are present, else gloo.
            - timeout_s (:obj:`Optional[float]`): seconds a collective waits for the other ranks before it raises \
                (None: ``DING_ATOC_DDP_TIMEOUT_S`` or ``DEFAULT_TIMEOUT_S``).
        """
        super().__init__()
        if backend is None:
            backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        if backend not in ('nccl', 'gloo'):
            raise ValueError(f"backend must be 'nccl' or 'gloo', got {backend!r}")
        if backend == 'nccl' and not torch.cuda.is_available():
            raise ValueError("backend 'nccl' needs GPUs and none is available: use 'gloo'")
        if timeout_s is None:
            timeout_s = float(os.environ.get('DING_ATOC_DDP_TIMEOUT_S', DEFAULT_TIMEOUT_S))
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
        self.backend, self.timeout_s = backend, timeout_s

    def __enter__(self) -> 'DDPContext':
        missing = [name for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if name not in os.environ]
        if missing:
            raise RuntimeError(
                f"DDPContext needs the environment of a torch.distributed launcher ({', '.join(missing)} unset): "
                "start with `torchrun --nproc_per_node N ...`"
            )
        if self.backend == 'nccl':
            torch.cuda.set_device(int(os.environ['RANK']) % torch.cuda.device_count())
        dist.init_process_group(self.backend, timeout=datetime.timedelta(seconds=self.timeout_s))
        return self

    def __exit__(self, error_type: Optional[type], error: Optional[BaseException], traceback: Any) -> None:
        rank = dist.get_rank() if dist.is_initialized() else None
        if dist.is_initialized():
            dist.destroy_process_group()
        if error is not None and _is_peer_failure(error):
            raise RuntimeError(
                f"rank {rank}: a collective with the other ranks failed, so another rank has stopped (see its output) "
                f"or did not answer within {self.timeout_s:.0f} s: {str(error).strip().splitlines()[0]}"
            ) from error


def _is_peer_failure(error: BaseException) -> bool:
    """Whether ``error`` says that a collective lost a rank (a closed connection, a timeout) rather than a bug."""
    if isinstance(error, dist.DistError):
        return True
    return isinstance(error, RuntimeError) and any(
        sign in str(error) for sign in ('gloo', 'NCCL', 'Connection closed', 'Timed out', 'timed out')
    )


def is_distributed() -> bool:
    """Whether this process belongs to an initialised process group (``DDPContext``)."""
    return dist.is_available() and dist.is_initialized()


def sync_gradients(policy: Any, module: torch.nn.Module) -> None:
    """
    Overview:
        Average the gradients of ``module``'s parameters over all ranks (DI-engine's ``Policy.sync_gradients``).
        A parameter that got no gradient on this rank (e.g. the channel when no replayed agent communicated) takes
        part with a zero gradient, so that every rank calls the same collectives in the same order even when the
        ranks' batches reach different parts of the model.
    Arguments:
        - policy (:obj:`Any`): a DI-engine ``Policy`` built with ``multi_gpu=True`` and ``bp_update_sync=True``.
        - module (:obj:`torch.nn.Module`): the module one optimiser updates, after ``backward`` and before ``step``.
    """
    for param in module.parameters():
        if param.requires_grad and param.grad is None:
            param.grad = torch.zeros_like(param)
    policy.sync_gradients(module)


def all_gather_rows(rows: torch.Tensor) -> torch.Tensor:
    """
    Overview:
        The rows of every rank, concatenated in rank order (the same tensor on every rank); the ranks may hold
        different numbers of rows. Two collectives: the row counts, then the rows padded to the largest count.
    Arguments:
        - rows (:obj:`torch.Tensor`): this rank's rows, :math:`(N_r, ...)`.
    Returns:
        - gathered (:obj:`torch.Tensor`): :math:`(\\sum_r N_r, ...)`.
    """
    world = get_world_size()
    count = torch.tensor([len(rows)], device=rows.device)
    counts = [torch.zeros_like(count) for _ in range(world)]
    allgather(counts, count)
    counts = [int(c) for c in counts]
    padded = rows.new_zeros((max(counts), *rows.shape[1:]))
    padded[:len(rows)] = rows
    gathered = [torch.empty_like(padded) for _ in range(world)]
    allgather(gathered, padded)
    return torch.cat([part[:n] for part, n in zip(gathered, counts)])

