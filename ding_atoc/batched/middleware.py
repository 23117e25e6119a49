"""
Overview:
    Task-pipeline middleware of the batched path: a stepper that steps a batched env (every environment as one
    tensor step, e.g. the ``torch_batched`` env manager of ``dizoo_envs``) with one policy call per step for all
    environments; for off-policy policies a collector that pushes its transitions into a ``TensorReplayBuffer`` and a
    learner that samples stacked batches from it and trains with DI-engine's ``trainer``; and, for every policy, an
    evaluator that plays the evaluation episodes the same way. They take the places of DI-engine's ``StepCollector``
    plus ``data_pusher``, ``OffPolicyLearner`` and ``interaction_evaluator``, and set the same context fields. The
    on-policy counterparts of the collector and the learner (rollouts, GAE) are in ``on_policy.py``.

    The batched env is anything with this interface (the library does not import the envs package):
    ``env_num``, ``seed(seed, dynamic_seed)``, ``reset() -> obs`` and ``step(action) -> timestep`` with ``obs``
    (to act on next, auto-reset), ``next_obs`` (reached by the step), ``reward`` (E, 1) or (E, A), ``done`` (E,)
    and ``info``; observations are dicts of (E, ...) tensors on the policy's device.
"""
from typing import Any, Callable, Dict, List

import numpy as np
import torch
from ding.envs import BaseEnvTimestep
from ding.framework import task
from ding.framework.middleware.functional import trainer
from ditk import logging
from easydict import EasyDict

from .replay import TensorReplayBuffer


def batched_stepper(cfg: EasyDict, policy, env) -> Callable[[Any], Dict[str, Any]]:
    """
    Overview:
        One step of every environment of a batched env per call, with one call of the policy's collect mode: returns
        the step's transitions (``policy.process_transition`` of the stacked observations, (E, ...) per key) and
        counts ``ctx.env_step``; an environment whose episode ends is reset by the env and forgotten by the policy
        (its structure and messages in flight). The env is seeded (``cfg.seed``, dynamic) and reset at the first call.
        Shared by the off-policy ``batched_collector`` and the on-policy ``batched_rollout_collector``.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config (``seed``).
        - policy (:obj:`Policy`): ``collect_mode`` of a policy whose forward takes stacked observations.
        - env: the batched env (see module doc).
    """
    current = {}

    def _step(ctx) -> Dict[str, Any]:
        if 'obs' not in current:
            env.seed(cfg.seed, dynamic_seed=True)
            current['obs'] = env.reset()
            policy.reset()
        obs = current['obs']
        output = policy.forward(obs)
        timestep = env.step(output['action'])
        reached = BaseEnvTimestep(timestep.next_obs, timestep.reward, timestep.done, timestep.info)
        transition = policy.process_transition(obs, output, reached)
        policy.reset(timestep.done)  # per env: forget the ended episodes' structures and messages
        current['obs'] = timestep.obs
        ctx.env_step += env.env_num
        return transition

    return _step


def batched_collector(cfg: EasyDict, policy, env, buffer_: TensorReplayBuffer) -> Callable:
    """
    Overview:
        Collect at least ``policy.collect.n_sample`` transitions per call (whole steps of all ``env.env_num``
        environments, so up to ``env_num - 1`` more) with the policy's collect mode (``batched_stepper``), counting
        ``ctx.env_step``, into ``buffer_``.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config (``seed``, ``policy.collect.n_sample``).
        - policy (:obj:`Policy`): ``collect_mode`` of a policy whose forward takes stacked observations.
        - env: the batched env (see module doc).
        - buffer_ (:obj:`TensorReplayBuffer`): where transitions go.
    """
    step = batched_stepper(cfg, policy, env)

    def _collect(ctx) -> None:
        collected = 0
        while collected < cfg.policy.collect.n_sample:  # read per call: the last collection may be shrunk
            buffer_.push(step(ctx))
            collected += env.env_num

    return _collect


def batched_learner(cfg: EasyDict, policy, buffer_: TensorReplayBuffer, log_freq: int = 100) -> Callable:
    """
    Overview:
        ``policy.learn.update_per_collect`` gradient steps per call, each on ``policy.learn.batch_size``
        transitions sampled from ``buffer_`` as one stacked batch, through DI-engine's ``trainer`` middleware
        (which counts ``ctx.train_iter`` and logs); ``ctx.train_output`` gets the list of their outputs, as
        DI-engine's ``OffPolicyLearner`` leaves it.
    """
    learn = cfg.policy.learn
    if cfg.policy.collect.n_sample < learn.batch_size:
        raise ValueError(
            f"policy.collect.n_sample={cfg.policy.collect.n_sample} must be at least policy.learn.batch_size="
            f"{learn.batch_size}: the first learning step samples a batch from the first collection"
        )
    train = trainer(cfg, policy, log_freq=log_freq)

    def _learn(ctx) -> None:
        outputs = []
        for _ in range(learn.update_per_collect):
            ctx.train_data = buffer_.sample(learn.batch_size)
            train(ctx)
            outputs.append(ctx.train_output)
        ctx.train_output = outputs

    return _learn


def batched_evaluator(cfg: EasyDict, policy, env) -> Callable:
    """
    Overview:
        DI-engine's ``interaction_evaluator`` on a batched env: every ``policy.eval.evaluator.eval_freq`` train
        iterations (and when ``ctx.last_eval_iter`` is -1), ``env.n_evaluator_episode`` greedy episodes, the k-th
        environment replaying the layout of seed ``cfg.seed + k`` at every evaluation (DI-engine's evaluator
        seeding); sets ``ctx.eval_value`` (mean return), ``ctx.eval_output`` (``episode_return`` and
        ``episode_info`` with the mean of every task metric) and ``ctx.last_eval_iter``, and finishes the task when
        the return reaches ``env.stop_value``, as DI-engine's does.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config.
        - policy (:obj:`Policy`): ``eval_mode`` of a policy whose forward takes stacked observations.
        - env: the batched env (see module doc), of ``env.evaluator_env_num`` environments.
    """
    episodes = cfg.env.n_evaluator_episode
    eval_freq = cfg.policy.eval.evaluator.eval_freq
    env.seed(cfg.seed, dynamic_seed=False)

    def _evaluate(ctx) -> None:
        if ctx.last_eval_iter != -1 and ctx.train_iter - ctx.last_eval_iter < eval_freq:
            return
        returns: List[torch.Tensor] = []
        metrics: Dict[str, List[torch.Tensor]] = {}
        while len(returns) * env.env_num < episodes:  # rounds of one episode per environment
            obs = env.reset()
            policy.reset()
            while True:
                timestep = env.step(policy.forward(obs)['action'])
                obs = timestep.obs
                if timestep.done.all():  # the envs run synchronised episodes of max_cycles steps
                    break
            info = dict(timestep.info)
            returns.append(info.pop('eval_episode_return'))
            for key, value in info.items():
                metrics.setdefault(key, []).append(value)
        episode_return = torch.cat(returns)[:episodes].double().cpu().numpy()
        ctx.eval_value = float(np.mean(episode_return))
        ctx.eval_output = {
            'episode_return': list(episode_return),
            'episode_info': {f'{key}_mean': float(torch.cat(value)[:episodes].double().mean())
                             for key, value in metrics.items()},
        }
        ctx.last_eval_iter = ctx.train_iter
        logging.info(f'Evaluation: Train Iter({ctx.train_iter}) Env Step({ctx.env_step}) '
                     f'Episode Return({ctx.eval_value:.3f})')
        if ctx.eval_value >= cfg.env.stop_value and ctx.train_iter > 0:
            task.finish = True

    return _evaluate
