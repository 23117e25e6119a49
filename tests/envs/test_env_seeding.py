"""Seeding: determinism, fresh collector episodes, identical evaluation episodes, evaluation never replays training."""
import numpy as np
import pytest

from .helpers import ENV_NAMES, make_env, rollout


def _actions(env, n=50, seed=0):  # n: the longest default episode (hidden_target_navigation)
    rng = np.random.default_rng(seed)
    probe = env.random_action()
    if probe.dtype.kind == 'f':
        return [rng.uniform(-1, 1, size=probe.shape).astype(np.float32) if probe.shape[-1] == 2 else
                rng.uniform(0, 1, size=probe.shape).astype(np.float32) for _ in range(n)]
    return [rng.integers(0, 5, size=probe.shape) for _ in range(n)]


@pytest.mark.parametrize('name', ENV_NAMES)
@pytest.mark.parametrize('n_agent', [3, 8])
def test_same_seed_same_trajectories(name, n_agent):
    env_a, env_b = make_env(name, n_agent=n_agent), make_env(name, n_agent=n_agent)
    acts = _actions(env_a)
    ra = rollout(env_a, seed=11, episodes=2, actions=acts)
    rb = rollout(env_b, seed=11, episodes=2, actions=acts)
    for ea, eb in zip(ra, rb):
        np.testing.assert_array_equal(ea['states'], eb['states'])
        np.testing.assert_array_equal(ea['rewards'], eb['rewards'])
    env_c = make_env(name, n_agent=n_agent)
    env_c.seed(11)
    a1 = env_c.random_action()
    env_c.random_action()  # the draws move on; seeding again starts them over
    env_c.seed(11)
    np.testing.assert_array_equal(a1, env_c.random_action())


@pytest.mark.parametrize('name', ENV_NAMES)
def test_collector_episodes_differ(name):
    env = make_env(name, n_agent=4)
    env.seed(5, dynamic_seed=True)
    starts = [env.reset()['agent_state'] for _ in range(5)]
    for i in range(5):
        for j in range(i + 1, 5):
            assert not np.allclose(starts[i], starts[j])


@pytest.mark.parametrize('name', ENV_NAMES)
def test_eval_episodes_repeat_and_differ_from_training(name):
    env = make_env(name, n_agent=4)
    acts = _actions(env)
    env.seed(5, dynamic_seed=False)
    evals = rollout(env, episodes=3, actions=acts)
    for e in evals[1:]:
        np.testing.assert_array_equal(e['states'], evals[0]['states'])
        np.testing.assert_array_equal(e['rewards'], evals[0]['rewards'])
    # a second evaluation round (the env manager does not re-seed) replays the same episode
    np.testing.assert_array_equal(rollout(env, actions=acts)[0]['states'], evals[0]['states'])
    # collector envs seeded like DI-engine does (seed + i) never start from an evaluation layout
    eval_starts = []
    for i in range(4):
        env.seed(5 + i, dynamic_seed=False)
        eval_starts.append(env.reset()['agent_state'])
    for i in range(4):
        env.seed(5 + i, dynamic_seed=True)
        for _ in range(10):
            start = env.reset()['agent_state']
            assert not any(np.allclose(start, e) for e in eval_starts)


@pytest.mark.parametrize('name', ENV_NAMES)
def test_env_manager_seeding(name):
    """Through DI-engine's BaseEnvManager, as the serial pipeline seeds collector and evaluator."""
    from ding.envs import BaseEnvManager
    from easydict import EasyDict
    cfg = EasyDict(BaseEnvManager.default_config())
    cfg.auto_reset = True

    def fn():
        return make_env(name, n_agent=3, max_cycles=25)

    collector = BaseEnvManager([fn, fn], cfg)
    evaluator = BaseEnvManager([fn, fn], cfg)
    collector.seed(0)
    evaluator.seed(0, dynamic_seed=False)
    collector.launch()
    evaluator.launch()
    c0 = {i: o['agent_state'] for i, o in collector.ready_obs.items()}
    e0 = {i: o['agent_state'] for i, o in evaluator.ready_obs.items()}
    assert not np.allclose(c0[0], c0[1]) and not np.allclose(e0[0], e0[1])
    for i in range(2):
        assert not np.allclose(c0[i], e0[i])
    # run one full episode in every env; auto-reset gives the next start
    for _ in range(25):
        collector.step({i: fn().random_action() for i in collector.ready_obs})
        evaluator.step({i: fn().random_action() for i in evaluator.ready_obs})
    c1 = {i: o['agent_state'] for i, o in collector.ready_obs.items()}
    e1 = {i: o['agent_state'] for i, o in evaluator.ready_obs.items()}
    for i in range(2):
        assert not np.allclose(c0[i], c1[i])  # collector: fresh layout
        np.testing.assert_array_equal(e0[i], e1[i])  # evaluator: same layout
    collector.close()
    evaluator.close()


def test_reseed_generators_equal_default_rng():
    """The batched envs' bulk reseeding gives every generator the stream of np.random.default_rng(seed)."""
    from dizoo_envs.seeding import reseed_generators
    seeds = [0, 1, 7, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 2 ** 63 + 11, 2 ** 64 - 1, 2 ** 64, 2 ** 70 + 3, 123456789]
    seeds += np.random.default_rng(0).integers(0, 2 ** 62, size=20).tolist()
    generators = [np.random.default_rng(99) for _ in seeds]
    out = reseed_generators(generators, seeds)
    assert out[0] is generators[0]  # reused in place
    for seed, gen in zip(seeds, out):
        ref = np.random.default_rng(seed)
        np.testing.assert_array_equal(gen.uniform(-2, 2, size=(5, 2)), ref.uniform(-2, 2, size=(5, 2)))
        np.testing.assert_array_equal(gen.integers(0, 100, 7), ref.integers(0, 100, 7))
    unseeded = reseed_generators(generators[:2], [None, None])
    assert not np.array_equal(unseeded[0].uniform(size=4), unseeded[1].uniform(size=4))
