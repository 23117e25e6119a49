"""
Overview:
    Task-pipeline middleware of the batched path for on-policy policies that learn as DI-engine's PPO does (e.g.
    ``ding_atoc_mappo``), in the places of DI-engine's ``StepCollector`` + ``gae_estimator`` + ``multistep_trainer``:

    - ``batched_rollout_collector`` steps a batched env for ``policy.collect.n_sample`` transitions with one policy
      call per step for all environments (``batched_stepper``) and keeps the rollout as (T, E, ...) tensors;
    - ``batched_gae_estimator`` computes the advantages with DI-engine's ``gae`` over the time dim of every
      environment and gives the learner the train data that ``StepCollector`` + ``gae_estimator`` give it from the same
      transitions (``rollout_advantages``, ``env_major``);
    - ``batched_on_policy_learner`` is DI-engine's ``multistep_trainer`` (the policy's learn step: PPO's
      ``learn.epoch_per_collect`` epochs of minibatches), so ``ctx.train_iter``, ``ctx.train_output`` and the log
      are those of the per-env path.
"""
import math
from typing import Callable

import torch
import treetensor.torch as ttorch
from ding.framework.middleware import multistep_trainer
from ding.rl_utils import gae, gae_data
from ding.utils.data import default_collate
from easydict import EasyDict

from .middleware import batched_stepper
from .replay import Batch, map_batch


def batched_rollout_collector(cfg: EasyDict, policy, env) -> Callable:
    """
    Overview:
        Per call, ``ceil(policy.collect.n_sample / env.env_num)`` steps of every environment (so up to
        ``env_num - 1`` transitions more than asked, as DI-engine's ``StepCollector`` collects whole steps of its
        envs) with the policy's collect mode, counting ``ctx.env_step``; the rollout goes to ``ctx.trajectories`` as
        one dict of (T, E, ...) tensors on the policy's device (``policy.process_transition``'s keys). Environments
        keep stepping across calls: an episode that a rollout cuts goes on in the next one.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config (``seed``, ``policy.collect.n_sample``, read at every call: the \
            last collection may be shrunk to the env-step budget).
        - policy (:obj:`Policy`): ``collect_mode`` of a policy whose forward takes stacked observations.
        - env: the batched env (``ding_atoc.batched.middleware``'s module doc).
    """
    n_sample = cfg.policy.collect.get('n_sample')
    if not isinstance(n_sample, int) or isinstance(n_sample, bool) or n_sample < 1:
        raise ValueError(f"policy.collect.n_sample must be an integer >= 1 (transitions per rollout), got {n_sample!r}")
    step = batched_stepper(cfg, policy, env)

    def _collect(ctx) -> None:
        steps = [step(ctx) for _ in range(math.ceil(cfg.policy.collect.n_sample / env.env_num))]
        # DI-engine's collation stacks the T steps' (E, ...) tensors key by key (nested dicts too): (T, E, ...).
        ctx.trajectories = default_collate(steps) if steps else None

    return _collect


def batched_gae_estimator(cfg: EasyDict, policy) -> Callable:
    """
    Overview:
        DI-engine's ``gae_estimator`` on a rollout of ``batched_rollout_collector``: ``ctx.train_data`` gets the
        rollout with ``value``, ``adv`` and ``traj_flag`` (``rollout_advantages``), environment after environment
        (``env_major``) as a treetensor, as ``gae_estimator`` leaves it; ``ctx.trajectories`` is emptied.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config (``policy.collect.discount_factor``, ``policy.collect.gae_lambda``).
        - policy (:obj:`Policy`): ``collect_mode`` of the policy (its model's ``compute_critic`` gives the values).
    """
    model = policy.get_attribute('model')
    gamma, lambda_ = cfg.policy.collect.discount_factor, cfg.policy.collect.gae_lambda

    def _gae(ctx) -> None:
        rollout = ctx.trajectories
        if rollout is None:  # nothing collected (a collection shrunk to 0): nothing to learn
            ctx.train_data = None
            return
        ctx.train_data = ttorch.as_tensor(env_major(rollout_advantages(rollout, model, gamma, lambda_)))
        ctx.trajectories = None

    return _gae


def batched_on_policy_learner(cfg: EasyDict, policy, log_freq: int = 100) -> Callable:
    """
    Overview:
        The policy's learn step on ``ctx.train_data`` through DI-engine's ``multistep_trainer`` (PPO: every epoch
        recomputes the advantages and runs minibatches of ``policy.learn.batch_size``), after checking that one
        rollout holds a minibatch.
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config (``policy.learn.batch_size``, ``policy.collect.n_sample``).
        - policy (:obj:`Policy`): ``learn_mode`` of the policy.
        - log_freq (:obj:`int`): train iterations between log lines.
    """
    batch_size, n_sample = cfg.policy.learn.batch_size, cfg.policy.collect.n_sample
    if batch_size > n_sample:
        # DI-engine's minibatch split would start at a negative index and learn from a part of the rollout.
        raise ValueError(f"policy.learn.batch_size={batch_size} must be at most policy.collect.n_sample={n_sample}: "
                         "on-policy minibatches are drawn from one rollout")
    return multistep_trainer(policy, log_freq=log_freq)


def rollout_advantages(rollout: Batch, model: torch.nn.Module, gamma: float, lambda_: float) -> Batch:
    """
    Overview:
        GAE of a rollout over its time dim, per environment, exactly as DI-engine's ``gae_estimator`` computes it
        for the same transitions grouped per environment (``StepCollector`` ends every environment's trajectory at
        the end of a collection): values from the model's critic on ``obs``, ``next_value`` from it on ``next_obs``
        at every step (so the last step of the rollout bootstraps from the value of its ``next_obs``), zeroed where
        ``done`` (an episode ended by the env is terminal; ``learn.ignore_done`` is applied by PPO's learn step when
        it recomputes), and the recursion cut by ``traj_flag`` = ``done`` or the last step of the rollout.
    Arguments:
        - rollout (:obj:`Batch`): (T, E, ...) tensors with PPO's transition keys (``obs``, ``next_obs``, \
            ``reward``, ``done``, ...).
        - model (:obj:`torch.nn.Module`): has ``forward(obs, mode='compute_critic')`` giving ``value``.
        - gamma (:obj:`float`), lambda_ (:obj:`float`): ``collect.discount_factor``, ``collect.gae_lambda``.
    Returns:
        - rollout (:obj:`Batch`): the rollout with ``value`` (recomputed, as ``gae_estimator`` does), ``adv``, \
            ``traj_flag`` and the team ``reward`` without its trailing dim, as DI-engine's collation gives it.
    Shapes:
        - reward: :math:`(T, E, 1)` in, :math:`(T, E)` out; done: :math:`(T, E)`
        - value, adv: :math:`(T, E, A)` (MAPPO's per-agent values) or :math:`(T, E)`
    """
    done = rollout['done']
    reward = rollout['reward']
    if reward.shape[:2] != done.shape or reward.dim() != 3 or reward.shape[2] != 1:
        raise ValueError(
            f"on-policy learning takes the team reward, (T, E, 1) per rollout, got reward {tuple(reward.shape)}: "
            "DI-engine's PPO masks values with done (one per step), which cannot broadcast against each agent's "
            "reward; set env.reward_type='team'"
        )
    steps, envs = done.shape
    with torch.no_grad():
        value, next_value = (
            model.forward(map_batch(rollout[key], lambda x: x.reshape(steps * envs, *x.shape[2:])),
                          mode='compute_critic')['value'] for key in ('obs', 'next_obs')
        )
    value = value.reshape(steps, envs, *value.shape[1:])
    next_value = next_value.reshape(steps, envs, *next_value.shape[1:])
    reward = reward.squeeze(-1)
    traj_flag = done.clone()
    traj_flag[-1] = True  # every environment's trajectory ends with the rollout
    adv = gae(gae_data(value, next_value, reward, done.float(), traj_flag.float()), gamma, lambda_)
    return {**rollout, 'reward': reward, 'value': value, 'adv': adv, 'traj_flag': traj_flag}


def env_major(rollout: Batch) -> Batch:
    """
    Overview:
        (T, E, ...) -> (E * T, ...), environment after environment (row ``e * T + t``): the order of DI-engine's
        ``StepCollector`` trajectories, which PPO's learn step relies on when it recomputes GAE over the whole batch
        (``traj_flag`` cuts it at every environment's end).
    """
    return map_batch(rollout, lambda x: x.transpose(0, 1).reshape(x.shape[0] * x.shape[1], *x.shape[2:]))

