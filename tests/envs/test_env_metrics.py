"""Rewards and episode metrics on hand-built states."""
import numpy as np
import pytest

from dizoo_envs.cooperative_navigation import navigation_reward
from dizoo_envs.predator_prey import caught_prey, prey_flee_action
from .helpers import make_env

NOOP = np.zeros(3, dtype=np.int64)


def _nav(**cfg):
    cfg = dict(dict(n_agent=3, n_landmark=3, max_cycles=1, arena_size=2.0), **cfg)
    env = make_env('cooperative_navigation', **cfg)
    env.seed(0)
    env.reset()
    return env


def test_all_landmarks_occupied():
    env = _nav()
    landmarks = np.array([[-1., 0.], [0., 1.], [1., 0.]])
    env.set_state(landmarks.copy(), landmark_pos=landmarks)
    ts = env.step(NOOP)
    assert ts.done
    assert ts.info['occupied_landmarks'] == 1.0
    assert ts.info['collisions'] == 0.0
    assert ts.info['mean_distance'] == pytest.approx(0.0, abs=1e-12)
    assert ts.reward[0] == pytest.approx(0.0, abs=1e-6)
    assert ts.info['episode_info']['occupied_landmarks'] == 1.0


def test_one_landmark_occupied_and_mean_distance():
    env = _nav()
    landmarks = np.array([[-1., 0.], [0., 1.], [1., 0.]])
    agents = np.array([[-1., 0.05], [0., 1.5], [1.5, 0.]])  # 0.05, 0.5 and 0.5 away
    env.set_state(agents, landmark_pos=landmarks)
    ts = env.step(NOOP)
    assert ts.info['occupied_landmarks'] == pytest.approx(1 / 3)
    assert ts.info['mean_distance'] == pytest.approx((0.05 + 0.5 + 0.5) / 3)
    assert ts.reward[0] == pytest.approx(-(0.05 + 0.5 + 0.5) / 3, rel=1e-5)  # normalized: mean distance


def test_collision_counted_and_penalized():
    env = _nav(max_cycles=2, normalize_reward=False)
    landmarks = np.array([[-1.5, -1.5], [1.5, 1.5], [1.5, -1.5]])
    # agents 0 and 1 at 0.5 apart, rushing towards each other: they overlap (< 0.3) after the step
    agents = np.array([[-0.25, 0.], [0.25, 0.], [-1.5, 1.5]])
    vel = np.array([[2., 0.], [-2., 0.], [0., 0.]])
    env.set_state(agents, vel, landmarks)
    ts = env.step(NOOP)
    pos = env.render_state()['agents']
    assert np.linalg.norm(pos[0] - pos[1]) < 0.3
    nearest = np.linalg.norm(landmarks[None] - pos[:, None], axis=-1).min(axis=0)
    assert ts.reward[0] == pytest.approx(-nearest.sum() - 2.0, rel=1e-5)  # 2 agents in one collision
    ts = env.step(NOOP)  # soft contact pushes them apart
    assert ts.done and ts.info['collisions'] >= 1.0
    assert ts.info['collisions'] == float(1 + (np.linalg.norm(np.diff(env.render_state()['agents'][:2], axis=0)) < 0.3))


def test_navigation_reward_function():
    dist_al = np.array([[0.0, 2.0], [1.0, 0.5], [3.0, 3.0]])
    dist_aa = np.array([[np.inf, 0.2, 1.0], [0.2, np.inf, 0.1], [1.0, 0.1, np.inf]])
    r, nearest, col = navigation_reward(dist_al, dist_aa, agent_size=0.15, collision_penalty=1.0, normalize=False)
    np.testing.assert_allclose(nearest, [0.0, 0.5])
    assert col == 2
    assert r == pytest.approx(-0.5 - 4.0)
    r, _, _ = navigation_reward(dist_al, dist_aa, agent_size=0.15, collision_penalty=1.0, normalize=True)
    assert r == pytest.approx(-0.25 - 4.0 / 3)


def _pp(**cfg):
    cfg = dict(dict(n_agent=3, n_prey=2, max_cycles=4, arena_size=2.0, shaping_coef=0.0), **cfg)
    env = make_env('predator_prey', **cfg)
    env.seed(0)
    env.reset()
    return env


def test_catch_counted_with_time_to_first_catch():
    env = _pp()
    far = dict(agent_pos=[[-1.5, -1.5], [-1.5, -1.2], [-1.2, -1.5]], prey_pos=[[1.5, 1.5], [1.5, 0.]])
    for _ in range(2):
        env.set_state(**far)
        ts = env.step(NOOP)
        assert ts.reward[0] == 0.0
    # predator 0 sits on prey 0: caught (coincident discs feel no contact force, the prey cannot flee)
    env.set_state(agent_pos=[[0.5, 0.5], [-1.5, -1.2], [-1.2, -1.5]], prey_pos=[[0.5, 0.5], [1.5, 0.]])
    ts = env.step(NOOP)
    assert ts.reward[0] == pytest.approx(10.0)
    prey_after = env.render_state()['prey']
    assert not np.allclose(prey_after[0], [0.5, 0.5])  # respawned
    ts = env.step(NOOP)
    assert ts.done
    assert ts.info['catches'] >= 1.0
    assert ts.info['time_to_first_catch'] == 3.0


def test_no_catch_gives_max_cycles():
    env = _pp(max_cycles=2)
    for _ in range(2):
        env.set_state(agent_pos=[[-1.5, -1.5], [-1.5, -1.2], [-1.2, -1.5]], prey_pos=[[1.5, 1.5], [1.5, 0.]])
        ts = env.step(NOOP)
    assert ts.info['catches'] == 0.0 and ts.info['time_to_first_catch'] == 2.0


def test_shaping_reward():
    env = _pp(shaping_coef=0.5, max_cycles=1)
    env.set_state(agent_pos=[[0., 0.], [-1.9, -1.9], [-1.9, 1.9]], prey_pos=[[1., 0.], [0., 1.]])
    ts = env.step(NOOP)
    w = env._world
    d = np.linalg.norm(w.pos[3:][None] - w.pos[:3][:, None], axis=-1).min(axis=0)
    assert ts.reward[0] == pytest.approx(-0.5 * d.mean(), rel=1e-5)


def test_prey_flee_and_catch_functions():
    dx = np.array([[1.0, 0.0], [0.0, -3.0]])  # prey - predator
    dy = np.array([[0.0, 2.0], [1.5, 0.0]])
    dist = np.hypot(dx, dy)
    np.testing.assert_allclose(prey_flee_action(dx, dy, dist), [[1., 0.], [0., 1.]])
    np.testing.assert_array_equal(caught_prey(np.array([[0.1, 1.0], [1.0, 0.2]]), 0.125), [True, False])


def test_chasing_predators_catch_prey():
    """The task is solvable: predators that chase their nearest prey catch it within a few episodes."""
    env = make_env('predator_prey', n_agent=3, n_prey=1, continuous_actions=True, shaping_coef=0.0)
    env.seed(0)
    catches = 0
    for _ in range(10):
        obs = env.reset()
        done = False
        while not done:
            rel = obs['agent_state'][:, 12:14]  # nearest prey (n_nearest=2: 4 + 4 * 2 = 12)
            act = rel / np.maximum(np.linalg.norm(rel, axis=1, keepdims=True), 1e-6)
            ts = env.step(act.astype(np.float32))
            obs, done = ts.obs, ts.done
        catches += ts.info['catches']
    assert catches > 0
