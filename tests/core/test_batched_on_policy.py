"""
Specification of the batched on-policy path (``ding_atoc.batched.on_policy``) for ``ding_atoc_mappo``: a rollout of E
batched envs, one policy call per step, gives the learner the very train data that DI-engine's per-env path
(``StepCollector`` + ``gae_estimator``) gives it from the same transitions, advantages included, episodes that end
inside a rollout included; the stacked collect and eval forwards act as the per-env ones; bad input is named.
"""
import os

import numpy as np
import pytest
import torch
import treetensor.torch as ttorch
from ding.config import compile_config
from ding.framework import OnlineRLContext, task
from ding.framework.middleware import StepCollector, gae_estimator
from ding.policy import create_policy
from ding.utils import ENV_MANAGER_REGISTRY
from ding.utils.data import default_collate

from ding_atoc.batched import (batched_gae_estimator, batched_on_policy_learner, batched_rollout_collector,
                               rollout_advantages)
from ding_atoc.batched.replay import map_batch
from ding_atoc.entry.config_loader import load_config
from ding_atoc.entry.env_check import with_team_size
from ding_atoc.entry.train import build_env_managers
from tests.core.test_atoc_mappo import ACTION_SPACES, env_obs, make_policy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENVS = ['hidden_target_navigation', 'cooperative_navigation']
TEAM_SIZES = [3, 6]
#: E envs, rollouts of T steps, episodes of 5 steps: every rollout holds an episode end and a cut episode.
N_ENV, STEPS, MAX_CYCLES, SEED = 3, 8, 5, 2

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')


def mappo_cfg(env, n_agent, **collect):
    path = os.path.join(ROOT, 'configs', env, 'ding_atoc_mappo_config.py')
    main_config, create_config = with_team_size(*load_config(path), n_agent)
    main_config.env.update(max_cycles=MAX_CYCLES, collector_env_num=N_ENV, evaluator_env_num=1, n_evaluator_episode=1)
    main_config.policy.cuda = False
    main_config.policy.comm_interval = 2
    main_config.policy.collect.update({'n_sample': N_ENV * STEPS, **collect})
    return compile_config(main_config, create_cfg=create_config, seed=SEED, auto=True, save_cfg=False)


def policy_of(cfg):
    torch.manual_seed(0)
    return create_policy(cfg.policy, enable_field=['collect', 'learn'])


def batched_env(cfg, dtype=torch.float32):
    return ENV_MANAGER_REGISTRY.get('torch_batched')(cfg.env, env_num=N_ENV, dtype=dtype)


def batched_train_data(cfg, policy, env, rollouts=1):
    """``ctx.train_data`` of the batched path after ``rollouts`` rollouts, and the last rollout."""
    collect = batched_rollout_collector(cfg, policy.collect_mode, env)
    estimate = batched_gae_estimator(cfg, policy.collect_mode)
    ctx = OnlineRLContext()
    for _ in range(rollouts):
        collect(ctx)
        rollout = ctx.trajectories
        estimate(ctx)
    return ctx.train_data, rollout


@pytest.mark.parametrize('n_agent', TEAM_SIZES)
@pytest.mark.parametrize('env', ENVS)
def test_advantages_equal_di_engines_gae_estimator_on_the_same_transitions(env, n_agent):
    cfg = mappo_cfg(env, n_agent)
    policy = policy_of(cfg)
    # The second rollout starts inside the episodes the first one cut.
    ours, rollout = batched_train_data(cfg, policy, batched_env(cfg), rollouts=2)
    done = rollout['done']
    assert done.any() and not done[-1].any(), 'the rollout must hold episode ends and end inside episodes'
    # DI-engine's per-env path: every env's transitions in order (``StepCollector``'s ``TransitionList``), one
    # trajectory per env ending with the collection, reward (1,) and done () per transition as its env managers give.
    trajectories = [ttorch.as_tensor(map_batch(rollout, lambda x: x[t, e])) for e in range(N_ENV) for t in range(STEPS)]
    ctx = OnlineRLContext()
    ctx.trajectories, ctx.trajectory_end_idx = trajectories, [(e + 1) * STEPS - 1 for e in range(N_ENV)]
    gae_estimator(cfg, policy.collect_mode)(ctx)
    theirs = ctx.train_data
    for key in ('traj_flag', 'done', 'reward', 'action', 'logit'):
        assert torch.equal(ours[key], theirs[key]), key
    for key in ('agent_state', 'global_state', 'comm_group'):
        assert torch.equal(ours.obs[key], theirs.obs[key]) and torch.equal(ours.next_obs[key], theirs.next_obs[key])
    torch.testing.assert_close(ours.value, theirs.value, rtol=0, atol=1e-6)
    torch.testing.assert_close(ours.adv, theirs.adv, rtol=0, atol=1e-6)
    torch.testing.assert_close(ours.value + ours.adv, theirs.value + theirs.adv, rtol=0, atol=1e-6)  # returns


@pytest.mark.parametrize('n_agent', TEAM_SIZES)
def test_batched_rollout_gives_the_train_data_of_di_engines_per_env_collector(n_agent):
    cfg = mappo_cfg('hidden_target_navigation', n_agent)
    # DI-engine's per-env path on the numpy envs (env i seeded SEED + i): StepCollector, then gae_estimator.
    per_env_policy = policy_of(cfg)
    collector_env, _, _ = build_env_managers(cfg)
    torch.manual_seed(1)
    with task.start(ctx=OnlineRLContext()):  # DI-engine's collector runs its parts as task middleware
        StepCollector(cfg, per_env_policy.collect_mode, collector_env)(task.ctx)
        gae_estimator(cfg, per_env_policy.collect_mode)(task.ctx)
        theirs = task.ctx.train_data
    collector_env.close()
    # The batched path on the batched env in float64 physics, as the numpy envs.
    policy, env = policy_of(cfg), batched_env(cfg, torch.float64)
    torch.manual_seed(1)
    ours, _ = batched_train_data(cfg, policy, env)
    assert ours.done.any()
    for key in ('traj_flag', 'done', 'action'):
        assert torch.equal(ours[key], theirs[key]), key
    for key in ('reward', 'value', 'adv'):
        np.testing.assert_allclose(ours[key].numpy(), theirs[key].numpy(), rtol=0, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(ours.next_obs.global_state.numpy(), theirs.next_obs.global_state.numpy(), atol=1e-5)


def assert_same(ours, theirs, where):
    if isinstance(ours, dict):
        assert set(ours) == set(theirs), where
        for key in ours:
            assert_same(ours[key], theirs[key], f'{where}.{key}')
    else:
        assert torch.equal(ours, theirs), where


@pytest.mark.parametrize('channel_conditions', [dict(), dict(delay=2, drop_prob=0.3)])
@pytest.mark.parametrize('action_space', ACTION_SPACES)
@pytest.mark.parametrize('n_agent', TEAM_SIZES)
def test_stacked_forward_equals_per_env_forward(n_agent, action_space, channel_conditions):
    policies = []
    for _ in range(2):
        torch.manual_seed(0)
        policies.append(make_policy(n_agent, action_space, comm_interval=2, channel_conditions=channel_conditions,
                                    enable_field=['collect', 'eval']))
    per_env, stacked = policies
    for mode in ('collect_mode', 'eval_mode'):
        for step in range(6):
            obs = env_obs(n_agent, action_space, batch=N_ENV)
            if step == 3:  # environment 1's episode ends: both forget its structure and messages
                getattr(per_env, mode).reset([1])
                getattr(stacked, mode).reset(torch.tensor([False, True, False]))
            torch.manual_seed(step)
            by_env = getattr(per_env, mode).forward({e: map_batch(obs, lambda x: x[e]) for e in range(N_ENV)})
            torch.manual_seed(step)
            batch = getattr(stacked, mode).forward(obs)
            # collated as DI-engine collates per-env outputs (a flag of shape (1,) per env becomes (E,))
            assert_same(batch, default_collate([by_env[e] for e in range(N_ENV)]), f'{mode} step {step}')
        assert stacked.pop_communication_stats(mode[:-5]) == per_env.pop_communication_stats(mode[:-5])


def test_rollout_keeps_time_and_env_dims_and_counts_env_steps():
    cfg = mappo_cfg('hidden_target_navigation', 4, n_sample=N_ENV * STEPS - 1)  # rounded up to whole steps
    policy = policy_of(cfg)
    collect = batched_rollout_collector(cfg, policy.collect_mode, batched_env(cfg))
    ctx = OnlineRLContext()
    collect(ctx)
    assert ctx.env_step == N_ENV * STEPS
    assert ctx.trajectories['done'].shape == (STEPS, N_ENV)
    assert ctx.trajectories['obs']['agent_state'].shape[:2] == (STEPS, N_ENV)
    assert ctx.trajectories['value'].shape == (STEPS, N_ENV, 4)


def test_bad_input_is_named():
    cfg = mappo_cfg('hidden_target_navigation', 4)
    policy = policy_of(cfg)
    cfg.policy.learn.batch_size = N_ENV * STEPS + 1
    with pytest.raises(ValueError, match=r'policy.learn.batch_size=25 must be at most policy.collect.n_sample=24'):
        batched_on_policy_learner(cfg, policy.learn_mode)
    cfg.policy.collect.n_sample = 0
    with pytest.raises(ValueError, match='policy.collect.n_sample must be an integer >= 1'):
        batched_rollout_collector(cfg, policy.collect_mode, batched_env(cfg))
    # Each agent's own reward (env.reward_type='local') cannot go through DI-engine's PPO, which masks with done.
    local = mappo_cfg('hidden_target_navigation', 4)
    local.env.reward_type = 'local'
    collect = batched_rollout_collector(local, policy.collect_mode, batched_env(local))
    ctx = OnlineRLContext()
    collect(ctx)
    with pytest.raises(ValueError, match="env.reward_type='team'"):
        rollout_advantages(ctx.trajectories, policy.collect_mode.get_attribute('model'), 0.99, 0.95)
