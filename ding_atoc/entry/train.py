"""
Overview:
    Training through DI-engine's task (middleware) pipeline: ``StepCollector``, ``data_pusher``,
    ``OffPolicyLearner``, ``interaction_evaluator``, a tensorboard logger, checkpoints, a progress display and,
    at the end, a learning curve and a summary in the experiment folder.
"""
import contextlib
import copy
import json
import os
import warnings
from functools import partial
from typing import Any, Callable, Dict, Optional, Tuple

from ding.config import compile_config, save_config
from ding.config.config import save_project_state
from ding.data import DequeBuffer
from ding.envs import get_vec_env_setting
from ding.framework import ding_init, task
from ding.framework.context import OnlineRLContext
from ding.framework.middleware import (OffPolicyLearner, StepCollector, data_pusher, gae_estimator,
                                       interaction_evaluator, multistep_trainer, online_logger)
from ding.policy import create_policy
from ding.utils import ENV_MANAGER_REGISTRY, DistributedWriter, broadcast_object_list, get_rank, get_world_size, \
    set_pkg_seed
from easydict import EasyDict

from ..batched import (TensorReplayBuffer, batched_collector, batched_envs, batched_evaluator, batched_gae_estimator,
                       batched_learner, batched_on_policy_learner, batched_rollout_collector)
from ..distributed import is_distributed
from .allocator import keep_freed_memory
from .checkpoint import check_resumable, load_checkpoint, load_policy_state, run_identity
from .env_check import check_env_matches_config
from .middleware import (EvalRecorder, budget_checker, checkpointer, collection_limiter, final_evaluation,
                         finish_together, progress_display)
from .report import plot_learning_curve, summarize
from .run_folder import claim_run_folder, folder_of_checkpoint, hold
from .validation import check_budgets, check_config

#: The task pipeline reads ``env.ready_obs`` as one array: it needs DI-engine's V2 env managers.
V2_MANAGER = {'base': 'base_v2', 'subprocess': 'subprocess_v2', 'base_v2': 'base_v2', 'subprocess_v2': 'subprocess_v2'}
#: Policies that average their gradients over ranks with ``policy.multi_gpu=True`` (DI-engine's DDPG family does not).
DATA_PARALLEL_POLICIES = ('ding_atoc', 'ding_atoc_command')


def build_env_managers(cfg: EasyDict):
    """
    Overview:
        Collector and evaluator env managers (V2) of the config's env; ``env_manager.type='subprocess'`` runs
        each env in its own process.
    """
    env_fn, collector_cfgs, evaluator_cfgs = get_vec_env_setting(cfg.env)
    manager_type = V2_MANAGER.get(cfg.env.manager.type)
    if manager_type is None:
        raise ValueError(f"env.manager.type must be one of {sorted(V2_MANAGER)} for the task pipeline, "
                         f"got {cfg.env.manager.type!r}")
    manager_cls = ENV_MANAGER_REGISTRY.get(manager_type)
    manager_cfg = EasyDict({**cfg.env.manager, 'type': manager_type})
    collector = manager_cls([partial(env_fn, cfg=c) for c in collector_cfgs], manager_cfg)
    evaluator = manager_cls([partial(env_fn, cfg=c) for c in evaluator_cfgs], manager_cfg)
    return collector, evaluator, env_fn(evaluator_cfgs[0])


def train(
        input_cfg: Tuple[dict, dict],
        seed: int = 0,
        max_env_step: Optional[int] = None,
        max_train_iter: Optional[int] = None,
        resume: Optional[str] = None,
        progress: bool = True,
        save_every_s: float = 120.0,
        collector: str = 'auto',
        use_collect_and_learn: Optional[Callable] = None,
) -> Dict[str, Any]:
    """
    Overview:
        Train the config's policy on its env with DI-engine's task pipeline, in a folder of its own: a new run
        claims ``<exp_name>_seed<seed>`` (``_2``, ``_3``, ... when taken, see ``run_folder``); a resumed run continues
        in the folder of its checkpoint. Everything is checked before the folder is made: config keys and types,
        budgets, env sizes, the policy's own ranges and, on resume, the checkpoint's seed, config and weights. The
        run holds its folder until it ends (``run_folder.hold``): resuming a folder a live run holds is refused.
    Arguments:
        - input_cfg (:obj:`Tuple[dict, dict]`): ``(main_config, create_config)``.
        - seed (:obj:`int`): random seed of torch, numpy and the envs.
        - max_env_step (:obj:`Optional[int]`): stop at this many env steps (the last collection is shrunk to it).
        - max_train_iter (:obj:`Optional[int]`): stop once this many train iterations are done (learning runs in \
            phases of ``update_per_collect``, so it may be passed by less than one phase).
        - resume (:obj:`Optional[str]`): checkpoint to resume from (``<run folder>/ckpt/ckpt_latest.pth.tar``).
        - progress (:obj:`bool`): show a progress bar.
        - save_every_s (:obj:`float`): wall seconds between checkpoints (0: after every collection), besides the \
            one at the end; a crash loses at most this much training.
        - collector (:obj:`str`): ``'auto'``: the batched env, one policy call per step for every env and a tensor \
            replay buffer, or for on-policy policies rollouts of tensors with GAE (``ding_atoc.batched``), where the \
            env and the policy support it, else DI-engine's per-env managers and buffer; ``'batched'``: the batched \
            path or an error; ``'per-env'``: DI-engine's.
        - use_collect_and_learn (:obj:`Optional[Callable]`): adds the middleware that brings the data and learns, \
            called as ``_use_collect_and_learn`` (the default: collect in this process); the learner of DI-engine's \
            parallel mode receives the collectors' data instead (``ding_atoc.entry.parallel``).
    Returns:
        - summary (:obj:`Dict[str, Any]`): final eval return, task metrics, communication statistics, paths (on \
            the other ranks of a data-parallel run: ``exp_name`` and ``rank``).

    .. note::
        Inside a process group of several ranks (``ding-atoc train`` under ``torchrun``, or ``train`` called inside
        ``ding_atoc.distributed.DDPContext``) the run is data-parallel: every rank collects with seed ``seed + rank``
        and learns with ``policy.multi_gpu=True`` (gradients averaged, dQ pairs shared); rank 0 alone owns the run
        folder, evaluates, logs and writes checkpoints. Budgets and counters are per rank.
    """
    check_budgets(max_env_step=max_env_step, max_train_iter=max_train_iter, save_every_s=save_every_s)
    keep_freed_memory()  # no page faults on every step's fresh activations (allocator.py; results unchanged)
    main_config, create_config = input_cfg
    check_config(main_config, create_config)
    identity = run_identity(main_config, create_config, seed)
    state = None
    if resume is not None:
        resume_folder = folder_of_checkpoint(resume)
        state = load_checkpoint(resume)
        check_resumable(state, identity, resume)
        for name, budget, done in (('env_step', max_env_step, state['env_step']),
                                   ('train_iter', max_train_iter, state['train_iter'])):
            if budget is not None and done >= budget:
                raise ValueError(f"{resume} is at {name} {done}: the budget {budget} is reached already")
    rank, world_size = (get_rank(), get_world_size()) if is_distributed() else (0, 1)
    lead = rank == 0
    # Each rank collects its own data; rank 0 evaluates with the run's seed.
    cfg = compile_config(main_config, create_cfg=create_config, seed=seed + rank, auto=True, save_cfg=False)
    if world_size > 1:
        if cfg.policy.type not in DATA_PARALLEL_POLICIES:
            raise ValueError(f"policy {cfg.policy.type!r} does not average its gradients over ranks: run it in one "
                             f"process (data-parallel training supports {', '.join(DATA_PARALLEL_POLICIES)})")
        cfg.policy.multi_gpu = True
    if cfg.policy.collect.get('unroll_len', 1) > 1:
        raise ValueError(
            f"policy {cfg.policy.type!r} learns from sequences (policy.collect.unroll_len="
            f"{cfg.policy.collect.unroll_len}), which DI-engine's task pipeline does not build: run this config with "
            "`ding -m serial -c FILE` instead"
        )
    collector_env, evaluator_env, probe_env = build_env_managers(cfg)
    check_env_matches_config(cfg, probe_env)
    batched_env, batched_eval_env, collector_note = batched_envs(cfg, collector_env.env_num, evaluator_env.env_num,
                                                                 collector)
    set_pkg_seed(cfg.seed, use_cuda=cfg.policy.cuda)
    policy = create_policy(cfg.policy, enable_field=['learn', 'collect', 'eval'])
    buffer_ = DequeBuffer(size=cfg.policy.other.replay_buffer.replay_buffer_size)
    if state is not None:
        load_policy_state(policy, state, resume, identity)
        cfg.exp_name = resume_folder
    else:
        cfg.exp_name = _from_rank_0(claim_run_folder(cfg.exp_name, seed) if lead else None, world_size)
    # While this run lives, another process (a second --resume of it) is refused. Only rank 0 writes in the folder.
    with hold(cfg.exp_name) if lead else contextlib.nullcontext():
        if lead:
            if state is None:
                save_project_state(cfg.exp_name)
                with warnings.catch_warnings():  # DI-engine formats the saved config with yapf, which imports lib2to3
                    warnings.filterwarnings('ignore', message='lib2to3 package is deprecated',
                                            category=DeprecationWarning)
                    save_config(cfg, os.path.join(cfg.exp_name, 'total_config.py'), save_formatted=True)
                print(f'seed {seed}: writing to {cfg.exp_name}/', flush=True)
            print(f'seed {seed}: {collector_note}' + (f'; {world_size} ranks' if world_size > 1 else ''), flush=True)
            DistributedWriter.root = None  # ding_init keeps a process's first writer: `-s 0 1` would log in one folder
            ding_init(cfg)

        with task.start(async_mode=False, ctx=OnlineRLContext()):
            if state is not None:
                task.ctx.env_step, task.ctx.train_iter = state['env_step'], state['train_iter']
            if not lead:
                _use_collect_and_learn(cfg, policy, batched_env, collector_env, buffer_, max_env_step)
                task.use(budget_checker(max_env_step, max_train_iter))
                task.use(finish_together())
                task.run()
                return {'exp_name': cfg.exp_name, 'rank': rank}
            wall_offset, resume_env_step = (state['wall_s'], state['env_step']) if state is not None else (0.0, None)
            recorder = EvalRecorder(cfg.exp_name, policy, wall_offset, resume_env_step)
            if state is not None:
                dropped = f'; {recorder.dropped} evaluations of the stopped run from env step {resume_env_step} on ' \
                    'dropped from eval_log.csv' if recorder.dropped else ''
                print(f'seed {seed}: resumed from {resume} at env step {resume_env_step}, train iter '
                      f'{state["train_iter"]}, writing to {cfg.exp_name}/{dropped}', flush=True)
            if batched_eval_env is not None:
                evaluate = batched_evaluator(cfg, policy.eval_mode, batched_eval_env)
            else:
                evaluate = interaction_evaluator(cfg, policy.eval_mode, evaluator_env)
            task.use(evaluate)
            task.use(recorder)
            (use_collect_and_learn or _use_collect_and_learn)(cfg, policy, batched_env, collector_env, buffer_,
                                                              max_env_step)
            task.use(budget_checker(max_env_step, max_train_iter))
            if world_size > 1:
                task.use(finish_together())  # evaluation's stop_value and the budgets end every rank's run at once
            task.use(final_evaluation(evaluate, recorder))
            task.use(online_logger(train_show_freq=100))
            task.use(checkpointer(policy, cfg.exp_name, save_every_s, recorder, identity))
            if progress:
                counter, total = ('env_step', max_env_step) if max_env_step is not None else \
                    ('train_iter', max_train_iter)
                task.use(progress_display(total, counter, getattr(task.ctx, counter)))
            task.run()
        DistributedWriter.get_instance().close()

        curve = plot_learning_curve(recorder.rows, os.path.join(cfg.exp_name, 'learning_curve.png'), cfg.exp_name)
        summary = summarize(recorder.rows, exp_name=cfg.exp_name, curve=curve)
        with open(os.path.join(cfg.exp_name, 'summary.json'), 'w') as f:
            json.dump(summary, f, indent=2)
    return summary


def _use_collect_and_learn(cfg: EasyDict, policy, batched_env, collector_env, buffer_, max_env_step: Optional[int]):
    """The task's collection (limited to ``max_env_step``) and learning middleware: the batched path where
    ``batched_env`` is given (on-policy: rollouts and GAE; off-policy: the tensor replay buffer), else DI-engine's
    per-env collector with its buffer (on- or off-policy)."""
    collector_cfg = copy.deepcopy(cfg)  # the limiter shrinks its n_sample for the last collection
    if max_env_step is not None:
        task.use(collection_limiter(collector_cfg.policy.collect, max_env_step))
    if batched_env is not None and cfg.policy.on_policy:  # rollouts as (T, E) tensors, GAE per env, PPO's epochs
        task.use(batched_rollout_collector(collector_cfg, policy.collect_mode, batched_env))
        task.use(batched_gae_estimator(cfg, policy.collect_mode))
        task.use(batched_on_policy_learner(cfg, policy.learn_mode, log_freq=100))
    elif batched_env is not None:
        replay_size = cfg.policy.other.replay_buffer.replay_buffer_size
        replay = TensorReplayBuffer(replay_size, batched_env.device, cfg.seed, max_written=max_env_step)
        task.use(batched_collector(collector_cfg, policy.collect_mode, batched_env, replay))
        task.use(batched_learner(cfg, policy.learn_mode, replay))
    else:
        task.use(StepCollector(collector_cfg, policy.collect_mode, collector_env))
        if cfg.policy.on_policy:  # e.g. MAPPO: advantages of the fresh data, several epochs on it
            task.use(gae_estimator(cfg, policy.collect_mode))
            task.use(multistep_trainer(policy.learn_mode, log_freq=100))
        else:
            task.use(data_pusher(cfg, buffer_))
            task.use(OffPolicyLearner(cfg, policy.learn_mode, buffer_))


def _from_rank_0(value: Any, world_size: int) -> Any:
    """``value`` of rank 0 on every rank (a picklable object; as it is in one process)."""
    if world_size == 1:
        return value
    shared = [value]
    broadcast_object_list(shared, src=0)
    return shared[0]
