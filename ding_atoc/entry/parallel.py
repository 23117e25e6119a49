"""
Overview:
    ``ding-atoc train --parallel C``: ATOC in DI-engine's parallel mode (``ding.framework.Parallel``, the task
    pipeline's router), one learner process and ``C`` collector processes on one machine, each collector connected
    to the learner alone (``topology='star'``).

    - Each collector acts with its own copy of the policy's collect mode and DI-engine's ``StepCollector``. Its
      collect mode records the attention unit's (observation, dQ) pairs into a ``GainOutbox``; after each
      collection its ``ContextExchanger`` sends the transitions (``ctx.trajectories``), its env steps and the pairs
      recorded since its last send (``ctx.gain_pairs``) to the learner.
    - The learner runs ``train`` (so it claims and writes the run folder, evaluates, logs, writes ``eval_log.csv``,
      the checkpoints and the summary, as a one-process run does) with, in place of collecting, the received data:
      transitions into its replay buffer (``data_pusher``), dQ pairs into its policy's dQ queue, then DI-engine's
      ``OffPolicyLearner``; after each iteration its ``ModelExchanger`` sends the model weights to the collectors,
      which load them before their next collection.

    The collectors use DI-engine's per-env ``StepCollector``, not the batched collector of ``ding_atoc.batched``:
    DI-engine's ``ContextExchanger`` and the learner's ``data_pusher`` and ``OffPolicyLearner`` take its
    transitions as they are, while the batched collector writes into a tensor replay buffer of its own process.
"""
import contextlib
import dataclasses
import json
import math
import os
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ding.config import compile_config
from ding.framework import Parallel, task
from ding.framework.context import OnlineRLContext
from ding.framework.middleware import ContextExchanger, ModelExchanger, OffPolicyLearner, StepCollector, data_pusher
from ding.policy import create_policy
from ding.utils import set_pkg_seed

from ..distributed import is_distributed
from ..policy.gain_queue import GainOutbox
from .allocator import keep_freed_memory
from .checkpoint import load_checkpoint
from .train import DATA_PARALLEL_POLICIES, build_env_managers, train
from .validation import check_budgets, check_config

#: Policies whose collect mode records dQ pairs for the learner's queue (``GainOutbox``).
PARALLEL_POLICIES = DATA_PARALLEL_POLICIES
#: Node id of the learner; the collectors are nodes 1 to C.
LEARNER_NODE = 0
#: Router events of the start-up handshake (``wait_for_learner``, ``answer_collectors``).
COLLECTOR_READY, LEARNER_READY = 'ding_atoc.collector_ready', 'ding_atoc.learner_ready'
#: Seconds a collector waits for the learner to answer at start-up (the learner builds its run folder, envs and
#: policy first) before it gives up.
READY_TIMEOUT_S = 600.0


class ParallelRunError(RuntimeError):
    """A process of a parallel run failed or died; the run was stopped. The message names the cause."""


@dataclasses.dataclass
class GainContext(OnlineRLContext):
    """DI-engine's ``OnlineRLContext`` with the dQ pairs a collector sends: ``ContextExchanger`` sends fields only."""
    #: (collector node id, observations (N, D), dQ (N,)) of each send
    gain_pairs: List[Tuple[int, Any, Any]] = None


class GainContextExchanger(ContextExchanger):
    """
    Overview:
        DI-engine's ``ContextExchanger`` that also carries ``ctx.gain_pairs`` from the collectors to the learner,
        which gathers the pairs of every collector that sent since its last iteration; and that takes the received
        state under a lock. DI-engine's router hands each message to ``put`` in a pool of two threads while ``merge``
        reads and resets the state in the main thread: two collectors' sends that meet could lose one of them, and
        a key added during ``merge`` would stop the learner (a dict changed during iteration).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()

    def put(self, payload: Dict[str, Any]) -> None:
        with self._lock:
            super().put(payload)

    def merge(self, ctx: OnlineRLContext) -> None:
        if task.has_role(task.role.LEARNER):
            # The learner waits for data as DI-engine's does, but outside the lock, so that ``put`` can add it;
            # only ``merge`` empties the state, so DI-engine's own wait then returns at once.
            while not self._state:
                time.sleep(0.01)
        with self._lock:
            super().merge(ctx)

    def _fetch_gain_pairs(self, pairs: Optional[List[Tuple[int, Any, Any]]]) -> Optional[list]:
        if task.has_role(task.role.COLLECTOR):
            return pairs

    def _put_gain_pairs(self, pairs: List[Tuple[int, Any, Any]]) -> None:
        if task.has_role(task.role.LEARNER):
            self._state.setdefault('gain_pairs', []).extend(pairs)


def answer_collectors() -> None:
    """
    Overview:
        Learner, once its exchangers listen: answer each collector's ``COLLECTOR_READY`` (see ``wait_for_learner``).
    """
    task.router.on(COLLECTOR_READY, lambda node: task.router.emit(LEARNER_READY, node))


def wait_for_learner(timeout_s: float = READY_TIMEOUT_S) -> None:
    """
    Overview:
        Collector, before its first collection: send ``COLLECTOR_READY`` until the learner answers. DI-engine's
        router drops an event that no handler listens to yet, and the learner listens only once it has built its
        pipeline: a collection sent earlier would be lost, and the collector would then wait for weights the
        learner, waiting for data, never sends.
    """
    node, answered = task.router.node_id, threading.Event()
    task.router.on(LEARNER_READY, lambda to: answered.set() if to == node else None)
    deadline = time.monotonic() + timeout_s
    while not answered.wait(0.2):
        if time.monotonic() > deadline:
            raise TimeoutError(f"collector {node}: the learner (node {LEARNER_NODE}) did not answer within "
                               f"{timeout_s:.0f} s")
        task.router.emit(COLLECTOR_READY, node)
    task.router.off(LEARNER_READY)


def gain_sender(outbox: GainOutbox) -> Callable:
    """
    Overview:
        Collector middleware, after the collector: put the dQ pairs recorded since the last call into
        ``ctx.gain_pairs`` (with this node's id), for ``GainContextExchanger`` to send.
    """

    def _send(ctx: GainContext) -> None:
        pairs = outbox.take()
        ctx.gain_pairs = None if pairs is None else [(task.router.node_id, *pairs)]

    return _send


class GainReceiver:
    """
    Overview:
        Learner middleware, after ``GainContextExchanger``: push the received dQ pairs into the learner's dQ queue,
        counting them by the node that sent them.
    Interfaces:
        ``__init__``, ``__call__``, ``received``
    """

    def __init__(self, queue: Any) -> None:
        """
        Arguments:
            - queue (:obj:`CommunicationGainQueue`): the learn mode's dQ queue (``get_attribute('gain_queue')``).
        """
        self._queue = queue
        #: pairs received so far, by collector node id
        self.received: Dict[int, int] = {}

    def __call__(self, ctx: OnlineRLContext) -> None:
        # The learner's context is DI-engine's: the exchanger sets the field only in iterations that received pairs.
        for node, obs, gain in getattr(ctx, 'gain_pairs', None) or []:
            self._queue.push(obs, gain)
            self.received[node] = self.received.get(node, 0) + len(gain)


class _LearnerData:
    """What the learner's ``train`` runs in place of collecting (its ``use_collect_and_learn``)."""

    def __init__(self, probe: Optional[Callable]) -> None:
        self._probe = probe
        self.receiver: Optional[GainReceiver] = None

    def __call__(self, cfg, policy, batched_env, collector_env, buffer_, max_env_step: Optional[int]) -> None:
        # Added here, after ``train`` built its evaluator: the learner evaluates too, and one role per process
        # keeps DI-engine's exchangers from mixing the events of two roles.
        task.add_role(task.role.LEARNER)
        task.use(GainContextExchanger())
        task.use(ModelExchanger(policy.learn_mode.get_attribute('model')))
        self.receiver = GainReceiver(policy.learn_mode.get_attribute('gain_queue'))
        task.use(self.receiver)
        task.use(data_pusher(cfg, buffer_))
        task.use(OffPolicyLearner(cfg, policy.learn_mode, buffer_))
        answer_collectors()
        if self._probe is not None:
            task.use(self._probe('learner', LEARNER_NODE, policy))


def train_parallel(
        input_cfg: Tuple[dict, dict],
        collectors: int,
        seed: int = 0,
        max_env_step: Optional[int] = None,
        max_train_iter: Optional[int] = None,
        resume: Optional[str] = None,
        progress: bool = True,
        save_every_s: float = 120.0,
        probe: Optional[Callable] = None,
) -> Dict[str, Any]:
    """
    Overview:
        Train a ``ding_atoc`` config in DI-engine's parallel mode: one learner process (node 0, which runs
        ``train`` and owns the run folder) and ``collectors`` collector processes (nodes 1 to C, seeds ``seed + 1``
        to ``seed + C`` for their envs and exploration), started by ``Parallel.runner``. Every process builds its
        model from ``seed``, so the collectors' first collection acts with the learner's initial weights. Config,
        budgets and flags are checked here, before any process starts.
    Arguments:
        - input_cfg (:obj:`Tuple[dict, dict]`): ``(main_config, create_config)``.
        - collectors (:obj:`int`): collector processes, at least 1.
        - seed, max_env_step, max_train_iter, resume, progress, save_every_s: as for ``train``; the budgets count \
            the learner's steps, the env steps of all collectors together. A resumed run continues in its folder \
            (the learner checks the checkpoint as ``train`` does) and its collectors start from its weights.
        - probe (:obj:`Optional[Callable]`): ``probe(role, node_id, policy)`` called in every process, ``role`` \
            ``'learner'`` or ``'collector'``, returning a middleware added after learning (learner) or after \
            collecting and before sending (collectors); picklable (tests record weights with it).
    Returns:
        - summary (:obj:`Dict[str, Any]`): the learner's ``train`` summary, plus ``dq_pairs_by_collector``: \
            the dQ pairs the learner received from each collector node.

    .. note::
        The processes are spawned, and each imports the main module: from a script, call this under
        ``if __name__ == '__main__':``. The learner ends the run at the first iteration whose received env steps reach ``max_env_step``: the
        collections in flight then are dropped, and the count may pass the budget by up to C collections. A process
        that raises or dies stops the others (``Parallel.runner``'s worker pool); ``ParallelRunError`` says why.
    """
    if isinstance(collectors, bool) or not isinstance(collectors, int) or collectors < 1:
        raise ValueError(f"parallel mode needs at least one collector process (--parallel C with C >= 1), got "
                         f"{collectors!r}")
    if is_distributed() or int(os.environ.get('WORLD_SIZE', 1)) > 1:
        raise ValueError("--parallel starts its own learner and collector processes: it cannot run under torchrun or "
                         "inside a process group (use one or the other)")
    main_config, create_config = input_cfg
    policy_type = create_config.policy.type
    if policy_type not in PARALLEL_POLICIES:
        raise ValueError(f"--parallel supports policies {', '.join(PARALLEL_POLICIES)} (their collectors send dQ "
                         f"pairs to the learner), got create_config.policy.type={policy_type!r}")
    check_budgets(max_env_step=max_env_step, max_train_iter=max_train_iter, save_every_s=save_every_s)
    check_config(main_config, create_config)
    run = dict(seed=seed, max_env_step=max_env_step, max_train_iter=max_train_iter, resume=resume, progress=progress,
               save_every_s=save_every_s)
    with tempfile.TemporaryDirectory(prefix='ding_atoc_parallel_') as folder:
        result_path = os.path.join(folder, 'summary.json')
        try:
            Parallel.runner(n_parallel_workers=1 + collectors, topology='star')(
                _main, input_cfg, run, result_path, probe
            )
        except (ValueError, KeyError, FileNotFoundError):
            raise  # a check of the run, failed in one of its processes: as in one process, its message says what
        except Exception as error:
            nodes = '1' if collectors == 1 else f'1 to {collectors}'
            raise ParallelRunError(
                f"parallel run stopped: a process failed or died ({type(error).__name__}: {_first_line(error)}), "
                f"and the others were stopped (learner: node 0, collectors: nodes {nodes}); the traceback of a "
                "process that raised is chained below, the output of one that died is above"
            ) from error
        if not os.path.isfile(result_path):
            raise ParallelRunError("parallel run ended without the learner's summary: the learner stopped early")
        with open(result_path) as f:
            return json.load(f)


def _main(input_cfg: Tuple[dict, dict], run: Dict[str, Any], result_path: str, probe: Optional[Callable]) -> None:
    """Every process of the run: node 0 learns, the others collect."""
    if task.router.node_id == LEARNER_NODE:
        print(f"seed {run['seed']}: parallel mode, this learner (node 0) learns from "
              f"{task.router.n_parallel_workers - 1} collector processes", flush=True)
        learner_data = _LearnerData(probe)
        summary = train(input_cfg, collector='per-env', use_collect_and_learn=learner_data, **run)
        received = learner_data.receiver.received if learner_data.receiver is not None else {}
        summary['dq_pairs_by_collector'] = {str(node): count for node, count in sorted(received.items())}
        with open(result_path, 'w') as f:
            json.dump(summary, f)
    else:
        _collect(input_cfg, run['seed'], run['resume'], probe)


def _collect(input_cfg: Tuple[dict, dict], seed: int, resume: Optional[str], probe: Optional[Callable]) -> None:
    """A collector process: collect with the learner's latest weights, send transitions and dQ pairs."""
    keep_freed_memory()
    node = task.router.node_id
    main_config, create_config = input_cfg
    cfg = compile_config(main_config, create_cfg=create_config, seed=seed + node, auto=True, save_cfg=False)
    set_pkg_seed(seed, use_cuda=cfg.policy.cuda)  # the learner's initial weights
    policy = create_policy(cfg.policy, enable_field=['collect'])
    set_pkg_seed(cfg.seed, use_cuda=cfg.policy.cuda)  # this collector's own exploration
    if resume is not None:  # the learner resumes from these weights (``train`` checks the checkpoint)
        policy.collect_mode.load_state_dict({'model': load_checkpoint(resume)['policy']['model']})
    outbox = GainOutbox(cfg.policy.learn.attention_queue_size)
    policy.collect_mode.set_attribute('gain_queue', outbox)
    collector_env, _, _ = build_env_managers(cfg)
    with task.start(async_mode=False, ctx=GainContext()):
        task.add_role(task.role.COLLECTOR)
        # The learner's context carries only its train_iter: collectors never wait for it (the model exchanger
        # paces them, and unlike the context's 60 s wait it gives up at once when the learner has finished).
        task.use(GainContextExchanger(skip_n_iter=math.inf))
        task.use(ModelExchanger(policy.collect_mode.get_attribute('model')))
        task.use(StepCollector(cfg, policy.collect_mode, collector_env))
        task.use(gain_sender(outbox))
        if probe is not None:
            task.use(probe('collector', node, policy))
        wait_for_learner()
        task.run()
    with contextlib.suppress(Exception):
        collector_env.close()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ''
