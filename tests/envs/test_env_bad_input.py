"""Bad input raises a clear error naming the problem, never a silent reset."""
import copy

import numpy as np
import pytest

from tests import tiny
from .helpers import CONFIG_FOLDERS, ENV_NAMES, NATIVE_ENVS, make_env


@pytest.mark.parametrize('name', ENV_NAMES)
@pytest.mark.parametrize(
    'action,match', [
        (np.zeros(4, dtype=np.int64), 'shape'),
        (np.zeros((3, 2), dtype=np.int64), 'shape'),
        (np.zeros(3, dtype=np.float32), 'integer'),
        (np.array([0, 1, 5]), r'\[0, 5\)'),
        (np.array([0, -1, 2]), r'\[0, 5\)'),
    ]
)
def test_bad_discrete_actions(name, action, match):
    env = make_env(name, n_agent=3)
    env.seed(0)
    env.reset()
    with pytest.raises(ValueError, match=match):
        env.step(action)
    env.step(np.zeros(3, dtype=np.int64))  # the env is still usable
    env.step(np.zeros((3, 1), dtype=np.int64))  # (A, 1) is accepted too


@pytest.mark.parametrize('name', ENV_NAMES)
def test_bad_continuous_actions(name):
    env = make_env(name, n_agent=3, continuous_actions=True)
    env.seed(0)
    env.reset()
    good = env.random_action()
    for bad, match in [
        (good[:2], 'shape'),
        (np.zeros((3, 7), np.float32), 'shape'),
        (good.astype(np.int64), 'float'),
        (np.where(np.arange(good.size).reshape(good.shape) == 1, np.nan, good).astype(np.float32), 'NaN'),
        (np.full(good.shape, np.inf, np.float32), 'NaN or inf'),
    ]:
        with pytest.raises(ValueError, match=match):
            env.step(bad)
    env.step(good)


@pytest.mark.parametrize('name', ENV_NAMES)
def test_step_after_episode_end_and_before_reset(name):
    env = make_env(name, n_agent=3, max_cycles=2)
    with pytest.raises(RuntimeError, match='before reset'):
        env.step(np.zeros(3, dtype=np.int64))
    env.seed(0)
    env.reset()
    env.step(env.random_action())
    assert env.step(env.random_action()).done
    with pytest.raises(RuntimeError, match='after the episode ended'):
        env.step(env.random_action())
    env.reset()  # a reset makes it usable again
    env.step(env.random_action())


@pytest.mark.parametrize('name', ENV_NAMES)
@pytest.mark.parametrize('n_agent', [1, 0, 2.5, True])
def test_too_few_agents(name, n_agent):
    with pytest.raises(ValueError, match='n_agent'):
        make_env(name, n_agent=n_agent)


@pytest.mark.parametrize('name', NATIVE_ENVS)
def test_bad_team_config(name):
    with pytest.raises(ValueError, match='n_nearest=3 exceeds'):
        make_env(name, n_agent=3, n_nearest=3)
    with pytest.raises(ValueError, match='observable_field.k=5 exceeds'):
        make_env(name, n_agent=4, observable_field=dict(k=5))
    with pytest.raises(ValueError, match="observable_field.type='cone'"):
        make_env(name, observable_field=dict(type='cone'))
    with pytest.raises(ValueError, match='radius'):
        make_env(name, observable_field=dict(type='radius', radius=-1.0))
    with pytest.raises(ValueError, match='max_cycles'):
        make_env(name, max_cycles=0)
    with pytest.raises(ValueError, match='act_scale'):
        make_env(name, act_scale=True, continuous_actions=False)
    with pytest.raises(ValueError, match='agent_size'):
        make_env(name, agent_size=0.0)
    with pytest.raises(ValueError, match="reward_type='global', expected one of"):
        make_env(name, reward_type='global')
    make_env(name, n_agent=2, n_nearest=1)  # the smallest team
    make_env(name, n_agent=2, n_nearest=1, reward_type='local')


def test_bad_entity_counts():
    with pytest.raises(ValueError, match='n_nearest_landmark=4 exceeds n_landmark=3'):
        make_env('cooperative_navigation', n_agent=5, n_landmark=3, n_nearest_landmark=4)
    with pytest.raises(ValueError, match='n_landmark'):
        make_env('cooperative_navigation', n_landmark=0)
    with pytest.raises(ValueError, match='n_prey'):
        make_env('predator_prey', n_prey=0)
    with pytest.raises(ValueError, match='n_nearest_prey=2 exceeds n_prey=1'):
        make_env('predator_prey', n_prey=1, n_nearest_prey=2)
    with pytest.raises(ValueError, match='n_landmark=4'):
        make_env('simple_spread_seeded', n_agent=3, n_landmark=4)
    with pytest.raises(ValueError, match="reward_type='local' scores each agent by its n_nearest_landmark"):
        make_env('cooperative_navigation', n_nearest_landmark=0, reward_type='local')
    with pytest.raises(ValueError, match="local_reward_scope='voronoi', expected one of"):
        make_env('cooperative_navigation', reward_type='local', local_reward_scope='voronoi')
    # the difference reward needs no landmark in view
    make_env('cooperative_navigation', n_nearest_landmark=0, reward_type='local', local_reward_scope='difference')
    make_env('cooperative_navigation', n_nearest_landmark=0)  # a team reward needs no landmark in view
    # hidden_target_navigation: one target landmark per agent
    with pytest.raises(KeyError, match="unknown config key 'n_landmark'"):
        make_env('hidden_target_navigation', n_agent=4, n_landmark=4)
    with pytest.raises(ValueError, match='n_nearest_landmark=5 exceeds n_landmark=4'):
        make_env('hidden_target_navigation', n_agent=4, n_nearest_landmark=5)


@pytest.mark.parametrize('name', ENV_NAMES)
def test_unknown_config_keys(name):
    with pytest.raises(KeyError, match="unknown config key 'n_agents'"):
        make_env(name, n_agents=4)
    if name in NATIVE_ENVS:
        with pytest.raises(KeyError, match="unknown config key 'observable_field.radios'"):
            make_env(name, observable_field=dict(radios=2.0))
        with pytest.raises(KeyError, match="unknown config key 'physics.gravity'"):
            make_env(name, physics=dict(gravity=9.8))
        with pytest.raises(TypeError, match="'observable_field' must be a dict"):
            make_env(name, observable_field='radius')


@pytest.mark.parametrize('name', ENV_NAMES)
def test_di_engine_standard_keys_accepted(name):
    env = make_env(
        name,
        type=name,
        import_names=['dizoo_envs'],
        collector_env_num=8,
        evaluator_env_num=8,
        n_evaluator_episode=8,
        stop_value=0,
        manager=dict(shared_memory=False),
        replay_path=None,
        env_family='mpe',
        env_id='simple_spread_v2',
        cfg_type='SomethingDict',
        continuous_actions=True,
        act_scale=True,
    )
    env.seed(0)
    env.reset()


@pytest.mark.parametrize('name', ENV_NAMES)
def test_compiled_di_engine_config_accepted(name):
    """The env config as DI-engine's compile_config hands it to the env (manager, cfg_type, ... included)."""
    from ding.config import compile_config
    from ding.envs import get_vec_env_setting
    main_config, create_config = tiny.load(f'{CONFIG_FOLDERS[name]}/ding_atoc_config.py')
    cfg = compile_config(copy.deepcopy(main_config), seed=0, auto=True, create_cfg=create_config, save_cfg=False)
    env_fn, collector_cfgs, evaluator_cfgs = get_vec_env_setting(cfg.env)
    env = env_fn(collector_cfgs[0])
    env.seed(0)
    env.reset()
    env_fn(evaluator_cfgs[0])


def test_set_state_needs_running_episode_and_seed_type():
    env = make_env('cooperative_navigation')
    with pytest.raises(RuntimeError, match='reset'):
        env.set_state(np.zeros((3, 2)))
    env.seed(0)
    env.reset()
    with pytest.raises(ValueError, match='shape'):
        env.set_state(np.zeros((4, 2)))
    with pytest.raises(TypeError, match='seed'):
        env.seed('0')
