"""``ding-atoc eval`` reports how much of a continuous actor's output sits at the action bound (DDPG's saturated Tanh,
where the actor's gradient vanishes), for any policy: ding_atoc's and DI-engine's alike."""
import numpy as np
import pytest
from easydict import EasyDict

from ding_atoc.entry.evaluate import ACTION_SATURATED_SHARE, play_episodes
from dizoo_envs.cooperative_navigation import CooperativeNavigationEnv

N_AGENT = 3


class FixedActionPolicy:
    """A policy whose eval mode acts the same for every state: ``action`` per agent and component."""

    def __init__(self, action: np.ndarray) -> None:
        self.eval_mode = self
        self._action = action

    def reset(self, env_ids) -> None:
        pass

    def forward(self, obs_by_env):
        return {env_id: {'action': self._action} for env_id in obs_by_env}


def env(continuous_actions: bool) -> CooperativeNavigationEnv:
    return CooperativeNavigationEnv(EasyDict(n_agent=N_AGENT, n_landmark=N_AGENT, max_cycles=5,
                                             continuous_actions=continuous_actions))


@pytest.mark.parametrize('components,share', [
    ([1.0, -1.0], 1.0),  # at the bound: saturated
    ([0.995, 0.3], 0.5),  # one component of two beyond 0.99
    ([0.5, -0.99], 0.0),  # inside the bound (0.99 itself is not beyond it)
])
def test_the_share_of_continuous_action_components_beyond_the_bound_is_reported(components, share):
    action = np.tile(np.asarray(components, dtype=np.float32), (N_AGENT, 1))
    metrics = play_episodes(FixedActionPolicy(action), env(continuous_actions=True), episodes=2).means()
    assert metrics[ACTION_SATURATED_SHARE] == pytest.approx(share)


def test_discrete_actions_report_no_saturation():
    metrics = play_episodes(FixedActionPolicy(np.zeros(N_AGENT, dtype=np.int64)), env(continuous_actions=False),
                            episodes=1).means()
    assert ACTION_SATURATED_SHARE not in metrics
    assert 'eval_return' in metrics
