"""Rescaling a config to another team size keeps every model size consistent with the env."""
import json

import pytest
from ding.config import compile_config

from ding_atoc.entry.config_loader import load_config
from ding_atoc.entry.env_check import check_env_matches_config, with_team_size
from dizoo_envs.cooperative_navigation import CooperativeNavigationEnv
from tests.entry.test_entry_points import DEFAULT_CONFIG


@pytest.mark.parametrize('n_agent', [3, 10, 50])
def test_default_config_scales_to_any_team_size(n_agent):
    main_config, create_config = with_team_size(*load_config(DEFAULT_CONFIG), n_agent)
    assert main_config.env.n_agent == n_agent == main_config.policy.model.n_agent
    assert main_config.env.n_landmark == n_agent
    assert main_config.policy.model.group_size < n_agent
    cfg = compile_config(main_config, create_cfg=create_config, auto=True, save_cfg=False)
    check_env_matches_config(cfg, CooperativeNavigationEnv(cfg.env))  # raises on any mismatch


@pytest.mark.parametrize('config', ['qmix_config.py', 'mappo_config.py', 'atoc_config.py'])
def test_baseline_configs_scale_with_python_int_sizes(config):
    path = DEFAULT_CONFIG.replace('ding_atoc_config.py', config)
    main_config, _ = with_team_size(*load_config(path), 7)
    model = main_config.policy.model
    sizes = [value for key, value in model.items() if key.endswith('shape') or key in ('n_agent', 'agent_num')]
    assert sizes and all(type(value) is int for value in sizes)
    assert 7 in sizes


@pytest.mark.parametrize('n_agent', [6, 12])
def test_a_policy_trained_at_one_team_size_evaluates_zero_shot_at_another(n_agent, in_tmp_path_one_thread, capsys):
    from ding_atoc.entry.cli import main
    assert main(['train', '-c', DEFAULT_CONFIG, '--n-agent', '3', '--train-iter', '40', '--no-progress']) == 0
    checkpoint = in_tmp_path_one_thread / 'cooperative_navigation_ding_atoc_n3_seed0' / 'ckpt' / 'ckpt_latest.pth.tar'
    capsys.readouterr()
    assert main(['eval', '-c', DEFAULT_CONFIG, '--ckpt', str(checkpoint), '--n-agent', str(n_agent),
                 '--episodes', '1', '--gif', str(in_tmp_path_one_thread / 'zero_shot.gif')]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {'eval_return', 'occupied_landmarks', 'collisions', 'eval_initiator_share'} <= set(metrics)
    assert (in_tmp_path_one_thread / 'zero_shot.gif').is_file()
