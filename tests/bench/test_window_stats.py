"""Windowed statistics of a compare folder: per-seed means of a metric per window of env steps, Welch's t-test."""
import json
import math
import os

import numpy as np
import pytest

from bench import compare, window_stats

BUDGET, WINDOW = 300, 100


def write_cell(out, policy, seed, values, status='finished', n_agent=4, budget=BUDGET):
    """A finished compare cell whose evaluations at env steps 0, 50, 100, ... give ``values`` of 'occupied'."""
    folder = compare.cell_dir(str(out), 'env', n_agent, policy, seed)
    os.makedirs(folder)
    rows = [{'env_step': 50 * i, 'occupied': value} for i, value in enumerate(values)]
    compare.write_csv(f'{folder}/curve.csv', rows)
    result = dict(env='env', policy=policy, n_agent=n_agent, seed=seed, budget=budget, status=status)
    with open(f'{folder}/result.json', 'w') as f:
        json.dump(result, f)


def parse_rows(lines):
    """Each window's row as its cells, after the header and the separator."""
    return [[cell.strip() for cell in line.strip('|').split('|')] for line in lines[3:]]


def test_window_means_exclude_the_untrained_evaluation_and_leave_empty_windows_nan():
    curve = [{'env_step': 0, 'm': 9.0}, {'env_step': 50, 'm': 1.0}, {'env_step': 100, 'm': 3.0},
             {'env_step': 300, 'm': 5.0}]
    means = window_stats.window_means(curve, 'm', WINDOW, BUDGET)
    assert means[:1] == [2.0] and math.isnan(means[1]) and means[2] == 5.0


@pytest.mark.parametrize('n_seeds', [2, 3])
def test_each_window_tests_the_first_policy_against_the_others_over_the_seeds(tmp_path, n_seeds):
    # seed s of 'talk' is 0.1 above 'silent' in the last window only, with a spread of 0.01 between seeds
    for seed in range(n_seeds):
        write_cell(tmp_path, 'talk', seed, [0.0, 0.2, 0.2, 0.4, 0.4, 0.6 + 0.01 * seed, 0.6 + 0.01 * seed])
        write_cell(tmp_path, 'silent', seed, [0.0, 0.2, 0.2, 0.4, 0.4, 0.5 + 0.01 * seed, 0.5 + 0.01 * seed])
    write_cell(tmp_path, 'silent', 9, [1.0] * 7, n_agent=8)  # another team size: not counted
    lines = window_stats.window_table(str(tmp_path), ['talk', 'silent'], 'occupied', WINDOW, n_agent=4)
    assert '3 windows' in lines[0]
    rows = parse_rows(lines)
    assert [row[0] for row in rows] == ['0-100', '100-200', '200-300']
    talk = [0.6 + 0.01 * seed for seed in range(n_seeds)]
    silent = [value - 0.1 for value in talk]
    expected = window_stats.welch(talk, silent)
    # Welch's t from its formula: the two samples have the same variance, so t = difference / sqrt(2 var / n)
    assert expected['t'] == pytest.approx(0.1 / math.sqrt(2 * np.var(talk, ddof=1) / n_seeds))
    assert rows[-1][3] == f"{expected['t']:.2f}, {expected['p']:.3f}" and expected['p'] < 0.05
    assert rows[0][3] == 'nan, nan'  # identical windows: no difference to test (zero variance)
    assert rows[-1][1].startswith(', '.join(f'{v:.3g}' for v in talk))


def test_skipped_steps_leave_the_rise_out_and_one_window_can_cover_the_rest(tmp_path):
    # 'talk' rises later than 'silent' and ends 0.1 above it: over the plateau after 100 env steps it is ahead
    for seed in range(3):
        write_cell(tmp_path, 'talk', seed, [0.0, 0.0, 0.0, 0.6, 0.6 + 0.01 * seed, 0.6, 0.6 + 0.01 * seed])
        write_cell(tmp_path, 'silent', seed, [0.0, 0.9, 0.9, 0.5, 0.5 + 0.01 * seed, 0.5, 0.5 + 0.01 * seed])
    lines = window_stats.window_table(str(tmp_path), ['talk', 'silent'], 'occupied', 200, skip=100)
    assert '1 windows' in lines[0]
    (row,) = parse_rows(lines)
    assert row[0] == '100-300'
    talk = [np.mean([0.6, 0.6 + 0.01 * seed, 0.6, 0.6 + 0.01 * seed]) for seed in range(3)]
    expected = window_stats.welch(talk, [value - 0.1 for value in talk])
    assert row[3] == f"{expected['t']:.2f}, {expected['p']:.3f}" and expected['t'] > 0
    with pytest.raises(ValueError, match=r'--skip must be in \[0, 300\) env steps'):
        window_stats.window_table(str(tmp_path), ['talk', 'silent'], 'occupied', 200, skip=300)


def test_one_seed_has_no_test_and_a_missing_policy_is_named(tmp_path):
    write_cell(tmp_path, 'talk', 0, [0.0] * 7)
    write_cell(tmp_path, 'silent', 0, [0.0] * 7)
    write_cell(tmp_path, 'broken', 0, [0.0] * 7, status='failed')
    rows = parse_rows(window_stats.window_table(str(tmp_path), ['talk', 'silent'], 'occupied', WINDOW))
    assert all(row[3] == 'nan, nan' for row in rows)
    with pytest.raises(ValueError, match=r"no finished cell of \['broken'\]"):
        window_stats.window_table(str(tmp_path), ['talk', 'broken'], 'occupied', WINDOW)


def test_the_command_line_prints_a_table_per_metric(tmp_path, capsys):
    for seed in range(2):
        write_cell(tmp_path, 'talk', seed, [0.0, 0.1 * seed] + [0.5] * 5)
        write_cell(tmp_path, 'silent', seed, [0.0] * 7)
    window_stats.main(['--out', str(tmp_path), '--policies', 'talk', 'silent', '--metrics', 'occupied', 'env_step',
                       '--window', '150'])
    out = capsys.readouterr().out
    assert out.count('2 windows; budget 300') == 2 and 'occupied, mean' in out and 'env_step, mean' in out
    with pytest.raises(SystemExit, match='--window must be at least 1'):
        window_stats.main(['--out', str(tmp_path), '--policies', 'talk', '--window', '0'])


def test_the_plot_draws_each_policys_window_means_over_its_seeds(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt
    kept = []
    monkeypatch.setattr(plt, 'close', kept.append)  # keep the figure to read its lines back
    for seed in range(2):
        write_cell(tmp_path, 'talk', seed, [0.0, 0.2, 0.2, 0.4, 0.4, 0.6 + 0.1 * seed, 0.6 + 0.1 * seed])
        write_cell(tmp_path, 'silent', seed, [0.0] * 7)
    path = tmp_path / 'windows.png'
    window_stats.main(['--out', str(tmp_path), '--policies', 'talk', 'silent', '--metrics', 'occupied', 'env_step',
                       '--window', str(WINDOW), '--plot', str(path), '--title', 'spec'])
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    (figure,) = kept
    panels = figure.axes
    assert [axis.get_ylabel() for axis in panels] == ['occupied', 'env_step']
    lines = {line.get_label(): line for line in panels[0].get_lines()}
    assert set(lines) == {'talk (2 seeds)', 'silent (2 seeds)'}
    np.testing.assert_allclose(lines['talk (2 seeds)'].get_xdata(), [100, 200, 300])
    np.testing.assert_allclose(lines['talk (2 seeds)'].get_ydata(), [0.2, 0.4, 0.65])
    np.testing.assert_allclose(lines['silent (2 seeds)'].get_ydata(), [0.0, 0.0, 0.0])
