"""
Specification of the batched path of ``ding-atoc train``: it is the default where the env and the policy support it,
DI-engine's per-env path stays available, and both collect the same transitions from the same seed (the learning
step then is the same: ``tests/core/test_tensor_replay.py``), so both train the same policy.
"""
import json
import os

import numpy as np
import pytest
import torch
from ding.config import compile_config
from ding.policy import create_policy
from ding.utils import ENV_MANAGER_REGISTRY

from ding_atoc.batched import TensorReplayBuffer, batched_collector
from ding_atoc.entry.cli import main
from ding_atoc.entry.config_loader import load_config
from ding_atoc.entry.env_check import with_team_size
from dizoo_envs.cooperative_navigation import CooperativeNavigationEnv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CONFIG = os.path.join(ROOT, 'configs', 'cooperative_navigation', 'ding_atoc_config.py')
N_ENV, SEED = 4, 3


def default_cfg(n_agent):
    main_config, create_config = with_team_size(*load_config(DEFAULT_CONFIG), n_agent)
    main_config.policy.cuda = False
    main_config.policy.collect.n_sample = N_ENV * 6  # six steps of every env
    return compile_config(main_config, create_cfg=create_config, seed=SEED, auto=True, save_cfg=False)


def policy_of(cfg):
    torch.manual_seed(0)
    return create_policy(cfg.policy, enable_field=['collect'])


class Context:
    env_step = 0


@pytest.mark.parametrize('n_agent', [3, 8])
def test_batched_and_per_env_collection_give_the_same_transitions(n_agent):
    cfg = default_cfg(n_agent)
    # Per env, as DI-engine's collectors do it: env i seeded SEED + i, one policy call with every env's observation.
    per_env_policy = policy_of(cfg)
    envs = [CooperativeNavigationEnv(cfg.env) for _ in range(N_ENV)]
    for i, env in enumerate(envs):
        env.seed(SEED + i, dynamic_seed=True)
    obs = {i: env.reset() for i, env in enumerate(envs)}
    per_env = {i: [] for i in range(N_ENV)}
    torch.manual_seed(1)
    for _ in range(6):
        output = per_env_policy.collect_mode.forward(obs)
        for i, env in enumerate(envs):
            timestep = env.step(output[i]['action'].numpy())
            per_env[i].append(per_env_policy.collect_mode.process_transition(obs[i], output[i], timestep))
            obs[i] = timestep.obs
    # Batched: the torch_batched env (float64 physics, as the numpy envs) and the batched collector.
    batched_env = ENV_MANAGER_REGISTRY.get('torch_batched')(cfg.env, env_num=N_ENV, dtype=torch.float64)
    replay = TensorReplayBuffer(capacity=100)
    collect = batched_collector(cfg, policy_of(cfg).collect_mode, batched_env, replay)
    torch.manual_seed(1)
    ctx = Context()
    collect(ctx)
    assert ctx.env_step == len(replay) == N_ENV * 6
    for step in range(6):
        for i in range(N_ENV):
            expected, row = per_env[i][step], step * N_ENV + i
            for part in ('obs', 'next_obs'):
                np.testing.assert_allclose(replay._storage[part]['agent_state'][row].numpy(),
                                           expected[part]['agent_state'], atol=1e-5, err_msg=f'{part} {step} {i}')
            for key in ('initiator', 'group', 'group_round', 'action', 'reward'):
                np.testing.assert_allclose(replay._storage[key][row].double().numpy(),
                                           torch.as_tensor(expected[key]).double().numpy(), atol=1e-5,
                                           err_msg=f'{key} step {step} env {i}')


@pytest.mark.parametrize('collector,path', [('auto', 'the batched env'), ('per-env', "DI-engine's per-env managers")])
def test_ding_atoc_train_collects_with_the_batched_env_by_default(collector, path, in_tmp_path_one_thread, capsys):
    assert main(['train', '-c', DEFAULT_CONFIG, '--env-step', '800', '--no-progress', '--collector', collector]) == 0
    out = capsys.readouterr().out
    assert f'collecting with {path}' in out
    run = next(p for p in os.listdir(in_tmp_path_one_thread) if p.startswith('cooperative_navigation_ding_atoc'))
    with open(os.path.join(run, 'summary.json')) as f:
        summary = json.load(f)
    assert summary['env_step'] == 800 and summary['train_iter'] == 80  # two collections of 400, 40 updates each
    assert os.path.isfile(os.path.join(run, 'ckpt', 'ckpt_latest.pth.tar'))


def test_batched_collector_cannot_be_forced_on_a_policy_that_collects_per_env(in_tmp_path_one_thread, capsys):
    maddpg = os.path.join(ROOT, 'configs', 'cooperative_navigation', 'maddpg_config.py')
    assert main(['train', '-c', maddpg, '--env-step', '100', '--no-progress', '--collector', 'batched']) != 0
    assert "--collector batched is not possible: policy" in capsys.readouterr().err
