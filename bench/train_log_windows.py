"""
Overview:
    How the learner's own logs change over a long run: the mean per window of env steps of scalars that
    ``ding-atoc train`` writes to DI-engine's tensorboard logs but not to ``eval_log.csv`` (the critic's Q of the
    replayed batches, its loss, the share of saturated actions, ...). Reads every ``events.out.tfevents.*`` file of
    each run folder: a run resumed from a checkpoint writes a new file, and where two files hold the same env step
    (the steps between the checkpoint and the stop are logged twice) the later file's value counts.

Usage:
    python bench/train_log_windows.py <run folder> [<run folder> ...] --window 100000 \\
        --tags basic/train_q_value basic/train_action_saturated_share
"""
import argparse
import glob
import os
import sys
from typing import Dict, List

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script: the repo's root
from bench.window_stats import window_means  # noqa: E402

DEFAULT_TAGS = ('basic/train_q_value', 'basic/train_critic_loss', 'basic/train_action_saturated_share')


def read_scalars(run_folder: str, tags: List[str]) -> List[Dict[str, float]]:
    """
    Overview:
        The logged values of ``tags`` in ``run_folder``, one row per env step: ``{'env_step': s, tag: value, ...}``,
        sorted by step; the later event file wins a step both hold. Raises ``ValueError`` for a folder without event
        files or a tag that none of them logs.
    """
    paths = glob.glob(os.path.join(run_folder, 'events.out.tfevents.*'))
    if not paths:
        raise ValueError(f'{run_folder}: no events.out.tfevents.* file (not a run folder of ding-atoc train)')
    files = [EventAccumulator(path, size_guidance={'scalars': 0}) for path in paths]
    for events in files:
        events.Reload()
    by_step: Dict[int, Dict[str, float]] = {}
    seen = set()
    # in the order they were opened (their first event's wall time: copies keep it, unlike the files' dates)
    for events in sorted(files, key=lambda events: events.FirstEventTimestamp()):
        for tag in set(tags) & set(events.Tags()['scalars']):
            seen.add(tag)
            for event in events.Scalars(tag):
                by_step.setdefault(event.step, {'env_step': event.step})[tag] = event.value
    missing = [tag for tag in tags if tag not in seen]
    if missing:
        raise ValueError(f'{run_folder}: no values of {missing} in its event files')
    return [by_step[step] for step in sorted(by_step)]


def windows_table(run_folders: List[str], tags: List[str], window: int) -> List[str]:
    """The markdown table of the module doc: one row per window, one column per run and tag."""
    runs = [read_scalars(folder, tags) for folder in run_folders]
    budget = max(int(run[-1]['env_step']) for run in runs)
    columns = [(index, tag) for index in range(len(runs)) for tag in tags]
    means = {column: window_means(runs[column[0]], column[1], window, budget) for column in columns}
    lines = [f'run {index}: {folder}' for index, folder in enumerate(run_folders)]
    lines.append('| env steps | ' + ' | '.join(f'run {index}: {tag}' for index, tag in columns) + ' |')
    lines.append('|---' * (len(columns) + 1) + '|')
    for k in range(len(means[columns[0]])):
        lines.append(f'| {k * window}-{(k + 1) * window} | '
                     + ' | '.join(f'{means[column][k]:.4g}' for column in columns) + ' |')
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('runs', nargs='+', help='run folders of ding-atoc train (run_seed*/ of a compare cell)')
    parser.add_argument('--window', type=int, default=100000, help='env steps per window')
    parser.add_argument('--tags', nargs='+', default=list(DEFAULT_TAGS), help='tensorboard scalar tags')
    args = parser.parse_args(argv)
    print('\n'.join(windows_table(args.runs, args.tags, args.window)))


if __name__ == '__main__':
    main()
