"""
Overview:
    Training through DI-engine's task (middleware) pipeline: ``StepCollector``, ``data_pusher``,
    ``OffPolicyLearner``, ``interaction_evaluator``, a tensorboard logger, checkpoints, a progress display and,
    at the end, a learning curve and a summary in the experiment folder.
"""
import json
import os
from functools import partial
from typing import Any, Dict, Optional, Tuple

from ditk import logging
from ding.config import compile_config
from ding.data import DequeBuffer
from ding.envs import get_vec_env_setting
from ding.framework import ding_init, task
from ding.framework.context import OnlineRLContext
from ding.framework.middleware import (OffPolicyLearner, StepCollector, data_pusher, gae_estimator,
                                       interaction_evaluator, multistep_trainer, online_logger, termination_checker)
from ding.policy import create_policy
from ding.utils import ENV_MANAGER_REGISTRY, set_pkg_seed
from easydict import EasyDict

from .checkpoint import load_checkpoint
from .config_loader import check_registry_names
from .env_check import check_env_matches_config
from .middleware import EvalRecorder, checkpointer, final_evaluation, progress_display
from .report import plot_learning_curve, summarize

#: The task pipeline reads ``env.ready_obs`` as one array: it needs DI-engine's V2 env managers.
V2_MANAGER = {'base': 'base_v2', 'subprocess': 'subprocess_v2', 'base_v2': 'base_v2', 'subprocess_v2': 'subprocess_v2'}


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
) -> Dict[str, Any]:
    """
    Overview:
        Train the config's policy on its env with DI-engine's task pipeline.
    Arguments:
        - input_cfg (:obj:`Tuple[dict, dict]`): ``(main_config, create_config)``.
        - seed (:obj:`int`): random seed of torch, numpy and the envs.
        - max_env_step (:obj:`Optional[int]`): stop after this many env steps.
        - max_train_iter (:obj:`Optional[int]`): stop after this many train iterations.
        - resume (:obj:`Optional[str]`): checkpoint to resume from (``<exp_name>/ckpt/ckpt_latest.pth.tar``).
        - progress (:obj:`bool`): show a progress bar.
    Returns:
        - summary (:obj:`Dict[str, Any]`): final eval return, task metrics, communication statistics, paths.
    """
    if max_env_step is None and max_train_iter is None:
        raise ValueError("give max_env_step or max_train_iter: the task pipeline needs a budget")
    main_config, create_config = input_cfg
    check_registry_names(EasyDict(create_config))
    cfg = compile_config(main_config, create_cfg=create_config, seed=seed, auto=True, save_cfg=resume is None)
    if cfg.policy.collect.get('unroll_len', 1) > 1:
        raise ValueError(
            f"policy {cfg.policy.type!r} learns from sequences (policy.collect.unroll_len="
            f"{cfg.policy.collect.unroll_len}), which DI-engine's task pipeline does not build: run this config with "
            "`ding -m serial -c FILE` instead"
        )
    collector_env, evaluator_env, probe_env = build_env_managers(cfg)
    check_env_matches_config(cfg, probe_env)
    set_pkg_seed(cfg.seed, use_cuda=cfg.policy.cuda)
    ding_init(cfg)
    policy = create_policy(cfg.policy, enable_field=['learn', 'collect', 'eval'])
    buffer_ = DequeBuffer(size=cfg.policy.other.replay_buffer.replay_buffer_size)

    with task.start(async_mode=False, ctx=OnlineRLContext()):
        wall_offset = 0.0
        if resume is not None:
            state = load_checkpoint(resume)
            policy.learn_mode.load_state_dict(state['policy'])
            task.ctx.env_step = state.get('env_step', 0)
            task.ctx.train_iter = state.get('train_iter', 0)
            wall_offset = state.get('wall_s', 0.0)
            logging.info(f'resumed from {resume} at env step {task.ctx.env_step}, train iter {task.ctx.train_iter}')
        recorder = EvalRecorder(cfg.exp_name, policy, wall_offset)
        evaluate = interaction_evaluator(cfg, policy.eval_mode, evaluator_env)
        task.use(evaluate)
        task.use(recorder)
        task.use(StepCollector(cfg, policy.collect_mode, collector_env))
        if cfg.policy.on_policy:  # e.g. MAPPO: advantages of the fresh data, several epochs on it
            task.use(gae_estimator(cfg, policy.collect_mode))
            task.use(multistep_trainer(policy.learn_mode, log_freq=100))
        else:
            task.use(data_pusher(cfg, buffer_))
            task.use(OffPolicyLearner(cfg, policy.learn_mode, buffer_))
        task.use(termination_checker(max_env_step=max_env_step, max_train_iter=max_train_iter))
        task.use(final_evaluation(evaluate, recorder))
        task.use(online_logger(train_show_freq=100))
        task.use(checkpointer(policy, cfg.exp_name, cfg.policy.learn.get('save_ckpt_every_iter', 1000), recorder))
        if progress:
            task.use(progress_display(max_env_step, task.ctx.env_step))
        task.run()

    curve = plot_learning_curve(recorder.rows, os.path.join(cfg.exp_name, 'learning_curve.png'), cfg.exp_name)
    summary = summarize(recorder.rows, exp_name=cfg.exp_name, curve=curve)
    with open(os.path.join(cfg.exp_name, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    return summary
