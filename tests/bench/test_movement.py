"""The movement measurement: how far a trained policy's agents go, by hand and on a run."""
import numpy as np
import pytest

from bench import movement
from tests import tiny

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')


@pytest.mark.parametrize('moves,path,displacement', [
    ([[1., 0.], [1., 0.]], 2.0, 2.0),  # straight on: the displacement is the path
    ([[1., 0.], [-1., 0.]], 2.0, 0.0),  # there and back: no displacement
    ([[0., 0.], [0., 0.]], 0.0, 0.0),  # standing still
])
def test_path_and_displacement_are_shares_of_the_arena_side_averaged_over_agents(moves, path, displacement):
    start = np.array([[0., 0.], [5., 5.]])  # agent 1 stands still: the means are half agent 0's
    positions = [start]
    for move in moves:
        positions.append(positions[-1] + np.array([move, [0., 0.]]))
    stats = movement.movement(np.stack(positions), arena_side=4.0)
    assert stats == pytest.approx(dict(path=path / 2 / 4, displacement=displacement / 2 / 4))


@pytest.mark.parametrize('config', ['predator_prey/ding_atoc_config.py', 'cooperative_navigation/maddpg_config.py'])
def test_the_table_of_a_trained_checkpoint_has_a_row_per_episode_and_their_mean(config):
    from ding_atoc.entry.train import train
    main_config, create_config = tiny.shrink(*tiny.load(config, n_agent=4), n_sample=32)
    run = train((main_config, create_config), seed=0, max_env_step=64, progress=False)['exp_name']
    lines = movement.movement_table((main_config, create_config), f'{run}/ckpt/ckpt_latest.pth.tar', episodes=2)
    assert [line.split('|')[1].strip() for line in lines[3:]] == ['0', '1', 'mean']
    for line in lines[3:]:
        path, displacement = (float(x) for x in line.split('|')[2:4])
        assert path >= displacement >= 0.0
    assert 'saturated action components' in lines[0]
