"""The reward-coverage measurement: which landmarks the 'observed' local reward leaves out, by hand and on a run."""
import numpy as np
import pytest

from bench import reward_coverage
from tests import tiny

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')


@pytest.mark.parametrize('k_landmark,unscored', [(1, [2, 3]), (2, [3])])
def test_coverage_counts_the_landmarks_in_no_agents_nearest(k_landmark, unscored):
    agents = np.array([[0., 0.], [2., 0.]])
    # landmark 0 by agent 0, 1 by agent 1; 2 is second nearest to agent 0; 3 is far from both
    landmarks = np.array([[0.1, 0.], [2., 0.2], [-0.5, 0.], [1., 5.]])
    stats = reward_coverage.coverage(agents, landmarks, k_landmark)
    nearest = np.linalg.norm(agents[:, None] - landmarks[None], axis=-1).min(axis=0)
    scored = [l for l in range(4) if l not in unscored]
    assert stats['unscored_share'] == pytest.approx(len(unscored) / 4)
    assert stats['unscored_distance_share'] == pytest.approx(nearest[unscored].sum() / nearest.sum())
    assert (stats['scored_d'], stats['unscored_d']) == pytest.approx((nearest[scored].mean(), nearest[unscored].mean()))


def test_the_table_of_a_trained_checkpoint_starts_at_the_reset_and_ends_at_the_last_step():
    from ding_atoc.entry.train import train
    main_config, create_config = tiny.shrink(*tiny.load('cooperative_navigation/ding_atoc_paper_config.py', n_agent=6),
                                             n_sample=32)
    run = train((main_config, create_config), seed=0, max_env_step=64, progress=False)['exp_name']
    lines = reward_coverage.coverage_table((main_config, create_config), f'{run}/ckpt/ckpt_latest.pth.tar', episodes=2)
    steps = [int(line.split('|')[1]) for line in lines[3:]]
    assert steps[0] == 0 and steps[-1] == main_config.env.max_cycles and steps == sorted(set(steps))
    for line in lines[3:]:
        unscored, distance_share = (float(x) for x in line.split('|')[2:4])
        assert 0.0 <= unscored <= 1.0 and 0.0 <= distance_share <= 1.0
    with pytest.raises(ValueError, match='a cooperative_navigation config is needed'):
        reward_coverage.coverage_table(tiny.load('predator_prey/ding_atoc_config.py'), 'unused.pth.tar', episodes=1)
