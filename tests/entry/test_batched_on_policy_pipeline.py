"""
Specification of ``ding-atoc train`` for ``ding_atoc_mappo`` (on-policy): it collects rollouts from the batched env by
default (``--collector per-env`` keeps DI-engine's per-env path), a run of a few hundred env steps learns, evaluates
and checkpoints as the per-env path does, and the same seed reproduces it bit for bit.
"""
import csv
import os

import pytest
import torch

from ding_atoc.entry.cli import main
from ding_atoc.entry.config_loader import load_config
from ding_atoc.entry.env_check import with_team_size
from ding_atoc.entry.train import train

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: Environment steps of a run: three collections of 100 (4 envs x 25 steps), each ending episodes of 20 steps.
ENV_STEPS, N_SAMPLE, BATCH_SIZE, EPOCHS = 300, 100, 50, 2

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')


def config_path(env):
    return os.path.join(ROOT, 'configs', env, 'ding_atoc_mappo_config.py')


def small_config(env, n_agent, exp_name):
    main_config, create_config = with_team_size(*load_config(config_path(env)), n_agent)
    main_config.exp_name = exp_name
    main_config.env.update(max_cycles=20, collector_env_num=4, evaluator_env_num=2, n_evaluator_episode=2)
    main_config.policy.cuda = False
    main_config.policy.collect.n_sample = N_SAMPLE
    main_config.policy.learn.update(batch_size=BATCH_SIZE, epoch_per_collect=EPOCHS)
    main_config.policy.eval.evaluator.eval_freq = 4
    return main_config, create_config


def eval_rows(run):
    with open(os.path.join(run, 'eval_log.csv')) as f:
        return [{k: v for k, v in row.items() if k != 'wall_s'} for row in csv.DictReader(f)]


def final_weights(run):
    state = torch.load(os.path.join(run, 'ckpt', 'ckpt_latest.pth.tar'), map_location='cpu', weights_only=False)
    return state['policy']['model']


@pytest.mark.parametrize('env,n_agent', [('hidden_target_navigation', 3), ('hidden_target_navigation', 6),
                                         ('cooperative_navigation', 4)])
def test_batched_on_policy_training_runs_and_reproduces_bit_for_bit(env, n_agent, capsys):
    summaries = [train(small_config(env, n_agent, f'run{i}'), seed=1, max_env_step=ENV_STEPS, progress=False)
                 for i in range(2)]
    assert 'collecting with the batched env (torch_batched, 4 envs' in capsys.readouterr().out
    runs = [summary['exp_name'] for summary in summaries]
    # 3 collections of 100 samples, each EPOCHS epochs of minibatches of BATCH_SIZE
    assert summaries[0]['env_step'] == ENV_STEPS
    assert summaries[0]['train_iter'] == ENV_STEPS // N_SAMPLE * EPOCHS * (N_SAMPLE // BATCH_SIZE)
    rows = eval_rows(runs[0])
    assert [int(row['env_step']) for row in rows] == [0, 100, 200, 300]  # every 4 train iters: every collection
    assert rows == eval_rows(runs[1])
    ours, theirs = final_weights(runs[0]), final_weights(runs[1])
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)


@pytest.mark.parametrize('gate_learning,action_space', [('gain', 'discrete'), ('policy', 'continuous')])
def test_both_gate_learnings_and_action_spaces_train_on_the_batched_path(gate_learning, action_space):
    main_config, create_config = small_config('cooperative_navigation', 3, 'run')
    main_config.policy.model.gate_learning = gate_learning
    if action_space == 'continuous':  # the gate's decision and the move make a hybrid action for PPO
        main_config.env.continuous_actions = True
        main_config.policy.action_space = main_config.policy.model.action_space = 'continuous'
        main_config.policy.model.action_shape = 2
    summary = train((main_config, create_config), max_env_step=2 * N_SAMPLE, progress=False, collector='batched')
    assert summary['train_iter'] == 2 * EPOCHS * (N_SAMPLE // BATCH_SIZE)


@pytest.mark.parametrize('collector,path', [('auto', 'the batched env'), ('per-env', "DI-engine's per-env managers")])
def test_ding_atoc_mappo_collects_with_the_batched_env_by_default(collector, path, capsys):
    main_config, create_config = small_config('hidden_target_navigation', 4, 'run')
    train((main_config, create_config), max_env_step=N_SAMPLE, progress=False, collector=collector)
    assert f'collecting with {path}' in capsys.readouterr().out


def test_di_engines_mappo_cannot_be_forced_onto_the_batched_path(capsys):
    mappo = os.path.join(ROOT, 'configs', 'hidden_target_navigation', 'mappo_config.py')
    assert main(['train', '-c', mappo, '--env-step', '100', '--no-progress', '--collector', 'batched']) != 0
    assert "--collector batched is not possible: policy 'ppo' collects per env" in capsys.readouterr().err
