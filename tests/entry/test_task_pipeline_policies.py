"""The task-pipeline entry trains off-policy and on-policy configs, and refuses sequence learners clearly."""
import pytest

from ding_atoc.entry.train import train
from tests import tiny


pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')


@pytest.mark.parametrize('name', ['ding_atoc', 'maddpg', 'mappo'])
def test_task_pipeline_trains_and_summarizes(tmp_path, name):
    main_config, create_config = tiny.shrink(*tiny.load(f'cooperative_navigation/{name}_config.py'), n_sample=50)
    summary = train((main_config, create_config), seed=0, max_env_step=100, progress=False)
    assert summary['evaluations'] >= 2 and summary['train_iter'] >= 1
    assert 'occupied_landmarks' in summary and 'eval_return' in summary
    assert summary['exp_name'] == 'run_seed0'  # the run's own folder: exp_name and seed
    assert (tmp_path / 'run_seed0' / 'learning_curve.png').exists()
    assert (tmp_path / 'run_seed0' / 'ckpt' / 'ckpt_latest.pth.tar').exists()


def test_sequence_learners_are_sent_to_the_serial_pipeline(tmp_path):
    main_config, create_config = tiny.shrink(*tiny.load('cooperative_navigation/qmix_config.py'))
    with pytest.raises(ValueError, match='ding -m serial'):
        train((main_config, create_config), seed=0, max_env_step=100, progress=False)


def test_task_pipeline_runs_envs_in_subprocesses(tmp_path):
    main_config, create_config = tiny.shrink(
        *tiny.load('cooperative_navigation/ding_atoc_config.py'), n_sample=50, env_manager='subprocess'
    )
    main_config.env.collector_env_num = 2
    summary = train((main_config, create_config), seed=0, max_env_step=100, progress=False)
    assert summary['env_step'] >= 100 and summary['train_iter'] >= 1
