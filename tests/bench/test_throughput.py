"""The pipeline-throughput benchmark: both policies get the reference's schedule, steps are counted, ratio is right."""
import os

import pytest

from bench import throughput

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')  # measure changes directory and the thread count


def test_every_policy_gets_the_reference_configs_collection_and_learning_schedule():
    from tests import tiny
    reference, _ = tiny.load('cooperative_navigation/ding_atoc_config.py')
    assert throughput.schedule_of('cooperative_navigation', 'ding_atoc') == {
        'policy.collect.n_sample': str(reference.policy.collect.n_sample),
        'policy.learn.update_per_collect': str(reference.policy.learn.update_per_collect),
        'policy.learn.batch_size': str(reference.policy.learn.batch_size)}


@pytest.mark.parametrize('policy', ['ding_atoc', 'atoc'])
def test_a_measurement_trains_for_the_env_step_budget_under_the_given_schedule(tmp_path, policy):
    # Four collector envs for both, so that DI-engine's serial collector gathers exactly n_sample per collection.
    schedule = {'policy.collect.n_sample': '200', 'policy.learn.update_per_collect': '2',
                'policy.learn.batch_size': '16', 'env.collector_env_num': '4'}
    row = throughput.measure('cooperative_navigation', policy, 3, 400, 0, schedule, str(tmp_path / policy))
    assert row['env_steps'] == 400  # two collections of 200
    assert row['steps_per_s'] == pytest.approx(row['env_steps'] / row['wall_s'])


def test_the_table_gives_the_reference_speed_up_over_each_policy():
    rows = [{'policy': 'ding_atoc', 'env_steps': 4000, 'wall_s': 10.0, 'steps_per_s': 400.0},
            {'policy': 'atoc', 'env_steps': 4000, 'wall_s': 80.0, 'steps_per_s': 50.0}]
    table = throughput.markdown_table(rows, 'ding_atoc')
    assert '| ding_atoc | 4000 | 10.0 | 400.0 | 1.0x |' in table
    assert '| atoc | 4000 | 80.0 | 50.0 | 8.0x |' in table


def test_a_schedule_config_is_the_base_config_with_only_the_learning_schedule_changed():
    from ding.config import read_config
    from tests import tiny
    base = tiny.config_path('cooperative_navigation', 'ding_atoc')
    main_config, create_config = read_config(throughput.schedule_config(base, 256, 10))
    reference, reference_create = read_config(base)
    assert (main_config.policy.learn.batch_size, main_config.policy.learn.update_per_collect) == (256, 10)
    reference.policy.learn.batch_size, reference.policy.learn.update_per_collect = 256, 10
    assert main_config == reference and create_config == reference_create


@pytest.mark.parametrize('ranks', [1, 2])
def test_a_train_run_counts_the_env_steps_of_every_rank_at_the_configs_replay_ratio(tmp_path, ranks):
    config = os.path.join('configs', 'cooperative_navigation', 'ding_atoc_config.py')
    row = throughput.train_run(throughput.ROOT, config, 3, 400, 'batched', str(tmp_path / 'run'), ranks=ranks)
    assert row['env_steps'] == 400 * ranks and row['train_iter'] == 40  # each rank: one collection, 40 updates
    assert row['ratio'] == pytest.approx(40 * 64 / 400)


def test_an_on_policy_train_runs_replay_ratio_is_its_epochs_per_collection(tmp_path):
    config = os.path.join('configs', 'hidden_target_navigation', 'ding_atoc_mappo_config.py')
    row = throughput.train_run(throughput.ROOT, config, 3, 800, 'batched', str(tmp_path / 'run'))
    assert row['env_steps'] == 800 and row['ratio'] == 5  # epoch_per_collect=5: each sample learned 5 times
