"""
Every file under ``configs/``: it loads with DI-engine's ``read_config``, follows the config conventions (relative
``exp_name``, ``max_env_step``, ``import_names`` for env and policy, base env manager, ``cuda=True``, a
``__main__`` block with the right serial entry), compiles with ``compile_config(auto=True)``, builds an env whose
sizes match the model config, at its own team size and at another one (edit ``n_agent``), and trains for one
iteration with DI-engine's serial entry, shrunk by ``tests/tiny.py``, writing a checkpoint. The settings the issue
asks for: the paper's cooperative navigation (N = L = 50, local rewards) and hidden target navigation's policy set.
"""
import ast
import os
import re

import pytest
from ding.config import compile_config
from ding.envs import get_vec_env_setting

from ding_atoc.entry.config_loader import check_registry_names
from ding_atoc.entry.env_check import check_env_matches_config
from tests import tiny

CONFIGS = tiny.all_config_paths()

#: Keys of ding_atoc that DI-engine's DDPG does not have: each must carry a comment in a config file.
DING_ATOC_KEYS = (
    'comm_interval', 'thought_size', 'group_size', 'initiator_threshold', 'communication', 'initiate_all',
    'critic_use_global_state', 'learning_rate_attention', 'attention_batch_size', 'attention_queue_size',
    'sample_initiators'
)


pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')

PAPER_CONFIGS = ['ding_atoc_paper', 'ding_atoc_paper_nocomm', 'ding_atoc_paper_commall']
DING_ATOC_SET = {'ding_atoc', 'ding_atoc_nocomm', 'ding_atoc_commall'}
BASELINES = {'atoc', 'maddpg', 'masac', 'mappo'}


def _names(path):
    """('cooperative_navigation', 'ding_atoc') for 'cooperative_navigation/ding_atoc_config.py'."""
    folder, name = os.path.split(path)
    return folder, name[:-len('_config.py')]


def _env_and_compiled(main_config, create_config):
    cfg = compile_config(main_config, create_cfg=create_config, auto=True, seed=0, save_cfg=False)
    env_fn, collector_env_cfg, _ = get_vec_env_setting(cfg.env)
    return cfg, env_fn(collector_env_cfg[0])


def test_every_env_has_its_configs():
    policies = DING_ATOC_SET | BASELINES | {'qmix'}
    expected = {
        'cooperative_navigation': policies | set(PAPER_CONFIGS) | {'ding_atoc_mappo'},
        'simple_spread': policies,
        'predator_prey': {'ding_atoc', 'ding_atoc_nocomm', 'ding_atoc_mappo'} | set(PAPER_CONFIGS) | BASELINES,
        'hidden_target_navigation': DING_ATOC_SET | BASELINES | {'ding_atoc_mappo'},
    }
    found = {}
    for path in CONFIGS:
        folder, name = _names(path)
        found.setdefault(folder, set()).add(name)
    assert found == expected


@pytest.mark.parametrize('path', CONFIGS)
def test_config_conventions(path):
    folder, name = _names(path)
    main_config, create_config = tiny.load(path)
    assert main_config.exp_name == f'{folder}_{name}' and not os.path.isabs(main_config.exp_name)
    assert isinstance(main_config.max_env_step, int) and main_config.max_env_step > 0
    assert main_config.policy.cuda is True
    assert create_config.env_manager.type == 'base'
    assert create_config.env.import_names and create_config.policy.import_names
    check_registry_names(create_config)  # imports import_names, checks the types are registered
    text = open(os.path.join(tiny.CONFIG_DIR, path)).read()
    module = ast.parse(text)
    assert ast.get_docstring(module)
    assert re.search(r'^n_agent = \d+', text, flags=re.M), 'team size must be a module-level n_agent'
    entry = 'serial_pipeline_onpolicy' if create_config.policy.type in tiny.ON_POLICY_TYPES else 'serial_pipeline'
    main_block = text[text.index("if __name__ == '__main__':"):]
    assert f'{entry}((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)' in main_block
    if create_config.policy.type == 'ding_atoc':
        lines = text.splitlines()
        for i, line in enumerate(lines):
            key = line.strip().split('=')[0]
            if key in DING_ATOC_KEYS and '=' in line:
                assert lines[i - 1].strip().startswith('#'), f'{path}:{i + 1}: {key} has no comment above it'


@pytest.mark.parametrize('path', CONFIGS)
def test_config_compiles_and_matches_env(path):
    cfg, env = _env_and_compiled(*tiny.load(path))
    assert cfg.env.type == tiny.load(path)[1].env.type
    check_env_matches_config(cfg, env)  # raises ValueError on a size mismatch


@pytest.mark.parametrize('path', CONFIGS)
def test_editing_n_agent_rescales_every_width(path):
    main_config, create_config = tiny.load(path)
    n_agent = main_config.env.n_agent + 2
    main_config, create_config = tiny.load(path, n_agent=n_agent)
    assert main_config.env.n_agent == n_agent
    cfg, env = _env_and_compiled(main_config, create_config)
    check_env_matches_config(cfg, env)


def test_default_widths_are_the_envs():
    """The widths come from the env class, not from a formula in the file: spot-check them against a reset."""
    main_config, _ = tiny.load('cooperative_navigation/ding_atoc_config.py')
    model = main_config.policy.model
    assert (model.obs_shape, model.action_shape, model.n_agent) == (12, 2, 5)
    main_config, _ = tiny.load('simple_spread/mappo_config.py', n_agent=5)
    model = main_config.policy.model
    assert (model.agent_obs_shape, model.action_shape, model.agent_num) == (30, 5, 5)


def test_paper_configs_are_the_default_config_at_n_50_with_local_rewards():
    default_main, default_create = tiny.load('cooperative_navigation/ding_atoc_config.py')
    for name in PAPER_CONFIGS:
        main_config, create_config = tiny.load(f'cooperative_navigation/{name}_config.py')
        env = main_config.env
        assert (env.n_agent, env.n_landmark, env.reward_type) == (50, 50, 'local'), name
        assert main_config.policy.model.n_agent == 50 and main_config.max_env_step >= 10 ** 6
        ablation = tiny.load(f"cooperative_navigation/{name.replace('_paper', '')}_config.py")[0]
        # the same env, policy and model as the default config's (or its ablation's) but for the team size
        assert {k: v for k, v in env.items() if k not in ('n_agent', 'n_landmark', 'reward_type')} == \
            {k: v for k, v in ablation.env.items() if k not in ('n_agent', 'n_landmark')}
        assert {k: v for k, v in main_config.policy.model.items() if k != 'n_agent'} == \
            {k: v for k, v in ablation.policy.model.items() if k != 'n_agent'}
        assert main_config.policy.learn == ablation.policy.learn and create_config == default_create
    assert default_main.env.get('reward_type', 'team') == 'team'  # existing configs keep the team reward


def test_predator_prey_paper_configs_are_the_default_config_at_n_20_with_local_rewards():
    default_main, default_create = tiny.load('predator_prey/ding_atoc_config.py')
    sizes = ('n_agent', 'n_prey', 'reward_type')
    configs = {name: tiny.load(f'predator_prey/{name}_config.py') for name in PAPER_CONFIGS}
    for name, (main_config, create_config) in configs.items():
        env = main_config.env
        assert env.n_agent >= 20 and env.reward_type == 'local' and main_config.max_env_step >= 10 ** 6, name
        assert main_config.policy.model.n_agent == env.n_agent
        # the default config's env, learner and collector but for the team size and the reward
        assert {k: v for k, v in env.items() if k not in sizes} == \
            {k: v for k, v in default_main.env.items() if k not in sizes}
        assert main_config.policy.learn == default_main.policy.learn and create_config == default_create
        assert main_config.policy.collect == default_main.policy.collect
    models = {name: main_config.policy.model for name, (main_config, _) in configs.items()}
    assert {k: v for k, v in models['ding_atoc_paper_nocomm'].items() if k != 'communication'} == \
        {k: v for k, v in models['ding_atoc_paper'].items() if k != 'communication'}
    assert (models['ding_atoc_paper'].communication, models['ding_atoc_paper_nocomm'].communication) == (True, False)
    assert models['ding_atoc_paper_commall'].initiate_all and not models['ding_atoc_paper'].get('initiate_all', False)
    assert default_main.env.get('reward_type', 'team') == 'team'  # the default config keeps the team reward


def test_hidden_target_configs_compare_on_one_task():
    """One team, episode length and budget for every policy; ding_atoc's on local rewards within the partner field,
    with a critic that sees each agent's own target, DI-engine's on the team reward (they take no per-agent
    reward)."""
    configs = {name: tiny.load(f'hidden_target_navigation/{name}_config.py') for name in DING_ATOC_SET | BASELINES}
    assert len({(m.env.n_agent, m.env.max_cycles, m.env.n_nearest, m.max_env_step) for m, _ in configs.values()}) == 1
    for name, (main_config, create_config) in configs.items():
        assert create_config.env.type == 'hidden_target_navigation'
        if name in DING_ATOC_SET:
            assert main_config.env.reward_type == 'local'
            assert main_config.env.observable_field == dict(type='k_nearest', k=0)
            assert main_config.policy.model.group_size >= 1
            # the critic reads the agent-specific global state, which holds the agent's own target
            assert main_config.env.agent_specific_global_state and main_config.policy.model.critic_use_global_state
        else:
            assert main_config.env.get('reward_type', 'team') == 'team'
    comm = {name: configs[name][0].policy.model for name in DING_ATOC_SET}
    assert (comm['ding_atoc'].communication, comm['ding_atoc_nocomm'].communication) == (True, False)
    assert comm['ding_atoc_commall'].initiate_all


def test_predator_prey_baselines_compare_on_the_paper_task():
    """DI-engine's policies on the task of ding_atoc_paper (team, prey, neighbours, episode length, evaluation and
    budget), on the team reward (they take no per-agent reward)."""
    task = ('n_agent', 'n_prey', 'n_nearest', 'max_cycles', 'evaluator_env_num', 'n_evaluator_episode', 'stop_value')
    paper = tiny.load('predator_prey/ding_atoc_paper_config.py')[0]
    for name in BASELINES:
        main_config, create_config = tiny.load(f'predator_prey/{name}_config.py')
        assert create_config.env.type == 'predator_prey'
        assert {k: main_config.env[k] for k in task} == {k: paper.env[k] for k in task}, name
        assert main_config.max_env_step == paper.max_env_step and main_config.policy.cuda
        assert main_config.env.get('reward_type', 'team') == 'team'


@pytest.mark.parametrize('path', CONFIGS)
def test_tiny_run_writes_checkpoint(path, tmp_path):
    main_config, create_config = tiny.shrink(*tiny.load(path), exp_name='run')
    policy = tiny.run(main_config, create_config, max_train_iter=1)
    assert policy is not None
    assert list((tmp_path / 'run' / 'ckpt').glob('*.pth.tar'))
