"""The dQ queue over training (``bench/dq_over_training.py``): per-window means over runs of the logged dQ quantiles."""
import os

import pytest

from bench import compare, dq_over_training

WINDOW = 100


def write_log(path, dq_rows):
    """An eval log with an untrained evaluation (no dQ yet) at step 0, then one row per ``dq_rows`` entry every 50."""
    rows = [{'env_step': 0, 'eval_return': -5.0, 'eval_initiator_share': 0.0}]
    for i, (median, positive, share) in enumerate(dq_rows, start=1):
        rows.append({'env_step': 50 * i, 'eval_return': -4.0, 'eval_initiator_share': share, 'dq_mean': median,
                     'dq_std': 1.0, 'dq_positive_share': positive, 'dq_q10': median - 1.0, 'dq_median': median,
                     'dq_q90': median + 2.0})
    os.makedirs(os.path.dirname(path), exist_ok=True)
    compare.write_csv(str(path), rows)
    return str(path)


def parse_rows(text):
    lines = [line for line in text.splitlines() if line.startswith('| ')][1:]  # after the header
    return [[cell.strip() for cell in line.strip('|').split('|')] for line in lines]


@pytest.mark.parametrize('n_runs', [1, 3])
def test_each_window_gives_the_mean_over_runs_of_the_dq_quantiles_and_shares(tmp_path, capsys, n_runs):
    # run r: medians 1, 3 in the first window and 5, 7 in the second, shifted by r; shares fixed per window
    logs = [write_log(tmp_path / f'seed{r}' / 'curve.csv',
                      [(1.0 + r, 0.6, 0.4), (3.0 + r, 0.8, 0.2), (5.0 + r, 0.5, 0.1), (7.0 + r, 0.5, 0.1)])
            for r in range(n_runs)]
    figure = tmp_path / 'dq.png'
    assert dq_over_training.main(logs + ['--window', str(WINDOW), '--plot', str(figure)]) == 0
    rows = parse_rows(capsys.readouterr().out)
    shift = (n_runs - 1) / 2  # mean of 0 .. n_runs - 1
    assert rows[0] == ['0-100', f'{1.0 + shift:.3g}', f'{2.0 + shift:.3g}', f'{4.0 + shift:.3g}', '0.7', '0.3']
    assert rows[1][0] == '100-200' and rows[1][2] == f'{6.0 + shift:.3g}' and rows[1][4:] == ['0.5', '0.1']
    assert figure.stat().st_size > 0


def test_a_log_without_dq_is_refused_by_name(tmp_path):
    path = tmp_path / 'nocomm' / 'curve.csv'
    os.makedirs(path.parent)
    compare.write_csv(str(path), [{'env_step': 0, 'eval_return': -5.0}, {'env_step': 50, 'eval_return': -4.0}])
    with pytest.raises(ValueError, match='nocomm.*no dq_median'):
        dq_over_training.main([str(path)])
