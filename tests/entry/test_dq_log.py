"""
Specification of the dQ log of ``ding-atoc train``: at every evaluation the eval log records the distribution of dQ
in the queue D (what communicating is worth to the critic, what the attention unit learns from), so that it can be
followed over training (``bench/dq_over_training.py``); a policy that forms no groups records none.
"""
import os

import pytest
import torch

from ding_atoc.entry.cli import main
from ding_atoc.entry.middleware import read_eval_log
from ding_atoc.entry.report import task_metrics

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = os.path.join(ROOT, 'configs', 'cooperative_navigation')
DQ_COLUMNS = {'dq_mean', 'dq_std', 'dq_positive_share', 'dq_q10', 'dq_median', 'dq_q90'}


def train_run(config, collector):
    assert main(['train', '-c', os.path.join(CONFIGS, config), '--env-step', '800', '--no-progress', '--collector',
                 collector]) == 0
    run = next(p for p in os.listdir('.') if p.startswith('cooperative_navigation_'))
    checkpoint = torch.load(os.path.join(run, 'ckpt', 'ckpt_latest.pth.tar'), map_location='cpu', weights_only=False)
    return read_eval_log(os.path.join(run, 'eval_log.csv')), checkpoint


@pytest.mark.parametrize('collector', ['auto', 'per-env'])
def test_every_evaluation_after_the_first_pairs_logs_the_distribution_of_the_dq_queue(collector,
                                                                                     in_tmp_path_one_thread):
    rows, checkpoint = train_run('ding_atoc_config.py', collector)
    assert not DQ_COLUMNS & set(rows[0])  # before any collection the queue is empty
    assert all(DQ_COLUMNS <= set(row) for row in rows[1:])
    # The last row describes the queue the run ends with, the one its checkpoint holds.
    queue = checkpoint['policy']['dq_queue']
    gain = queue['gain'][:queue['size']].double()
    last = rows[-1]
    assert last['dq_mean'] == pytest.approx(gain.mean().item(), rel=1e-6, abs=1e-9)
    assert last['dq_std'] == pytest.approx(gain.std().item(), rel=1e-6, abs=1e-9)
    assert last['dq_positive_share'] == pytest.approx((gain > 0).double().mean().item())
    for column, q in (('dq_q10', 0.1), ('dq_median', 0.5), ('dq_q90', 0.9)):
        assert last[column] == pytest.approx(torch.quantile(gain, q).item(), rel=1e-6, abs=1e-9)
    assert last['dq_q10'] <= last['dq_median'] <= last['dq_q90']
    assert not DQ_COLUMNS & set(task_metrics(last))  # not a task metric: no table or summary scores it as one


@pytest.mark.parametrize('config', ['ding_atoc_nocomm_config.py', 'ding_atoc_commall_config.py'])
def test_ablations_that_score_no_group_log_no_dq(config, in_tmp_path_one_thread):
    rows, _ = train_run(config, 'auto')
    assert len(rows) >= 2 and not any(DQ_COLUMNS & set(row) for row in rows)
