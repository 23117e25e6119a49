"""The learner-log windows: means per window of env steps of tensorboard scalars, across the event files of a
resumed run."""
import os

import pytest
from tensorboardX import SummaryWriter

from bench import train_log_windows

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')
TAG = 'basic/train_q_value'


def write_events(folder: str, values: dict, name_rank: int) -> None:
    """One new event file in ``folder`` with ``TAG`` at the given {env step: value}; ``name_rank`` orders the files'
    names against the order they are written in, and their dates are all the same, as in a copied folder."""
    writer = SummaryWriter(folder, filename_suffix=f'.{name_rank}')
    for step, value in values.items():
        writer.add_scalar(TAG, value, step)
    writer.close()
    for path in os.listdir(folder):
        os.utime(os.path.join(folder, path), (1000, 1000))


def test_a_resumed_runs_later_file_wins_the_steps_both_hold_and_windows_average_the_rest(tmp_path):
    run = str(tmp_path / 'run_seed0')
    write_events(run, {10: 1.0, 20: 2.0, 30: 100.0}, name_rank=2)  # stopped after 30, its checkpoint at 20
    write_events(run, {30: 3.0, 40: 4.0}, name_rank=1)  # resumed: step 30 again
    rows = train_log_windows.read_scalars(run, [TAG])
    assert [(row['env_step'], row[TAG]) for row in rows] == [(10, 1.0), (20, 2.0), (30, 3.0), (40, 4.0)]
    lines = train_log_windows.windows_table([run], [TAG], window=20)
    assert [line.split('|')[1:3] for line in lines[3:]] == [[' 0-20 ', ' 1.5 '], [' 20-40 ', ' 3.5 ']]


def test_a_folder_without_logs_or_without_the_tag_is_refused(tmp_path):
    with pytest.raises(ValueError, match='no events.out.tfevents'):
        train_log_windows.read_scalars(str(tmp_path), [TAG])
    write_events(str(tmp_path), {10: 1.0}, name_rank=1)
    with pytest.raises(ValueError, match="no values of \\['basic/train_loss'\\]"):
        train_log_windows.read_scalars(str(tmp_path), [TAG, 'basic/train_loss'])
