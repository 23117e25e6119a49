"""What the trained gate is worth, layout by layout: paired differences by hand, and the table of trained runs."""
import math

import pytest
from scipy import stats

from bench import gate_effect
from tests.bench.test_communication_profile import trained_checkpoint

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')


def test_the_paired_difference_is_the_mean_of_the_differences_with_a_t_interval():
    d = gate_effect.paired_difference([1., 2., 3., 4.], [0., 1., 2., 4.])  # differences 1, 1, 1, 0
    standard_error = 0.5 / 2  # their std 0.5 over sqrt(4)
    assert d['mean'] == pytest.approx(0.75)
    assert d['half_width'] == pytest.approx(stats.t.ppf(0.975, 3) * standard_error)
    assert d['p'] == pytest.approx(2 * stats.t.sf(0.75 / standard_error, 3))


def test_pairing_matters_a_shift_that_episodes_hide_shows_in_their_differences():
    first = [1.0, 11.0, 21.0, 31.0]  # episodes far apart, each 0.1 above its pair
    d = gate_effect.paired_difference([x + 0.1 for x in first[:2]] + [x + 0.12 for x in first[2:]], first)
    assert d['p'] < 1e-3
    assert stats.ttest_ind(first, [x + 0.1 for x in first]).pvalue > 0.9  # unpaired: nothing to see


@pytest.mark.parametrize('first,second', [([2., 2., 2.], [2., 2., 2.]), ([3., 4., 5.], [2., 3., 4.])])
def test_differences_that_do_not_spread_have_no_interval_and_no_p(first, second):
    d = gate_effect.paired_difference(first, second)
    assert d['mean'] == pytest.approx(first[0] - second[0])
    assert d['half_width'] == 0.0 and math.isnan(d['p'])


def test_one_episode_is_refused():
    with pytest.raises(ValueError, match='two episodes or more'):
        gate_effect.paired_difference([1.], [0.])


def table_cells(lines: list) -> dict:
    """The table's rows by metric: their cells after the metric's name."""
    first = next(i for i, line in enumerate(lines) if line.startswith('|---')) + 1
    rows = ([cell.strip() for cell in line.strip('|').split('|')] for line in lines[first:])
    return {cells[0]: cells[1:] for cells in rows}


@pytest.mark.parametrize('config,module_vars,task_metric', [
    ('cooperative_navigation/ding_atoc_paper_config.py', dict(n_agent=6), 'occupied_landmarks'),
    ('predator_prey/ding_atoc_config.py', {}, 'catches'),
], ids=['cooperative_navigation_n6', 'predator_prey'])
def test_a_communicating_policy_is_played_with_its_gate_as_learned_closed_open_and_random(config, module_vars,
                                                                                          task_metric):
    input_cfg, ckpt = trained_checkpoint(config, **module_vars)
    rows = table_cells(gate_effect.gate_effect_table(input_cfg, ckpt, episodes=3))
    assert task_metric in rows and 'eval_return' in rows
    shares = dict(zip(gate_effect.GATES, (float(x) for x in rows['eval_initiator_share'])))
    assert shares['closed'] == 0.0 and shares['open'] == 1.0 and 0.0 <= shares['learned'] <= 1.0
    for metric in (task_metric, 'eval_return'):
        means = dict(zip(gate_effect.GATES, (float(x) for x in rows[metric][:len(gate_effect.GATES)])))
        rounding = 1e-3 * max(abs(m) for m in means.values())  # the table prints 4 significant digits
        for cell, (gate, baseline) in zip(rows[metric][len(gate_effect.GATES):], gate_effect.DIFFERENCES):
            difference = float(cell.split('±')[0])
            assert difference == pytest.approx(means[gate] - means[baseline], abs=2 * rounding + 1e-9)


@pytest.mark.parametrize('share,same_as', [(0.0, 'closed'), (1.0, 'open')])
def test_a_random_gate_that_opens_for_none_or_all_plays_as_the_closed_or_open_gate(share, same_as):
    input_cfg, ckpt = trained_checkpoint('cooperative_navigation/ding_atoc_paper_config.py', n_agent=6)
    results = gate_effect.play_every_gate(input_cfg, ckpt, episodes=2, random_share=share)
    assert results[gate_effect.RANDOM].per_episode == results[same_as].per_episode
    assert results[gate_effect.RANDOM].shares['eval_initiator_share'] == share


def test_a_random_gate_opens_for_about_its_share_of_the_agents():
    input_cfg, ckpt = trained_checkpoint('cooperative_navigation/ding_atoc_paper_config.py', n_agent=6)
    share = gate_effect.play_every_gate(input_cfg, ckpt, episodes=4, random_share=0.3)[gate_effect.RANDOM].shares
    assert 0.15 < share['eval_initiator_share'] < 0.45  # a few dozen draws


def test_a_random_gate_share_outside_0_1_is_refused():
    input_cfg, ckpt = trained_checkpoint('cooperative_navigation/ding_atoc_paper_config.py', n_agent=6)
    with pytest.raises(ValueError, match=r"share \(--random-share\) must be in \[0, 1\], got 1.5"):
        gate_effect.play_every_gate(input_cfg, ckpt, episodes=1, random_share=1.5)


def test_a_policy_without_communication_plays_the_same_episodes_under_every_gate():
    # the same layouts under every gate: the no-communication ablation's differences are exactly 0
    input_cfg, ckpt = trained_checkpoint('cooperative_navigation/ding_atoc_nocomm_config.py', n_agent=4)
    rows = table_cells(gate_effect.gate_effect_table(input_cfg, ckpt, episodes=3))
    for metric in ('eval_return', 'occupied_landmarks', 'collisions', 'mean_distance'):
        assert len(set(rows[metric][:len(gate_effect.GATES)])) == 1
        assert all(cell.startswith('+0 ± 0;') for cell in rows[metric][len(gate_effect.GATES):])
