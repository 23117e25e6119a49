"""The gate diagnostics: a row per evaluation on what the attention unit learns from, and a run it leaves unchanged."""
import copy
import csv
import os

import pytest

from bench import gate_diagnostics
from tests import tiny

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')


def read(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_the_gate_log_describes_every_evaluation_and_the_recording_leaves_the_run_unchanged():
    from ding_atoc.entry.train import train
    from ding_atoc.policy.atoc import DingATOCPolicy
    main_config, create_config = tiny.shrink(*tiny.load('cooperative_navigation/ding_atoc_config.py'), n_sample=32)
    main_config.policy.eval.evaluator.eval_freq = 4
    originals = {name: getattr(DingATOCPolicy, name) for name in ('_forward_eval', '_train_attention_unit')}

    recorded = gate_diagnostics.diagnose(copy.deepcopy(main_config), create_config, seed=0, env_step=320)
    assert {name: getattr(DingATOCPolicy, name) for name in originals} == originals  # unwrapped after the run
    main_config.exp_name = 'plain'
    plain = train((main_config, create_config), seed=0, max_env_step=320, progress=False)['exp_name']

    evaluations, unrecorded = read(os.path.join(recorded, 'eval_log.csv')), read(os.path.join(plain, 'eval_log.csv'))
    for row in evaluations + unrecorded:
        row.pop('wall_s')
    assert evaluations == unrecorded and len(evaluations) >= 3

    gate = read(os.path.join(recorded, 'gate_log.csv'))
    for key in ('env_step', 'eval_initiator_share'):
        assert [float(row[key]) for row in gate] == [float(row[key]) for row in evaluations]
    for row in gate[1:]:  # after the first evaluation: collections, a queue, a fit and decisions to describe
        assert int(float(row['queue_size'])) > 0 and int(float(row['collect_dq_pairs'])) >= 0
        assert 0.0 <= float(row['eval_p_min']) <= float(row['eval_p_mean']) <= float(row['eval_p_max']) <= 1.0
        assert 0.0 <= float(row['queue_target_mean']) <= 1.0 and -1.0 <= float(row['fit_corr_p_target']) <= 1.0
    assert sum(int(float(row['collect_dq_pairs'])) for row in gate) == int(float(gate[-1]['queue_size']))
