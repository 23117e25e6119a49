"""``ding-atoc eval`` draws the first episode, with each step's communication groups, through the drawing methods of
the env contract (``DRAWING_METHODS``: ``render_state``, ``save_episode_gif``), so the library needs no drawing code of
its own; on an env without them it plays the episodes and writes no GIF."""
from typing import List

import pytest
import torch
from PIL import Image

from ding_atoc.entry.evaluate import DRAWING_METHODS, can_draw_episodes, play_episodes
from ding_atoc.model.grouping import NO_AGENT
from tests.envs.helpers import ENV_NAMES, make_env

N_AGENT = 3
#: agent 0 initiates a group with agent 1; agent 2 talks to no one
GROUPS = [[0, 1]]


class RandomGroupingPolicy:
    """Eval mode that acts at random on ``env`` and reports the fixed groups ``GROUPS`` at every step."""

    def __init__(self, env) -> None:
        self.eval_mode = self
        self._env = env

    def reset(self, env_ids) -> None:
        pass

    def forward(self, obs_by_env):
        group = torch.full((N_AGENT, 2), NO_AGENT)
        group[0] = torch.tensor(GROUPS[0])
        return {env_id: {'action': self._env.random_action(), 'group': group} for env_id in obs_by_env}


class UndrawableEnv:
    """An env that plays but offers none of ``DRAWING_METHODS``."""

    def __init__(self, env) -> None:
        self.seed, self.reset, self.step, self.close = env.seed, env.reset, env.step, env.close
        self.random_action = env.random_action


@pytest.mark.parametrize('env_name', ENV_NAMES)
def test_the_first_episode_is_drawn_by_the_env_with_the_groups_of_every_step(env_name, tmp_path):
    env = make_env(env_name, n_agent=N_AGENT, max_cycles=4)
    drawn: List[dict] = []
    draw = env.save_episode_gif

    def spy(states, path, comm_groups=None):
        drawn.append(dict(states=len(states), comm_groups=comm_groups))
        return draw(states, path, comm_groups=comm_groups)

    env.save_episode_gif = spy
    path = tmp_path / 'episode.gif'
    metrics = play_episodes(RandomGroupingPolicy(env), env, episodes=2, gif_path=str(path)).means()
    assert 'eval_return' in metrics
    assert len(drawn) == 1  # the first episode only
    assert drawn[0]['comm_groups'] == [GROUPS] * drawn[0]['states']
    with Image.open(path) as gif:
        assert gif.n_frames == drawn[0]['states'] == 4  # one state per step of a 4-step episode


def test_an_env_that_cannot_draw_plays_without_a_gif(tmp_path):
    env = UndrawableEnv(make_env('cooperative_navigation', n_agent=N_AGENT, max_cycles=4))
    assert not can_draw_episodes(env)
    assert all(callable(getattr(make_env('predator_prey', n_agent=N_AGENT), name)) for name in DRAWING_METHODS)
    metrics = play_episodes(RandomGroupingPolicy(env), env, episodes=1, gif_path=str(tmp_path / 'episode.gif')).means()
    assert 'eval_return' in metrics
    assert not (tmp_path / 'episode.gif').exists()
