"""
``ding-atoc train --parallel C``: DI-engine's parallel mode, one learner process and C collector processes started by
``ding.framework.Parallel``. The collectors send transitions and the attention unit's (observation, dQ) pairs to the
learner, the learner sends its weights to the collectors and alone writes the run folder.
"""
import dataclasses
import hashlib
import json
import os
import shutil
from typing import Optional

import pytest

from ding_atoc.entry.checkpoint import load_checkpoint
from ding_atoc.entry.cli import ERROR_EXIT_CODE, main
from ding_atoc.entry.parallel import ParallelRunError, train_parallel
from ding_atoc.entry.run_folder import hold
from tests import tiny

CONFIG = 'cooperative_navigation/ding_atoc_config.py'
ENV_STEPS = 300
N_SAMPLE = 50


def _tiny(config: str = CONFIG):
    main_config, create_config = tiny.shrink(*tiny.load(config), exp_name='cn', n_sample=N_SAMPLE)
    main_config.policy.cuda = False
    return main_config, create_config


def fingerprint(weights) -> str:
    """A digest of a model's weights (the model or its state dict): equal digests, equal weights."""
    digest = hashlib.sha256()
    for key, value in (weights if isinstance(weights, dict) else weights.state_dict()).items():
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


@dataclasses.dataclass
class Recorder:
    """
    A probe of ``train_parallel``: in every process, after learning (learner) or collecting (collectors), appends the
    process's weights digest and its dQ counts to ``<folder>/node<id>.json``. With ``die_at``, collector node 1
    exits at once (no exception, no clean-up) in that iteration.
    """
    folder: str
    die_at: Optional[int] = None

    def __call__(self, role: str, node: int, policy):
        mode = policy.learn_mode if role == 'learner' else policy.collect_mode
        model, queue = mode.get_attribute('model'), mode.get_attribute('gain_queue')
        path = os.path.join(self.folder, f'node{node}.json')
        records = {'role': role, 'initial': fingerprint(model), 'weights': [], 'dq': []}

        def _record(ctx) -> None:
            if node == 1 and len(records['weights']) == self.die_at:
                os._exit(3)
            records['weights'].append(fingerprint(model))
            # the learner's queue holds the pairs received; a collector's outbox counts those it recorded
            records['dq'].append(len(queue) if role == 'learner' else queue.recorded)
            with open(path, 'w') as f:
                json.dump(records, f)

        return _record


@pytest.fixture(scope='module')
def parallel_run(tmp_path_factory):
    """One learner and two collectors train the tiny config for ENV_STEPS env steps, recorded by ``Recorder``."""
    run_dir, probe_dir = tmp_path_factory.mktemp('run'), tmp_path_factory.mktemp('probe')
    cwd, threads = os.getcwd(), os.environ.get('OMP_NUM_THREADS')
    os.chdir(run_dir)
    os.environ['OMP_NUM_THREADS'] = '1'  # inherited by the processes: one torch thread each
    try:
        summary = train_parallel(_tiny(), collectors=2, seed=0, max_env_step=ENV_STEPS, progress=False,
                                 save_every_s=0, probe=Recorder(str(probe_dir)))
    finally:
        os.chdir(cwd)
        if threads is None:
            del os.environ['OMP_NUM_THREADS']
        else:
            os.environ['OMP_NUM_THREADS'] = threads
    records = {node: json.loads((probe_dir / f'node{node}.json').read_text()) for node in (0, 1, 2)}
    return summary, run_dir, records


def test_the_learner_trains_on_the_env_steps_of_both_collectors(parallel_run):
    summary, _, records = parallel_run
    assert ENV_STEPS <= summary['env_step'] < ENV_STEPS + 2 * N_SAMPLE  # at most the collections in flight past it
    assert summary['train_iter'] > 0 and summary['evaluations'] >= 2
    assert records[0]['role'] == 'learner' and records[1]['role'] == records[2]['role'] == 'collector'


def test_the_learners_dq_queue_receives_the_pairs_of_both_collectors(parallel_run):
    summary, _, records = parallel_run
    received = summary['dq_pairs_by_collector']
    assert set(received) == {'1', '2'}
    for node in (1, 2):
        # every pair came from that collector's outbox; its last sends may still be in flight when the run ends
        assert 0 < received[str(node)] <= records[node]['dq'][-1]
    assert records[0]['dq'][-1] == sum(received.values())  # all of them in the learner's queue (far from full)


def test_the_collectors_act_with_the_learners_weights(parallel_run):
    _, _, records = parallel_run
    learner = records[0]
    sent = {learner['initial'], *learner['weights']}  # the learner sends its weights after every iteration
    for node in (1, 2):
        used = records[node]['weights']  # the weights each collection acted with
        assert records[node]['initial'] == learner['initial']  # every process builds the model from the seed
        assert set(used) <= sent
        assert len(set(used)) >= 2, 'the collector never received new weights'


def test_the_learner_alone_writes_the_run_folder_and_the_checkpoint(parallel_run):
    summary, run_dir, records = parallel_run
    assert os.listdir(run_dir) == ['cn_seed0'] and summary['exp_name'] == 'cn_seed0'
    folder = run_dir / 'cn_seed0'
    assert {'eval_log.csv', 'summary.json', 'total_config.py', 'ckpt'} <= set(os.listdir(folder))
    assert 'running.pid' not in os.listdir(folder)  # the learner gave the folder back
    checkpoint = load_checkpoint(str(folder / 'ckpt' / 'ckpt_latest.pth.tar'))
    assert checkpoint['env_step'] == summary['env_step'] and checkpoint['train_iter'] == summary['train_iter']
    assert checkpoint['policy']['dq_queue']['size'] == records[0]['dq'][-1] > 0  # the pairs the learner received


@pytest.mark.usefixtures('in_tmp_path_one_thread')
def test_a_resumed_run_continues_in_its_folder_and_its_collectors_start_from_its_weights(parallel_run, tmp_path,
                                                                                          monkeypatch):
    summary, run_dir, _ = parallel_run
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    shutil.copytree(run_dir / 'cn_seed0', tmp_path / 'cn_seed0')  # the other tests read the original
    os.mkdir(tmp_path / 'probe')
    path = os.path.join('cn_seed0', 'ckpt', 'ckpt_latest.pth.tar')
    checkpoint = load_checkpoint(path)
    budget = summary['env_step'] + 2 * N_SAMPLE
    resumed = train_parallel(_tiny(), collectors=1, seed=0, max_env_step=budget, resume=path, progress=False,
                             probe=Recorder(str(tmp_path / 'probe')))
    assert resumed['exp_name'] == 'cn_seed0' and os.listdir(tmp_path) == ['cn_seed0', 'probe']
    assert budget <= resumed['env_step'] and resumed['train_iter'] > summary['train_iter']
    collector = json.loads((tmp_path / 'probe' / 'node1.json').read_text())
    assert collector['weights'][0] == fingerprint(checkpoint['policy']['model'])  # the first collection's
    learner = json.loads((tmp_path / 'probe' / 'node0.json').read_text())
    # the resumed dQ queue, plus what the collector sent
    assert learner['dq'][-1] == checkpoint['policy']['dq_queue']['size'] + resumed['dq_pairs_by_collector']['1']


@pytest.mark.usefixtures('in_tmp_path_one_thread')
def test_a_collector_that_dies_stops_the_run_with_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    os.mkdir(tmp_path / 'probe')
    with pytest.raises(ParallelRunError, match='a process failed or died'):
        train_parallel(_tiny(), collectors=1, seed=0, max_env_step=100 * ENV_STEPS, progress=False,
                       probe=Recorder(str(tmp_path / 'probe'), die_at=1))
    with hold('cn_seed0'):  # the learner was stopped: its run folder is free
        pass


@pytest.mark.parametrize('collectors', [0, -1, 1.5, True])
def test_a_collector_count_below_one_is_refused(collectors):
    with pytest.raises(ValueError, match=r'--parallel C with C >= 1'):
        train_parallel(_tiny(), collectors=collectors)


def test_a_policy_without_dq_pairs_to_send_is_refused():
    with pytest.raises(ValueError, match=r'--parallel supports policies ding_atoc, ding_atoc_command .*got '
                       r'create_config.policy.type='):
        train_parallel(_tiny('cooperative_navigation/maddpg_config.py'), collectors=2)


def test_parallel_mode_under_torchrun_is_refused(monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '2')
    with pytest.raises(ValueError, match='cannot run under torchrun'):
        train_parallel(_tiny(), collectors=2)


@pytest.mark.parametrize('flags, message', [
    (['--parallel', '0'], '--parallel C with C >= 1'),
    (['--parallel', '2', '--collector', 'batched'], "--parallel collects with DI-engine's per-env StepCollector"),
])
def test_the_cli_names_the_bad_flag(flags, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(['train', '-c', tiny.config_path('cooperative_navigation', 'ding_atoc'), *flags]) == ERROR_EXIT_CODE
    assert message in capsys.readouterr().err
    assert os.listdir(tmp_path) == []
