"""API conformance of the envs: spaces match the returned arrays, dtypes, shapes, episode end, info."""
import numpy as np
import pytest
from ding.envs import BaseEnv, BaseEnvTimestep

from ding_atoc.obs_keys import ACTION_MASK, AGENT_DISTANCE, AGENT_STATE, GLOBAL_STATE
from dizoo_envs.hidden_target_navigation import HiddenTargetNavigationEnv
from .helpers import ENV_NAMES, NATIVE_ENVS, make_env

DI_ENGINE_KEYS = {'agent_state', 'global_state', 'agent_alone_state', 'agent_alone_padding_state', 'action_mask'}
METRICS = {
    'cooperative_navigation': ('occupied_landmarks', 'collisions', 'mean_distance'),
    'hidden_target_navigation': ('on_target', 'mean_target_distance', 'collisions'),
    'predator_prey': ('catches', 'time_to_first_catch'),
    'simple_spread_seeded': (),
}


def _check_obs(env, obs):
    space = env.observation_space
    assert set(obs) == DI_ENGINE_KEYS | {AGENT_DISTANCE}
    for key, value in obs.items():
        assert isinstance(value, np.ndarray), key
        assert value.dtype == np.float32, (key, value.dtype)
        assert value.shape == space[key].shape, (key, value.shape, space[key].shape)
        assert space[key].contains(value), key
    a = obs[AGENT_STATE].shape[0]
    assert obs[AGENT_DISTANCE].shape == (a, a)
    assert np.isinf(np.diag(obs[AGENT_DISTANCE])).all()
    assert np.all(obs[ACTION_MASK] == 1.0)
    assert np.isfinite(obs[AGENT_STATE]).all() and np.isfinite(obs[GLOBAL_STATE]).all()


CASES = [
    (name, n, continuous, specific) for name in ENV_NAMES for n in (3, 6) for continuous in (False, True)
    for specific in (False, True)
] + [('cooperative_navigation', 100, False, True), ('predator_prey', 40, True, True)]


@pytest.mark.parametrize('name,n_agent,continuous,specific', CASES)
def test_episode_conforms_to_spaces(name, n_agent, continuous, specific):
    env = make_env(name, n_agent=n_agent, continuous_actions=continuous, agent_specific_global_state=specific,
                   max_cycles=5)
    assert isinstance(env, BaseEnv)
    assert 'n_agent' in repr(env) or 'PettingZoo' in repr(env) or 'Env' in repr(env)
    env.seed(3)
    obs = env.reset()
    _check_obs(env, obs)
    a, d = obs[AGENT_STATE].shape
    if specific:
        assert obs[GLOBAL_STATE].shape[0] == a and obs[GLOBAL_STATE].shape[1] > d
        np.testing.assert_array_equal(obs[GLOBAL_STATE][:, :d], obs[AGENT_STATE])
    else:
        assert obs[GLOBAL_STATE].ndim == 1
    total = 0.0
    for t in range(5):
        action = env.random_action()
        for i in range(a):
            assert env.action_space[f'agent_{i}'].contains(action[i].astype(env.action_space['agent_0'].dtype))
        ts = env.step(action)
        assert isinstance(ts, BaseEnvTimestep)
        _check_obs(env, ts.obs)
        assert ts.reward.shape == (1, ) and ts.reward.dtype == np.float32
        assert env.reward_space.shape == (1, ) or name == 'simple_spread_seeded'
        assert isinstance(ts.done, bool)
        assert ts.done == (t == 4)
        total += float(ts.reward[0])
    assert ts.info['eval_episode_return'] == pytest.approx(total, rel=1e-5, abs=1e-4)
    for key in METRICS[name]:
        assert key in ts.info and key in ts.info['episode_info']
        assert np.isscalar(ts.info['episode_info'][key].item())
    env.close()


@pytest.mark.parametrize('name', NATIVE_ENVS)
@pytest.mark.parametrize('continuous', [False, True])
def test_local_reward_changes_the_reward_only(name, continuous):
    """reward_type='local': float32 (A,) rewards; observations, team return and task metrics as with 'team'."""
    team, local = (make_env(name, n_agent=5, reward_type=r, continuous_actions=continuous, max_cycles=6)
                   for r in ('team', 'local'))
    assert team.reward_space.shape == (1, ) and local.reward_space.shape == (5, )
    for env in (team, local):
        env.seed(4)
    obs_team, obs_local = team.reset(), local.reset()
    local_sum = np.zeros(5)
    for _ in range(6):
        for key in obs_team:
            np.testing.assert_array_equal(obs_team[key], obs_local[key])
        action = team.random_action()
        ts_team, ts_local = team.step(action), local.step(action)
        assert ts_local.reward.shape == (5, ) and ts_local.reward.dtype == np.float32
        assert local.reward_space.contains(ts_local.reward)
        local_sum += ts_local.reward
        obs_team, obs_local = ts_team.obs, ts_local.obs
    assert ts_local.done and ts_local.info['eval_episode_return'] == ts_team.info['eval_episode_return']
    assert ts_local.info['episode_info'] == ts_team.info['episode_info']
    assert not np.allclose(local_sum, local_sum[0])  # the agents are rewarded apart


@pytest.mark.parametrize('name', NATIVE_ENVS)
def test_agent_obs_only(name):
    env = make_env(name, n_agent=4, agent_obs_only=True)
    env.seed(0)
    obs = env.reset()
    assert isinstance(obs, np.ndarray) and obs.dtype == np.float32
    assert obs.shape == env.observation_space.shape
    ts = env.step(env.random_action())
    assert ts.obs.shape == obs.shape


@pytest.mark.parametrize('name', NATIVE_ENVS)
def test_local_observation_size_is_independent_of_team_size(name):
    dims = {make_env(name, n_agent=n, n_nearest=3).observation_space[AGENT_STATE].shape[1] for n in (4, 10, 50)}
    assert len(dims) == 1


@pytest.mark.parametrize('name', ENV_NAMES)
def test_obs_shapes_match_spaces(name):
    from ding.utils import ENV_REGISTRY
    make_env(name)  # registers
    cfg = dict(n_agent=5, n_nearest=3, continuous_actions=True)
    if name == 'cooperative_navigation':
        cfg['n_landmark'] = 7
    if name == 'simple_spread_seeded':
        cfg = dict(n_agent=5, n_landmark=5)
    shapes = ENV_REGISTRY.get(name).obs_shapes(cfg)
    env = make_env(name, agent_specific_global_state=True, **cfg)
    env.seed(0)
    obs = env.reset()
    space = env.observation_space
    assert obs[AGENT_STATE].shape == space[AGENT_STATE].shape == (5, shapes['agent_obs_shape'])
    assert obs[GLOBAL_STATE].shape == space[GLOBAL_STATE].shape == (5, shapes['agent_specific_global_obs_shape'])
    assert obs['agent_alone_state'].shape == space['agent_alone_state'].shape == (5, shapes['agent_alone_obs_shape'])
    assert shapes['action_shape'] == (5 if name == 'simple_spread_seeded' else 2) and shapes['agent_num'] == 5
    env = make_env(name, **cfg)
    env.seed(0)
    assert env.reset()[GLOBAL_STATE].shape == (shapes['global_obs_shape'], )


def test_navigation_observation_content():
    env = make_env('cooperative_navigation', n_agent=4, n_landmark=3, n_nearest=2, n_nearest_landmark=2,
                   arena_size=2.0)
    env.seed(0)
    env.reset()
    agents = np.array([[0., 0.], [1., 0.], [0., -0.5], [-1.5, 1.5]])
    vel = np.array([[0.1, 0.2], [0., 0.], [0., 0.], [0., 0.]])
    landmarks = np.array([[0.2, 0.3], [-1., -1.], [1.5, 1.5]])
    obs = env.set_state(agents, vel, landmarks)
    s = obs[AGENT_STATE][0]
    np.testing.assert_allclose(s[0:2], [0.1, 0.2])  # own velocity
    np.testing.assert_allclose(s[2:4], [0., 0.])  # own position / H
    np.testing.assert_allclose(s[4:8], [0., -0.5, 1., 0.])  # 2 nearest agents, nearest first
    np.testing.assert_allclose(s[8:12], [0.2, 0.3, -1., -1.])  # 2 nearest landmarks
    np.testing.assert_allclose(obs['agent_alone_state'][0], np.r_[s[:4], s[8:]])
    np.testing.assert_allclose(obs['agent_alone_padding_state'][0], np.r_[s[:4], np.zeros(4), s[8:]])
    np.testing.assert_allclose(obs[AGENT_STATE][3, 2:4], [-0.75, 0.75])
    g = obs[GLOBAL_STATE]
    np.testing.assert_allclose(g[:8], agents.ravel() / 2.0, rtol=1e-6)
    np.testing.assert_allclose(g[8:16], vel.ravel(), rtol=1e-6)
    np.testing.assert_allclose(g[16:], landmarks.ravel() / 2.0, rtol=1e-6)


def test_hidden_target_observation_content():
    """Agent i sees its client's target relative to the client, never its own; its partner is always in its field."""
    env = make_env('hidden_target_navigation', n_agent=4, n_nearest=1, n_nearest_landmark=1, arena_size=2.0,
                   observable_field=dict(type='k_nearest', k=1))
    env.seed(0)
    env.reset()
    np.testing.assert_array_equal(env.clients[:, 0], [1, 0, 3, 2])  # pairs (0, 1), (2, 3)
    agents = np.array([[0., 0.], [1.5, 0.], [0.5, 0.], [-1.5, 1.5]])
    targets = np.array([[-1., -1.], [1., 1.], [0.4, 0.2], [0., 1.5]])  # agent i's target: targets[i]
    obs = env.set_state(agents, landmark_pos=targets)
    s = obs[AGENT_STATE]
    assert s.shape == (4, 4 + 2 + 2 + 2)
    np.testing.assert_allclose(s[0, 4:6], [0.5, 0.])  # nearest agent: 2
    np.testing.assert_allclose(s[0, 6:8], targets[1] - agents[1])  # client 1's target, relative to agent 1
    np.testing.assert_allclose(s[1, 6:8], targets[0] - agents[0])
    np.testing.assert_allclose(s[3, 6:8], targets[2] - agents[2])
    np.testing.assert_allclose(s[2, 8:10], targets[2] - agents[2], atol=1e-7)  # the nearest landmark, unlabelled
    np.testing.assert_allclose(obs['agent_alone_state'][0], np.r_[s[0, :4], s[0, 8:]])
    dist = obs[AGENT_DISTANCE]
    # the nearest agent (k=1) and the partner; agent 3's nearest agent is 0, its partner 2
    np.testing.assert_array_equal(np.isfinite(dist), [[0, 1, 1, 0], [1, 0, 1, 0], [1, 0, 0, 1], [1, 0, 1, 0]])
    assert dist[0, 1] == pytest.approx(1.5) and dist[3, 2] == pytest.approx(np.hypot(2.0, 1.5))
    # centralized critics: each agent's row of the agent-specific global state holds its own target (privileged)
    critic_env = make_env('hidden_target_navigation', n_agent=4, n_nearest=1, n_nearest_landmark=1, arena_size=2.0,
                          agent_specific_global_state=True)
    critic_env.seed(0)
    critic_env.reset()
    critic_obs = critic_env.set_state(agents, landmark_pos=targets)
    rows = critic_obs[GLOBAL_STATE]
    assert rows.shape == (4, 10 + 2 + 24) == critic_env.observation_space[GLOBAL_STATE].shape
    np.testing.assert_array_equal(rows[:, :10], s)
    np.testing.assert_allclose(rows[:, 10:12], targets - agents, atol=1e-7)
    np.testing.assert_array_equal(rows[:, 12:], np.broadcast_to(obs[GLOBAL_STATE], (4, 24)))
    assert HiddenTargetNavigationEnv.obs_shapes(dict(n_agent=4, n_nearest=1, n_nearest_landmark=1)) == dict(
        agent_obs_shape=10, global_obs_shape=24, agent_specific_global_obs_shape=36, agent_alone_obs_shape=6,
        action_shape=5, agent_num=4)


def test_hidden_target_partners_any_team_size():
    for n in range(2, 12):
        env = make_env('hidden_target_navigation', n_agent=n, n_nearest=1)
        clients = env.clients[:, 0]
        assert sorted(clients) == list(range(n)) and (clients != np.arange(n)).all()  # a permutation, no one alone
        cycles = clients[clients] == np.arange(n)  # pairs: each knows the other's target
        assert cycles.sum() == n - 3 * (n % 2)
        partners = env.always_in_field
        assert partners.shape == (n, 2)
        np.testing.assert_array_equal(clients[partners[:, 1]], np.arange(n))  # column 1: the informant


def test_predator_observation_content():
    env = make_env('predator_prey', n_agent=3, n_prey=2, n_nearest=1, n_nearest_prey=1, arena_size=2.0)
    env.seed(0)
    env.reset()
    obs = env.set_state(
        agent_pos=[[0., 0.], [0.5, 0.], [-1., 0.]],
        prey_pos=[[0., 1.], [0., -1.5]],
        agent_vel=[[0.1, 0.], [0., 0.3], [0., 0.]],
        prey_vel=[[1., 0.], [0., 0.]],
    )
    s = obs[AGENT_STATE][0]
    np.testing.assert_allclose(s[:4], [0.1, 0., 0., 0.])
    np.testing.assert_allclose(s[4:8], [0.5, 0., -0.1, 0.3])  # nearest predator: rel pos, rel vel
    np.testing.assert_allclose(s[8:12], [0., 1., 0.9, 0.])  # nearest prey: rel pos, rel vel


def test_simple_spread_seeded_matches_di_engine_petting_zoo():
    from easydict import EasyDict
    from dizoo.petting_zoo.envs.petting_zoo_simple_spread_env import PettingZooEnv
    cfg = dict(env_family='mpe', env_id='simple_spread_v2', n_agent=3, n_landmark=3, max_cycles=25,
               agent_obs_only=False, agent_specific_global_state=True, continuous_actions=False)
    ref = PettingZooEnv(EasyDict(cfg))
    ours = make_env('simple_spread_seeded', **{k: v for k, v in cfg.items() if k not in ('env_family', 'env_id')})
    ref.seed(7)
    ours.seed(7, dynamic_seed=False)  # evaluator: the episode seed is the seed itself, as DI-engine's
    o_ref, o_ours = ref.reset(), ours.reset()
    actions = np.random.default_rng(0).integers(0, 5, size=(10, 3))
    for t in range(10):
        for key in o_ref:
            np.testing.assert_array_equal(o_ref[key], o_ours[key], err_msg=key)
            assert o_ref[key].shape == ours.observation_space[key].shape
        ts_ref, ts_ours = ref.step(actions[t]), ours.step(actions[t])
        np.testing.assert_array_equal(ts_ref.reward, ts_ours.reward)
        o_ref, o_ours = ts_ref.obs, ts_ours.obs
    pos = o_ours[AGENT_STATE][:, 2:4].astype(np.float64)
    expected = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    np.fill_diagonal(expected, np.inf)
    np.testing.assert_allclose(o_ours[AGENT_DISTANCE], expected, rtol=1e-5)


def test_default_config_and_registry():
    from ding.utils import ENV_REGISTRY
    import dizoo_envs  # noqa: F401  registers the native envs
    import dizoo_envs.simple_spread_seeded  # noqa: F401
    for name in ENV_NAMES:
        cls = ENV_REGISTRY.get(name)
        cfg = cls.default_config()
        assert cfg.cfg_type == cls.__name__ + 'Dict'
        env = cls(cfg)  # the default config itself is valid, cfg_type included
        env.seed(0)
        env.reset()
