"""
End-to-end specification of the entry points on the default config, with tiny budgets: DI-engine's ``ding``
command, ``python <config>``, ``serial_pipeline`` from a script, and the task-pipeline command ``ding-atoc`` (train,
resume, eval).
"""
import os
import runpy
import subprocess
import sys

import pytest
import torch

from ding_atoc.entry.cli import main
from ding_atoc.entry.config_loader import load_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CONFIG = os.path.join(ROOT, 'configs', 'cooperative_navigation', 'ding_atoc_config.py')
#: The default config's exp_name: DI-engine's folder for it (``ding -m serial``, ``serial_pipeline``).
EXP = 'cooperative_navigation_ding_atoc'
#: The folder of ``ding-atoc train``'s run of it with seed 0.
RUN = f'{EXP}_seed0'
BIN = os.path.dirname(sys.executable)


def run(command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def test_ding_cli_serial_mode_trains_and_checkpoints(tmp_path):
    run([os.path.join(BIN, 'ding'), '-m', 'serial', '-c', DEFAULT_CONFIG, '-s', '0', '--env-step', '300'], tmp_path)
    checkpoints = os.listdir(tmp_path / EXP / 'ckpt')
    assert 'ckpt_best.pth.tar' in checkpoints
    state = torch.load(tmp_path / EXP / 'ckpt' / 'ckpt_best.pth.tar', map_location='cpu', weights_only=False)
    assert {'optimizer_actor', 'optimizer_critic', 'optimizer_attention', 'dq_queue'} <= set(state)
    assert 'iteration_0.pth.tar' in checkpoints


def test_ding_cli_train_iter_budget_and_several_seeds(tmp_path):
    run([os.path.join(BIN, 'ding'), '-m', 'serial', '-c', DEFAULT_CONFIG, '-s', '0', '-s', '1', '--train-iter', '1'],
        tmp_path)
    # DI-engine runs each seed in <config name>_result/seed<N>/.
    for seed in (0, 1):
        ckpt = tmp_path / 'ding_atoc_config_result' / f'seed{seed}' / EXP / 'ckpt'
        assert 'iteration_0.pth.tar' in os.listdir(ckpt), seed


def test_python_config_runs_serial_pipeline(tmp_path, monkeypatch):
    import ding.entry
    real_pipeline, calls = ding.entry.serial_pipeline, []

    def small_budget(input_cfg, seed, max_env_step):
        calls.append((seed, max_env_step))
        return real_pipeline(input_cfg, seed=seed, max_env_step=300)

    monkeypatch.setattr(ding.entry, 'serial_pipeline', small_budget)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(DEFAULT_CONFIG, run_name='__main__')
    assert calls == [(0, load_config(DEFAULT_CONFIG)[0].max_env_step)]
    assert (tmp_path / EXP / 'ckpt' / 'ckpt_best.pth.tar').exists()


def test_task_pipeline_train_resume_and_eval(tmp_path):
    ding_atoc = os.path.join(BIN, 'ding-atoc')
    output = run([ding_atoc, 'train', '-c', DEFAULT_CONFIG, '-s', '0', '--env-step', '400', '--no-progress'], tmp_path)
    assert 'run summary' in output and 'occupied_landmarks' in output and 'eval_initiator_share' in output
    exp = tmp_path / RUN
    for produced in ('learning_curve.png', 'eval_log.csv', 'summary.json', 'ckpt/ckpt_latest.pth.tar'):
        assert (exp / produced).exists(), produced
    first = torch.load(exp / 'ckpt' / 'ckpt_latest.pth.tar', map_location='cpu', weights_only=False)
    assert first['env_step'] >= 400 and first['train_iter'] > 0

    run([ding_atoc, 'train', '-c', DEFAULT_CONFIG, '-s', '0', '--env-step', '800', '--no-progress', '--resume',
         str(exp / 'ckpt' / 'ckpt_latest.pth.tar')], tmp_path)
    resumed = torch.load(exp / 'ckpt' / 'ckpt_latest.pth.tar', map_location='cpu', weights_only=False)
    assert resumed['train_iter'] > first['train_iter'] and resumed['env_step'] >= 800
    with open(exp / 'eval_log.csv') as f:
        assert len(f.readlines()) >= 4  # header, the first run's evaluations, the resumed run's

    gif = tmp_path / 'episode.gif'
    output = run([ding_atoc, 'eval', '-c', DEFAULT_CONFIG, '--ckpt', str(exp / 'ckpt' / 'ckpt_latest.pth.tar'),
                  '--episodes', '2', '--gif', str(gif)], tmp_path)
    assert 'occupied_landmarks' in output and 'eval_return' in output and 'eval_initiator_share' in output
    assert gif.stat().st_size > 0


def write_config(tmp_path, replace):
    text = open(DEFAULT_CONFIG).read()
    for old, new in replace:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / 'config.py'
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize('replace,error,message', [
    ([], FileNotFoundError, 'config file not found'),
    ([("type='ding_atoc',", "type='ding_atocc',")], KeyError, "policy.type='ding_atocc' is not registered"),
    ([("type='cooperative_navigation',", "type='cooperative_nav',")], KeyError, "env.type='cooperative_nav'"),
    ([('obs_shape=obs_shape,', 'obs_shape=obs_shape + 1,')], ValueError, 'policy.model.obs_shape=13 does not match'),
    ([('n_agent=n_agent,\n            # (int) Size', 'n_agent=n_agent + 1,\n            # (int) Size')],
     ValueError, 'policy.model.n_agent=6 does not match'),
])
def test_misconfigured_runs_stop_before_training(tmp_path, monkeypatch, replace, error, message):
    monkeypatch.chdir(tmp_path)
    path = write_config(tmp_path, replace) if replace else str(tmp_path / 'missing_config.py')
    with pytest.raises(error, match=message):
        main(['train', '-c', path, '--env-step', '100', '--no-progress', '--debug'])
    assert not (tmp_path / RUN).exists()


def test_default_config_loads_with_registered_names():
    main_config, create_config = load_config(DEFAULT_CONFIG)
    assert create_config.policy.type == 'ding_atoc' and main_config.policy.cuda is True
    assert not os.path.isabs(main_config.exp_name)
