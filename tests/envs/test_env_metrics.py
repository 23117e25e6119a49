"""Rewards and episode metrics on hand-built states."""
import numpy as np
import pytest

from dizoo_envs.cooperative_navigation import agent_collisions, navigation_local_reward, navigation_reward
from dizoo_envs.predator_prey import caught_prey, predator_local_reward, prey_flee_action
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


def test_navigation_reward_functions():
    dist_aa = np.array([[np.inf, 0.2, 1.0], [0.2, np.inf, 0.1], [1.0, 0.1, np.inf]])
    hits = agent_collisions(dist_aa, agent_size=0.15)
    np.testing.assert_array_equal(hits, [1, 2, 1])  # pairs (0, 1) and (1, 2)
    nearest = np.array([0.0, 0.5])
    assert navigation_reward(nearest, hits, collision_penalty=1.0, normalize=False) == pytest.approx(-0.5 - 4.0)
    assert navigation_reward(nearest, hits, collision_penalty=1.0, normalize=True) == pytest.approx(-0.25 - 4.0 / 3)
    scored = np.array([[0.0, 0.5], [0.5, 0.5], [0.0, 0.0]])  # the d_l of each agent's landmarks
    np.testing.assert_allclose(navigation_local_reward(scored, hits, 2.0, normalize=False), [-0.5 - 2, -1 - 4, -2])
    np.testing.assert_allclose(navigation_local_reward(scored, hits, 2.0, normalize=True), [-0.25 - 2, -0.5 - 4, -2])


@pytest.mark.parametrize('normalize', [False, True])
def test_local_navigation_reward_on_a_state(normalize):
    """r_i = -(d_l of agent i's K_L nearest landmarks, each to its nearest agent) - penalty * own collisions."""
    env = _nav(n_nearest_landmark=2, reward_type='local', normalize_reward=normalize, collision_penalty=2.0)
    landmarks = np.array([[-1., 0.], [0., 1.], [1.5, -1.5]])
    # agents 1 and 2 rush towards each other near landmark 1: they overlap after the step
    agents = np.array([[-1., 0.2], [-0.25, 1.], [0.25, 1.]])
    env.set_state(agents, np.array([[0., 0.], [2., 0.], [-2., 0.]]), landmarks)
    ts = env.step(NOOP)
    pos = env.render_state()['agents']
    dist_al = np.linalg.norm(pos[:, None] - landmarks[None], axis=-1)
    d = dist_al.min(axis=0)
    scored = d[np.argsort(dist_al, axis=1)[:, :2]]
    hits = (np.linalg.norm(pos[:, None] - pos[None], axis=-1) < 0.3).sum(axis=1) - 1
    assert list(hits) == [0, 1, 1]
    expected = -(scored.mean(axis=1) if normalize else scored.sum(axis=1)) - 2.0 * hits
    np.testing.assert_allclose(ts.reward, expected, rtol=1e-5)
    team = -(d.mean() + 2.0 * hits.sum() / 3 if normalize else d.sum() + 2.0 * hits.sum())
    assert ts.info['eval_episode_return'] == pytest.approx(team, rel=1e-6)  # the team reward, summed


def test_local_rewards_over_every_landmark_average_to_the_team_reward():
    env = _nav(n_agent=6, n_landmark=6, n_nearest_landmark=6, reward_type='local', max_cycles=5)
    twin = _nav(n_agent=6, n_landmark=6, n_nearest_landmark=6, max_cycles=5)
    rng = np.random.default_rng(0)
    for _ in range(5):
        action = rng.integers(0, 5, size=6)
        local, team = env.step(action).reward, twin.step(action).reward
        assert local.mean() == pytest.approx(team[0], rel=1e-5)


@pytest.mark.parametrize('normalize', [False, True])
@pytest.mark.parametrize('n_agent,n_landmark', [(3, 4), (6, 6), (10, 7)])
def test_difference_scope_pays_each_agent_what_it_takes_off_the_distance_term(normalize, n_agent, n_landmark):
    """With local_reward_scope='difference', r_i = (team distance term with agent i) - (the same without it)
    = sum over the landmarks i is nearest to of (second nearest distance - nearest distance), times A / L if
    normalized, - penalty * own collisions; whatever the team size and the number of landmarks."""
    keys = dict(n_agent=n_agent, n_landmark=n_landmark, normalize_reward=normalize, collision_penalty=2.0,
                max_cycles=6, continuous_actions=True)
    env = _nav(reward_type='local', local_reward_scope='difference', **keys)
    rng = np.random.default_rng(n_agent)
    for _ in range(6):
        ts = env.step(rng.uniform(-1, 1, size=(n_agent, 2)).astype(np.float32))
        state = env.render_state()
        dist_al = np.linalg.norm(state['agents'][:, None] - state['landmarks'][None], axis=-1)
        hits = (np.linalg.norm(state['agents'][:, None] - state['agents'][None], axis=-1) < 0.3).sum(axis=1) - 1
        scale = n_agent / n_landmark if normalize else 1.0
        without = [np.delete(dist_al, i, axis=0).min(axis=0).sum() - dist_al.min(axis=0).sum() for i in range(n_agent)]
        np.testing.assert_allclose(ts.reward, scale * np.array(without) - 2.0 * hits, rtol=1e-5, atol=1e-5)


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


def test_local_predator_reward():
    """Each predator: catch_reward per prey it touches, minus shaping times its own distance to its nearest prey."""
    dist = np.array([[0.05, 2.0], [0.1, 1.0], [3.0, 0.5]])  # 3 predators x 2 prey
    np.testing.assert_allclose(predator_local_reward(dist, 0.125, 10.0, 0.5), [10 - 0.025, 10 - 0.05, -0.25])
    env = _pp(reward_type='local', shaping_coef=0.5, max_cycles=1)
    # predators 0 and 1 sit on prey 0: both are rewarded for the one catch, which the team reward counts once
    env.set_state(agent_pos=[[0.5, 0.5], [0.5, 0.5], [-1.5, -1.5]], prey_pos=[[0.5, 0.5], [1.5, 1.5]])
    ts = env.step(NOOP)
    assert ts.reward.shape == (3, )
    assert ts.reward[0] > 9.0 and ts.reward[1] > 9.0 and ts.reward[2] < 0.0
    assert ts.info['catches'] == 1.0 and ts.info['eval_episode_return'] < 10.0


def _ht(**cfg):
    cfg = dict(dict(n_agent=4, max_cycles=1, arena_size=2.0), **cfg)
    env = make_env('hidden_target_navigation', **cfg)
    env.seed(0)
    env.reset()
    return env


@pytest.mark.parametrize('reward_type', ['team', 'local'])
def test_hidden_target_rewards_and_metrics(reward_type):
    env = _ht(reward_type=reward_type, normalize_reward=False)
    targets = np.array([[-1., -1.], [1., 1.], [1., -1.], [-1., 1.]])
    agents = targets + np.array([[0.05, 0.], [0., 0.], [0.5, 0.], [0., 0.3]])
    env.set_state(agents, landmark_pos=targets)
    ts = env.step(np.zeros(4, dtype=np.int64))
    d = np.linalg.norm(env.render_state()['agents'] - targets, axis=-1)
    np.testing.assert_allclose(d, [0.05, 0., 0.5, 0.3], atol=1e-12)
    expected = -d if reward_type == 'local' else [-d.sum()]
    np.testing.assert_allclose(ts.reward, expected, rtol=1e-5)
    assert ts.info['on_target'] == 0.5
    assert ts.info['mean_target_distance'] == pytest.approx(d.mean())
    assert ts.info['collisions'] == 0.0


def test_hidden_target_counts_only_the_own_target():
    """Every landmark covered, each by the wrong agent: cooperative navigation would score it full, this task zero."""
    env = _ht()
    targets = np.array([[-1., -1.], [1., 1.], [1., -1.], [-1., 1.]])
    env.set_state(targets[[1, 0, 3, 2]], landmark_pos=targets)  # everyone on its partner's target
    ts = env.step(np.zeros(4, dtype=np.int64))
    assert ts.info['on_target'] == 0.0
    assert ts.info['mean_target_distance'] == pytest.approx(2 * np.sqrt(2))


def test_hidden_target_needs_the_informant():
    """
    What communication buys, with scripted controllers: steering by the client block of one's informant (what ATOC's
    channel can carry from it) puts most agents on their targets; steering to the nearest landmark seen (the best
    one can do without it) stays under the 1 / (A - 1) bound of the module doc.
    """
    n, k = 6, 2
    env = make_env('hidden_target_navigation', n_agent=n, n_nearest=k, continuous_actions=True, max_cycles=50)
    env.seed(0)
    informant = env.always_in_field[:, 1]
    on_target = {}
    for mode in ('informed', 'alone'):
        shares = []
        for _ in range(10):
            obs, done = env.reset(), False
            while not done:
                s = obs['agent_state']
                goal = s[informant, 4 + 2 * k:6 + 2 * k] if mode == 'informed' else s[:, 6 + 2 * k:8 + 2 * k]
                ts = env.step(np.clip(4.0 * goal - 2.0 * s[:, :2], -1, 1).astype(np.float32))
                obs, done = ts.obs, ts.done
            shares.append(ts.info['on_target'])
        on_target[mode] = np.mean(shares)
    assert on_target['informed'] > 0.8 and on_target['alone'] < 1 / (n - 1)


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
