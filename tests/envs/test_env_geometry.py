"""Distance matrix semantics (inf outside the observable field, radius vs k nearest), nearest-K selection, physics."""
import numpy as np
import pytest

from ding_atoc.obs_keys import AGENT_DISTANCE
from dizoo_envs.geometry import field_distance_matrix, gather_neighbours, k_nearest, pairwise_offsets
from dizoo_envs.physics import PointMassWorld
from .helpers import NATIVE_ENVS, make_env


def _true_distances(env):
    pos = env.render_state()['agents']
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    return d


def _always_in_field(env):
    """(A, A) bool: the agents in each agent's field whatever its type (hidden_target_navigation's partners)."""
    mask = np.zeros((env.cfg.n_agent, ) * 2, dtype=bool)
    if env.always_in_field is not None:
        np.put_along_axis(mask, env.always_in_field, True, axis=1)
    return mask


@pytest.mark.parametrize('name', NATIVE_ENVS)
@pytest.mark.parametrize('n_agent,k', [(3, 1), (10, 3), (100, 5)])
def test_k_nearest_field(name, n_agent, k):
    env = make_env(name, n_agent=n_agent, n_nearest=min(3, n_agent - 1), observable_field=dict(type='k_nearest', k=k))
    env.seed(1)
    obs = env.reset()
    always = _always_in_field(env)
    for _ in range(2):
        dist = obs[AGENT_DISTANCE]
        true = _true_distances(env)
        assert dist.dtype == np.float32 and dist.shape == (n_agent, n_agent)
        assert np.isinf(np.diag(dist)).all()
        finite = np.isfinite(dist)
        np.testing.assert_allclose(dist[finite], true[finite], rtol=1e-5)
        # the finite entries are the k smallest of each row, and the agents always in the field
        kth = np.sort(true, axis=1)[:, k - 1]
        np.testing.assert_array_equal(finite, (true <= kth[:, None]) | always)
        obs = env.step(env.random_action()).obs


@pytest.mark.parametrize('name', NATIVE_ENVS)
@pytest.mark.parametrize('radius', [0.5, 1.5])
def test_radius_field(name, radius):
    env = make_env(name, n_agent=20, observable_field=dict(type='radius', radius=radius))
    env.seed(2)
    obs = env.reset()
    dist, true = obs[AGENT_DISTANCE], _true_distances(env)
    np.testing.assert_array_equal(np.isfinite(dist), (true <= radius) | _always_in_field(env))
    np.testing.assert_allclose(dist[np.isfinite(dist)], true[np.isfinite(dist)], rtol=1e-5)
    np.testing.assert_array_equal(dist, dist.T)
    assert np.isinf(np.diag(dist)).all()
    state = env.render_state()
    assert state['field'] == dict(type='radius', radius=radius)


def test_field_k_defaults_to_n_nearest_and_radius_differs_from_k():
    env = make_env('cooperative_navigation', n_agent=12, n_nearest=4)
    env.seed(0)
    d_k = env.reset()[AGENT_DISTANCE]
    assert (np.isfinite(d_k).sum(axis=1) == 4).all()
    env_r = make_env(
        'cooperative_navigation', n_agent=12, n_nearest=4, observable_field=dict(type='radius', radius=0.8)
    )
    env_r.seed(0)
    d_r = env_r.reset()[AGENT_DISTANCE]
    assert not np.array_equal(np.isfinite(d_k), np.isfinite(d_r))


def test_geometry_functions():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 2)), rng.normal(size=(9, 2))
    dx, dy, dist = pairwise_offsets(a, b)
    np.testing.assert_allclose(dx, b[None, :, 0] - a[:, None, 0])
    np.testing.assert_allclose(dist, np.linalg.norm(b[None] - a[:, None], axis=-1))
    for m in (9, 80):  # argsort and argpartition paths
        d = rng.uniform(size=(5, m))
        for k in (0, 1, 3, m):
            np.testing.assert_array_equal(k_nearest(d, k), np.argsort(d, axis=1)[:, :k])
    idx = k_nearest(dist, 2)
    out = gather_neighbours(idx, dx, dy)
    assert out.shape == (7, 4)
    np.testing.assert_allclose(out[3, 2:4], [dx[3, idx[3, 1]], dy[3, idx[3, 1]]])
    d = np.array([[np.inf, 1., 2.], [1., np.inf, 3.], [2., 3., np.inf]])
    np.testing.assert_array_equal(
        field_distance_matrix(d, 'k_nearest', k_nearest(d, 1), 0.),
        np.array([[np.inf, 1., np.inf], [1., np.inf, np.inf], [2., np.inf, np.inf]], dtype=np.float32)
    )
    np.testing.assert_array_equal(field_distance_matrix(d, 'radius', None, 2.0) <= 2.0, d <= 2.0)
    # agents always in the field come on top of either type
    always = np.array([[2], [2], [0]])
    np.testing.assert_array_equal(
        field_distance_matrix(d, 'k_nearest', k_nearest(d, 1), 0., always),
        np.array([[np.inf, 1., 2.], [1., np.inf, 3.], [2., np.inf, np.inf]], dtype=np.float32)
    )
    np.testing.assert_array_equal(
        field_distance_matrix(d, 'radius', None, 1.5, always),
        np.array([[np.inf, 1., 2.], [1., np.inf, 3.], [2., np.inf, np.inf]], dtype=np.float32)
    )
    with pytest.raises(ValueError, match='field type'):
        field_distance_matrix(d, 'cone', None, 1.0)


def _world(n=2, bounded=True, max_speed=np.inf, half_width=2.0):
    return PointMassWorld(size=np.full(n, 0.15), accel=np.full(n, 5.0), max_speed=np.full(n, max_speed),
                          half_width=half_width, bounded=bounded)


def test_physics_integration_as_mpe():
    w = _world()
    w.set_state(np.array([[-1., 0.], [1., 0.]]), np.array([[1., 0.], [0., 0.]]))
    w.step(np.array([[0., 1.], [0., 0.]]))
    # MPE: v = v * (1 - 0.25) + a * accel / m * dt ; p += v * dt
    np.testing.assert_allclose(w.vel[0], [0.75, 0.5])
    np.testing.assert_allclose(w.pos[0], [-1 + 0.075, 0.05])
    np.testing.assert_allclose(w.pos[1], [1., 0.])


def test_contact_forces_symmetric_and_repulsive():
    w = _world(3)
    w.set_state(np.array([[0., 0.], [0.2, 0.], [1.5, 1.5]]))
    f = w.contact_forces()
    assert f[0, 0] < 0 < f[1, 0]
    np.testing.assert_allclose(f[0], -f[1])
    np.testing.assert_allclose(f[2], 0.0)
    # same magnitude as MPE's formula
    k = 1e-3
    pen = np.logaddexp(0, -(0.2 - 0.3) / k) * k
    assert abs(f[1, 0]) == pytest.approx(100.0 * pen)


def test_speed_limit_and_walls():
    w = _world(2, max_speed=1.0, half_width=1.0)
    w.set_state(np.array([[0.95, 0.], [-0.5, 0.]]), np.array([[5., 0.], [0., 5.]]))
    w.step(np.zeros((2, 2)))
    assert np.linalg.norm(w.vel[1]) == pytest.approx(1.0)
    assert w.pos[0, 0] == pytest.approx(1.0) and w.vel[0, 0] == 0.0  # clipped at the wall, velocity zeroed
    w2 = _world(1, bounded=False, half_width=1.0)
    w2.set_state(np.array([[0.95, 0.]]), np.array([[5., 0.]]))
    w2.step(np.zeros((1, 2)))
    assert w2.pos[0, 0] > 1.0


@pytest.mark.parametrize('n_agent', [3, 30, 100])
def test_arena_grows_with_team_density_constant(n_agent):
    env = make_env('cooperative_navigation', n_agent=n_agent)
    env.seed(0)
    env.reset()
    h = env.render_state()['half_width']
    assert (2 * h) ** 2 / n_agent == pytest.approx(4.0 / 3.0)
    assert np.abs(env.render_state()['agents']).max() <= h


def test_physics_matches_pettingzoo_mpe():
    """Same start, same discrete actions: our vectorized world follows PettingZoo MPE's simple_spread world."""
    ref = make_env('simple_spread_seeded', n_agent=4)
    ref.seed(3)
    ref.reset()
    world = ref._env.aec_env.unwrapped.world
    ours = make_env('cooperative_navigation', n_agent=4, n_landmark=4, physics=dict(bounded=False))
    ours.seed(0)
    ours.reset()
    start = np.array([[0., 0.], [0.2, 0.], [0., 0.25], [0.5, 0.5]])  # overlapping discs: contact forces act
    for agent, pos in zip(world.agents, start):
        agent.state.p_pos = pos.copy()
        agent.state.p_vel = np.zeros(2)
    ours.set_state(start, landmark_pos=[lm.state.p_pos for lm in world.landmarks])
    assert np.isfinite(ours.step(np.zeros(4, dtype=np.int64)).reward) and ref.step(np.zeros(4, dtype=np.int64))
    np.testing.assert_allclose(ours._world.pos, [a.state.p_pos for a in world.agents], atol=1e-9)
    assert np.linalg.norm(ours._world.pos[0] - start[0]) > 0.01  # pushed apart
    rng = np.random.default_rng(0)
    for _ in range(20):
        action = rng.integers(0, 5, size=4)
        ref.step(action)
        ours.step(action)
        np.testing.assert_allclose(ours._world.pos, [a.state.p_pos for a in world.agents], atol=1e-9)
        np.testing.assert_allclose(ours._world.vel, [a.state.p_vel for a in world.agents], atol=1e-9)
