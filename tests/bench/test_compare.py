"""The benchmark suite: reproducible cells, resumable runs, failures recorded, table and curves."""
import csv
import json
import os

import pytest
import torch

from bench import compare
from ding_atoc.entry.run_folder import LOCK_FILE
from tests.holding import held_by_another_process


pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')  # run_cell changes directory and the thread count


@pytest.fixture(autouse=True)
def _restore_deterministic_algorithms():
    deterministic = torch.are_deterministic_algorithms_enabled()  # run_cell turns them on
    yield
    torch.use_deterministic_algorithms(deterministic)


def curve(folder):
    with open(os.path.join(folder, 'curve.csv'), newline='') as f:
        return list(csv.DictReader(f))


def test_a_cell_rerun_with_the_same_seed_reproduces_its_curve(tmp_path):
    first, second = str(tmp_path / 'a'), str(tmp_path / 'b')
    for folder in (first, second):
        result = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 1, 400, folder)
        assert result['status'] == 'finished', result['error']
    assert len(curve(first)) >= 2 and 'occupied_landmarks' in curve(first)[0]
    assert [r['eval_return'] for r in curve(first)] == [r['eval_return'] for r in curve(second)]
    # Every evaluation, the final one included, says how much the gate let the agents initiate.
    assert all(0.0 <= float(r[compare.INITIATOR_SHARE]) <= 1.0 for r in curve(first))


def test_the_table_gives_the_initiator_share_beside_the_return_and_a_dash_for_policies_without_a_gate():
    def result(policy, seed, share):
        final = {'env_step': 100, 'eval_return': -1.0, 'collisions': 0.0}
        final.update({} if share is None else {compare.INITIATOR_SHARE: share})
        return {'env': 'cn', 'n_agent': 3, 'policy': policy, 'seed': seed, 'status': 'finished', 'final': final,
                'wall_s': 1.0}

    table = compare.markdown_table([result('ding_atoc', 0, 0.2), result('ding_atoc', 1, 0.6), result('maddpg', 0, None)])
    header, _, atoc, maddpg = table.splitlines()
    assert header.startswith('| env | N | policy | seeds | failed | eval return | initiator share | collisions |')
    assert atoc.startswith('| cn | 3 | ding_atoc | 2 | 0 | -1 ± 0 | 0.4 ± 0.2 | 0 ± 0 |')
    assert maddpg.startswith('| cn | 3 | maddpg | 1 | 0 | -1 ± 0 | - | 0 ± 0 |')


def test_the_table_gives_the_task_metrics_and_the_messages_and_leaves_the_diagnostics_to_the_curves():
    from ding_atoc.entry.evaluate import ACTION_SATURATED_SHARE
    final = {'env_step': 100, 'wall_s': 1.0, 'eval_return': -1.0, 'collisions': 2.0, compare.INITIATOR_SHARE: 0.5,
             compare.MESSAGES: 30.0, 'dq_median': 0.1, ACTION_SATURATED_SHARE: 0.2}
    table = compare.markdown_table([{'env': 'cn', 'n_agent': 3, 'policy': 'ding_atoc', 'seed': 0,
                                     'status': 'finished', 'final': final, 'wall_s': 1.0}])
    header = table.splitlines()[0]
    assert header == ('| env | N | policy | seeds | failed | eval return | initiator share | collisions | '
                      f'{compare.MESSAGES} | env steps/s |')


def test_failed_cells_are_recorded_and_finished_cells_are_not_rerun(tmp_path):
    out = str(tmp_path / 'suite')
    arguments = ['--env', 'cooperative_navigation', '--policies', 'ding_atoc', 'no_such_policy', '--n-agent', '3',
                 '--seeds', '0', '--env-step', '400', '--workers', '2', '--out', out]
    assert compare.main(arguments) == 0
    results = {r['policy']: r for r in compare.read_results(out)}
    assert results['ding_atoc']['status'] == 'finished'
    assert results['no_such_policy']['status'] == 'failed'
    assert 'config file not found' in results['no_such_policy']['error']
    table = open(os.path.join(out, 'table.md')).read()
    assert '| cooperative_navigation | 3 | no_such_policy | 1 | 1 |' in table
    assert os.path.getsize(os.path.join(out, 'curves.png')) > 0

    result_file = os.path.join(compare.cell_dir(out, 'cooperative_navigation', 3, 'ding_atoc', 0), 'result.json')
    stamp = os.path.getmtime(result_file)
    compare.main(arguments)  # resumes: the finished cell is not run again, the failed one is
    assert os.path.getmtime(result_file) == stamp
    assert compare.finished(os.path.dirname(result_file), 400)
    assert not compare.finished(compare.cell_dir(out, 'cooperative_navigation', 3, 'no_such_policy', 0), 400)
    with open(result_file) as f:
        assert json.load(f)['final']['env_step'] == 400  # the collectors' count: one collection of 400
    # A serial cell cannot go on from where it stopped: a larger budget is refused, the finished result is kept.
    longer = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 0, 800, os.path.dirname(result_file))
    assert 'only --entry task cells' in longer['status'] and os.path.getmtime(result_file) == stamp


def test_on_policy_configs_go_to_the_on_policy_entry():
    from tests import tiny
    assert compare.is_on_policy(*tiny.load('cooperative_navigation/mappo_config.py'))
    assert not compare.is_on_policy(*tiny.load('cooperative_navigation/ding_atoc_config.py'))


def test_settings_override_config_keys_and_name_the_variant(tmp_path):
    out = str(tmp_path / 'variants')
    compare.main(['--env', 'cooperative_navigation', '--policies', 'ding_atoc', '--n-agent', '3', '--seeds', '0',
                  '--env-step', '400', '--workers', '1', '--out', out, '--label', 'ding_atoc_delay2', '--set',
                  'policy.channel_conditions.delay=2', 'policy.model.channel=attention'])
    (result, ) = compare.read_results(out)
    assert result['policy'] == 'ding_atoc_delay2' and result['status'] == 'finished', result['error']
    assert result['settings'] == {'policy.channel_conditions.delay': '2', 'policy.model.channel': 'attention'}
    config = {'policy': {'model': {}}}
    compare.apply_settings(config, {'policy.model.channel': 'attention', 'policy.model.group_size': '2'})
    assert config == {'policy': {'model': {'channel': 'attention', 'group_size': 2}}}
    with pytest.raises(KeyError, match="no 'learner'"):
        compare.apply_settings(config, {'learner.batch_size': '3'})


def test_a_cell_another_live_process_runs_is_left_alone_and_a_dead_ones_lock_is_taken_over(tmp_path):
    folder = str(tmp_path / 'cell')
    os.makedirs(folder)
    lock = os.path.join(folder, LOCK_FILE)
    with held_by_another_process(folder):
        result = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 0, 400, folder)
        assert result['status'].startswith('busy')
        assert not os.path.exists(os.path.join(folder, 'result.json'))
    result = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 0, 400, folder)  # the holder is dead now
    assert result['status'] == 'finished', result['error']
    assert not os.path.exists(lock)  # released when the cell ends
    again = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 0, 400, folder)
    assert again['wall_s'] == result['wall_s']  # finished meanwhile: its result is returned, not retrained


def test_a_task_pipeline_cell_reproduces_its_curve_and_records_messages(tmp_path):
    first, second = str(tmp_path / 'a'), str(tmp_path / 'b')
    for folder in (first, second):
        result = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 1, 800, folder, entry='task')
        assert result['status'] == 'finished' and result['entry'] == 'task', result['error']
    rows = curve(first)
    assert float(rows[-1]['env_step']) == 800 and 'occupied_landmarks' in rows[-1]
    assert [r['eval_return'] for r in rows] == [r['eval_return'] for r in curve(second)]
    assert all(0.0 <= float(r[compare.INITIATOR_SHARE]) <= 1.0 and float(r[compare.MESSAGES]) >= 0 for r in rows)


def test_a_task_pipeline_cell_stopped_midway_resumes_from_its_checkpoint(tmp_path):
    folder = str(tmp_path / 'cell')
    first = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 1, 400, folder, entry='task')
    assert first['status'] == 'finished', first['error']
    os.remove(os.path.join(folder, 'result.json'))  # as if the session ended after the run's checkpoint at 400
    resumed = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 1, 800, folder, entry='task')
    assert resumed['status'] == 'finished', resumed['error']
    rows = curve(folder)
    # One run, continued in its folder: the curve goes on from the checkpoint instead of starting again.
    assert sorted(os.listdir(folder)) == ['curve.csv', 'result.json', 'run_seed1']
    assert float(rows[0]['env_step']) == 0 and float(rows[-1]['env_step']) == 800
    assert [float(r['env_step']) for r in rows] == sorted(float(r['env_step']) for r in rows)
    assert float(rows[-1]['wall_s']) > float(first['final']['wall_s'])  # the wall time goes on, too


def test_a_cell_trained_to_its_budget_before_its_result_was_written_is_not_trained_again(tmp_path):
    folder = str(tmp_path / 'cell')
    first = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 1, 400, folder, entry='task')
    os.remove(os.path.join(folder, 'result.json'))
    again = compare.run_cell('cooperative_navigation', 'ding_atoc', 3, 1, 400, folder, entry='task')
    assert again['status'] == 'finished', again['error']
    assert again['final'] == first['final'] and sorted(os.listdir(folder)) == ['curve.csv', 'result.json', 'run_seed1']


def test_a_larger_budget_extends_a_finished_task_pipeline_cell_from_its_checkpoint(tmp_path):
    out = str(tmp_path / 'suite')
    arguments = ['--env', 'cooperative_navigation', '--policies', 'ding_atoc', '--n-agent', '3', '--seeds', '1',
                 '--workers', '1', '--entry', 'task', '--out', out]
    assert compare.main(arguments + ['--env-step', '400']) == 0
    folder = compare.cell_dir(out, 'cooperative_navigation', 3, 'ding_atoc', 1)
    assert compare.finished(folder, 400) and not compare.finished(folder, 800)
    assert compare.main(arguments + ['--env-step', '800']) == 0
    (result, ) = compare.read_results(out)
    assert result['status'] == 'finished' and result['budget'] == 800 and result['final']['env_step'] == 800
    assert sorted(os.listdir(folder)) == ['curve.csv', 'result.json', 'run_seed1']  # the same run, continued
