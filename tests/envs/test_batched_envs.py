"""
The batched envs (``dizoo_envs/batched``) against the numpy envs: whole episodes with random actions, same seeds ->
same layouts, observations, rewards (team and local), done and metrics (to 1e-5); auto-reset; seeding; bad input; the
manager's registry entry and DI-engine's dict interface.
"""
import numpy as np
import pytest
import torch
from ding.envs import BaseEnvTimestep
from ding.utils import ENV_MANAGER_REGISTRY

import dizoo_envs.batched  # noqa: F401  registers 'torch_batched'
from ding_atoc.obs_keys import AGENT_DISTANCE, AGENT_STATE, GLOBAL_STATE
from dizoo_envs.batched import TorchBatchedEnvManager
from tests.conftest import DEVICES
from .helpers import NATIVE_ENVS, make_env

E = 3  # envs per batch
SEED = 7
#: predator_prey in a small arena with 3 prey, so that random predators catch prey and respawns are compared too
ENV_KEYS = {
    'cooperative_navigation': {},
    'hidden_target_navigation': {},
    'predator_prey': dict(n_prey=3, arena_size=0.6)
}
TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _cfg(name, n_agent, **keys):
    cfg = dict(type=name, n_agent=n_agent, **ENV_KEYS[name], **keys)
    if name == 'cooperative_navigation':
        cfg.setdefault('n_landmark', n_agent)
    return cfg


def _manager(cfg, device='cpu', env_num=E, **kwargs):
    return ENV_MANAGER_REGISTRY.get('torch_batched')(cfg, env_num=env_num, device=device, **kwargs)


def _numpy_envs(cfg, dynamic_seed):
    envs = [make_env(cfg['type'], **{k: v for k, v in cfg.items() if k != 'type'}) for _ in range(E)]
    for i, env in enumerate(envs):
        env.seed(SEED + i, dynamic_seed)  # as DI-engine's env managers seed env i
    return envs


def _assert_obs_equal(batched, numpy_obs, where):
    assert set(batched) == set(numpy_obs[0]), where
    for key, value in batched.items():
        assert value.dtype == torch.float32, (where, key)
        host = value.cpu().numpy()
        for i, obs in enumerate(numpy_obs):
            assert host[i].shape == obs[key].shape, (where, key)
            np.testing.assert_allclose(host[i], obs[key], **TOL, err_msg=f'{where} env {i} {key}')


# name x team size x action type x field x seeding: every combination; agent_specific_global_state and reward_type
# alternate so that both settings of each meet every value of the others
PARITY_CASES = [(name, n, cont, field, dynamic, {}) for name in NATIVE_ENVS for n in (3, 10) for cont in (False, True)
                for field in ('k_nearest', 'radius') for dynamic in (True, False)]
# cooperative navigation's difference rewards, with more landmarks than agents
PARITY_CASES += [('cooperative_navigation', n, True, field, True, dict(local_reward_scope='difference', n_landmark=13))
                 for n in (3, 10) for field in ('k_nearest', 'radius')]


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('name,n_agent,continuous,field,dynamic,keys', PARITY_CASES)
def test_whole_episodes_equal_numpy_envs(device, name, n_agent, continuous, field, dynamic, keys):
    specific = continuous != (field == 'radius')
    reward_type = 'local' if continuous == dynamic else 'team'
    cfg = _cfg(name, n_agent, continuous_actions=continuous, agent_specific_global_state=specific,
               observable_field=dict(type=field, radius=1.0), reward_type=reward_type, **keys)
    manager = _manager(cfg, device)
    envs = _numpy_envs(cfg, dynamic)
    manager.seed(SEED, dynamic_seed=dynamic)
    obs = manager.reset()
    numpy_obs = [env.reset() for env in envs]
    starts = [obs[AGENT_STATE].cpu().clone()]
    max_cycles, catches = manager.env.spec.cfg.max_cycles, 0.0
    for t in range(2 * max_cycles):  # two episodes: the auto-reset starts the second
        _assert_obs_equal(obs, numpy_obs, f'step {t}')
        action = manager.random_action()
        assert action.device.type == torch.device(device).type
        ts = manager.step(action)
        numpy_ts = [env.step(action[i].cpu().numpy()) for i, env in enumerate(envs)]
        _assert_obs_equal(ts.next_obs, [nt.obs for nt in numpy_ts], f'next_obs {t}')
        assert ts.reward.shape == (E, n_agent if reward_type == 'local' else 1)
        assert ts.reward.dtype == torch.float32
        np.testing.assert_allclose(ts.reward.cpu().numpy(), np.stack([nt.reward for nt in numpy_ts]), **TOL)
        assert ts.done.dtype == torch.bool and ts.done.tolist() == [nt.done for nt in numpy_ts]
        if numpy_ts[0].done:
            for key in numpy_ts[0].info['episode_info'].keys() | {'eval_episode_return'}:
                expected = [nt.info[key] for nt in numpy_ts]
                np.testing.assert_allclose(ts.info[key].cpu().numpy(), expected, **TOL, err_msg=key)
            catches += float(ts.info.get('catches', torch.zeros(1)).sum())
            numpy_obs = [env.reset() for env in envs]
            starts.append(ts.obs[AGENT_STATE].cpu().clone())
        else:
            numpy_obs = [nt.obs for nt in numpy_ts]
        obs = ts.obs
    assert len(starts) == 3
    # static seeding replays the episode, dynamic draws a fresh one
    assert torch.equal(starts[0], starts[1]) != dynamic
    if name == 'predator_prey' and n_agent == 10:
        assert catches > 0  # respawns were compared too


@pytest.mark.parametrize('name', NATIVE_ENVS)
def test_auto_reset_and_episode_info(name):
    manager = _manager(_cfg(name, 4, max_cycles=3))
    manager.seed(0)
    first = manager.reset()
    for t in range(3):
        ts = manager.step(manager.random_action())
        assert ts.done.tolist() == [t == 2] * E
        assert set(ts.info) >= {'eval_episode_return'} and all(v.shape == (E, ) for v in ts.info.values())
        if t < 2:
            assert ts.obs is ts.next_obs
    # the first obs of the new episodes, not the last obs of the old ones, and a new layout (dynamic seeding)
    assert not torch.allclose(ts.obs[AGENT_STATE], ts.next_obs[AGENT_STATE])
    assert not torch.allclose(ts.obs[AGENT_STATE], first[AGENT_STATE])
    assert torch.equal(ts.obs[AGENT_STATE][:, :, :2], torch.zeros_like(ts.obs[AGENT_STATE][:, :, :2]))  # at rest
    ts = manager.step(manager.random_action())
    assert not ts.done.any()


@pytest.mark.parametrize('name', NATIVE_ENVS)
def test_agent_obs_only_and_float32_physics(name):
    cfg = _cfg(name, 4, agent_obs_only=True)
    manager, reference = _manager(cfg, dtype=torch.float32), _manager(cfg)
    for m in (manager, reference):
        m.seed(1)
    obs = manager.reset()
    assert isinstance(obs, torch.Tensor) and obs.shape == (E, ) + manager.observation_space.shape
    torch.testing.assert_close(obs, reference.reset())
    action = manager.random_action()
    ts, ref = manager.step(action), reference.step(action)
    assert ts.obs.dtype == torch.float32
    torch.testing.assert_close(ts.obs, ref.obs, rtol=1e-4, atol=1e-4)  # one step: float32 is still close


@pytest.mark.parametrize('name', NATIVE_ENVS)
def test_bad_actions(name):
    continuous = _manager(_cfg(name, 3, continuous_actions=True))
    discrete = _manager(_cfg(name, 3))
    for m in (continuous, discrete):
        with pytest.raises(RuntimeError, match='before reset'):
            m.step(m.random_action())
        m.seed(0)
        m.reset()
    good = continuous.random_action()
    nan = good.clone()
    nan[1, 2, 0] = float('nan')
    for bad, match in [
        (good[:2], r'shape \(3, 3, 2\), got \(2, 3, 2\)'),
        (good[..., 0], r'shape \(3, 3, 2\)'),
        (good.long(), r'float array of shape \(3, 3, 2\)'),
        (nan, 'NaN'),
        (torch.full_like(good, float('inf')), 'NaN or inf'),
    ]:
        with pytest.raises(ValueError, match=match):
            continuous.step(bad)
    continuous.step(good)  # still usable
    good = discrete.random_action()
    for bad, match in [
        (good[:, :2], r'shape \(3, 3\), got \(3, 2\)'),
        (good.float(), r'integer array of shape \(3, 3\)'),
        (torch.full_like(good, 5), r'\[0, 5\)'),
        (torch.full_like(good, -1), r'\[0, 5\)'),
    ]:
        with pytest.raises(ValueError, match=match):
            discrete.step(bad)
    discrete.step(good[..., None])  # (E, A, 1) is accepted too


def test_registry_config_and_errors():
    assert ENV_MANAGER_REGISTRY.get('torch_batched') is TorchBatchedEnvManager
    # a config's env section as DI-engine compiles it: its own keys are ignored
    cfg = _cfg('cooperative_navigation', 5, collector_env_num=8, evaluator_env_num=4, n_evaluator_episode=4,
               stop_value=0, manager=dict(shared_memory=False), import_names=['dizoo_envs.cooperative_navigation'])
    manager = _manager(cfg, env_num=2)
    assert (manager.env_num, manager.n_agent, manager.device) == (2, 5, torch.device('cpu'))
    assert manager.observation_space == make_env('cooperative_navigation', n_agent=5).observation_space
    assert manager.action_space['agent_0'].n == 5
    manager.launch()  # a no-op before reset
    obs = manager.reset()
    assert obs[GLOBAL_STATE].shape == (2, ) + manager.observation_space[GLOBAL_STATE].shape
    assert torch.isinf(obs[AGENT_DISTANCE].diagonal(dim1=1, dim2=2)).all()
    manager.close()
    assert manager.closed
    with pytest.raises(KeyError, match="'cooperative_navigatoin' has no batched env"):
        _manager(dict(cfg, type='cooperative_navigatoin'))
    with pytest.raises(KeyError, match="unknown config key 'n_agents'"):  # the numpy env's checks
        _manager(dict(cfg, n_agents=3))
    with pytest.raises(ValueError, match='n_nearest=5 exceeds'):
        _manager(dict(cfg, n_nearest=5))
    with pytest.raises(ValueError, match='env_num'):
        _manager(cfg, env_num=0)


@pytest.mark.parametrize('name', NATIVE_ENVS)
def test_di_engine_dict_interface(name):
    cfg = _cfg(name, 3, max_cycles=2, continuous_actions=True)
    manager, twin = _manager(cfg), _manager(cfg)
    manager.seed(3)
    twin.seed(3)
    ready = manager.ready_obs  # the first access resets
    twin_obs = twin.reset()
    assert sorted(ready) == manager.ready_obs_id == list(range(E))
    np.testing.assert_array_equal(ready[1][AGENT_STATE], twin_obs[AGENT_STATE][1].numpy())
    for t in range(2):
        action = twin.random_action()
        timesteps = manager.step({i: action[i].numpy() for i in range(E)})
        ts = twin.step(action)
        for i, timestep in timesteps.items():
            assert isinstance(timestep, BaseEnvTimestep) and timestep.done == (t == 1)
            np.testing.assert_array_equal(timestep.obs[AGENT_STATE], ts.next_obs[AGENT_STATE][i].numpy())
            assert timestep.reward.shape == (1, ) and timestep.reward[0] == ts.reward[i, 0].item()
        np.testing.assert_array_equal(manager.ready_obs[2][AGENT_STATE], ts.obs[AGENT_STATE][2].numpy())
    info = timesteps[0].info
    assert info['eval_episode_return'] == pytest.approx(ts.info['eval_episode_return'][0].item())
    assert set(info['episode_info']) == set(ts.info) - {'eval_episode_return'}
    assert not manager.done
    with pytest.raises(ValueError, match='every env id'):
        manager.step({0: action[0].numpy()})


def test_di_engine_serial_evaluator_runs_on_it(tmp_path):
    """DI-engine's own InteractionSerialEvaluator drives the manager through the dict interface."""
    from easydict import EasyDict
    from ding.worker import InteractionSerialEvaluator

    class NoopPolicy:  # the parts of a DI-engine policy the evaluator calls

        def forward(self, obs):
            return {i: {'action': torch.zeros(3, dtype=torch.long)} for i in obs}

        def reset(self, env_ids=None):
            pass

        def get_attribute(self, name):
            return EasyDict(type='noop')

    cfg = _cfg('cooperative_navigation', 3, max_cycles=5)
    manager = _manager(EasyDict(cfg))
    manager.seed(SEED, dynamic_seed=False)
    eval_cfg = InteractionSerialEvaluator.default_config()
    eval_cfg.n_episode, eval_cfg.stop_value = E, 1e9
    evaluator = InteractionSerialEvaluator(eval_cfg, manager, NoopPolicy(), exp_name=str(tmp_path), instance_name='ev')
    _, info = evaluator.eval(None, 0, 0)
    expected = []
    for env in _numpy_envs(cfg, dynamic_seed=False):
        env.reset()
        expected.append(sum(float(env.step(np.zeros(3, dtype=np.int64)).reward[0]) for _ in range(5)))
    np.testing.assert_allclose(sorted(info['eval_episode_return']), sorted(expected), **TOL)
    assert len(info['occupied_landmarks']) == E
    evaluator.close()
