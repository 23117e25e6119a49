"""Rescaling a config to another team size keeps every model size consistent with the env."""
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
