"""Issue 6's sweep: the conditions it covers, how cells are named and configured, and what its report says."""
import os

import pytest

from bench import channel_sweep, compare


def result(name, seed, eval_return, status='finished'):
    final = {'env_step': 100, 'eval_return': eval_return, 'occupied_landmarks': 0.5, 'collisions': 1.0,
             compare.INITIATOR_SHARE: 0.0 if name == 'ding_atoc_nocomm' else 0.25 * (seed + 1)}
    return {'env': channel_sweep.ENV, 'n_agent': 10, 'policy': name, 'seed': seed, 'status': status,
            'final': final if status == 'finished' else None, 'curve': []}


def test_the_sweep_covers_each_delay_without_loss_each_loss_without_delay_and_the_goal_condition():
    pairs = channel_sweep.conditions()
    assert [(d, 0.0) for d in channel_sweep.DELAYS] == [p for p in pairs if p[1] == 0.0]
    assert {(0, p) for p in channel_sweep.DROPS} <= set(pairs)
    assert channel_sweep.GOAL_CONDITION in pairs
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize('channel', channel_sweep.CHANNELS)
@pytest.mark.parametrize('delay, drop', channel_sweep.conditions())
def test_each_condition_is_configured_through_the_policy_config(channel, delay, drop):
    from tests import tiny
    main_config, _ = tiny.load('cooperative_navigation/ding_atoc_config.py')
    compare.apply_settings(main_config, channel_sweep.settings(channel, delay, drop))
    assert main_config.policy.model.channel == channel
    assert main_config.policy.channel_conditions.delay == delay
    assert main_config.policy.channel_conditions.drop_prob == pytest.approx(drop)


def test_the_default_condition_shares_the_compare_suites_ding_atoc_cell_and_the_others_get_their_own(tmp_path):
    cells = channel_sweep.cells(10, [0, 1], 1000, str(tmp_path))
    folders = [cell[5] for cell in cells]
    assert len(folders) == len(set(folders)) == 2 * (1 + len(channel_sweep.CHANNELS) * len(channel_sweep.conditions()))
    assert compare.cell_dir(str(tmp_path), 'cooperative_navigation', 10, 'ding_atoc', 1) in folders
    assert compare.cell_dir(str(tmp_path), 'cooperative_navigation', 10, 'ding_atoc_nocomm', 0) in folders
    assert channel_sweep.label('attention', 0, 0.0) == 'attention_d0_p0'
    assert channel_sweep.label('bilstm', 1, 0.2) == 'bilstm_d1_p0.2'


def test_the_table_compares_each_condition_with_the_ablation_and_counts_only_finished_seeds(tmp_path):
    results = [result('ding_atoc_nocomm', s, -10.0) for s in range(3)]
    results += [result('ding_atoc', s, -9.0) for s in range(3)]
    results += [result('bilstm_d1_p0.2', s, -11.0) for s in range(2)] + [result('bilstm_d1_p0.2', 2, None, 'failed')]
    table = channel_sweep.markdown_table(results)
    rows = {tuple(line.split(' | ')[:2]): line for line in table.splitlines() if line.startswith('| ')}
    assert '| -9 ± 0 (3) |' in rows[('| 0', '0')] and '| yes |' in rows[('| 0', '0')]
    assert '| -11 ± 0 (2) |' in rows[('| 1', '0.2')] and '| no |' in rows[('| 1', '0.2')]
    assert '| 0.375 ± 0.12 |' in rows[('| 1', '0.2')]  # the initiator share of the two finished seeds
    assert rows[('| 4', '0')].endswith('| - (0) | - | - | - | - |')  # not run yet: no claim either way
    assert 'No-communication ablation: -10 ± 0 (3 seeds)' in table

    channel_sweep.plot(results, str(tmp_path / 'sweep.png'))
    assert os.path.getsize(tmp_path / 'sweep.png') > 0
