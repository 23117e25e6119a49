"""
Never lose or mix up a run (issue 12): each run in a folder of its own whose name says what ran, resumes into the
folder of its checkpoint with the seed and config it was started with, budgets checked and honoured, config keys and
types checked against the defaults, checkpoints that name what is wrong with them, one-line errors.

Runs are tiny (one collector env, 50 env steps per collection, one update), through ``ding-atoc`` in-process
(``main``) where possible and in subprocesses where the point is several processes or a kill.
"""
import csv
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ding_atoc.entry.checkpoint import CheckpointError, load_checkpoint
from ding_atoc.entry.cli import ERROR_EXIT_CODE, main
from ding_atoc.entry.config_loader import load_config
from ding_atoc.entry.evaluate import evaluate
from ding_atoc.entry.run_folder import LOCK_FILE, FolderInUse, claim, claim_run_folder, hold
from ding_atoc.entry.train import train
from ding_atoc.entry.validation import ConfigError, check_config
from tests import tiny
from tests.holding import held_by_another_process

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')

ROOT = tiny.ROOT
DING_ATOC = os.path.join(os.path.dirname(sys.executable), 'ding-atoc')
#: The folder of the tiny config's first run: its exp_name 'cn' and seed 0 (a run of seed N writes to cn_seed<N>).
EXP = 'cn_seed0'
CKPT = os.path.join('ckpt', 'ckpt_latest.pth.tar')


def write_config(folder, name='tiny_config.py', **edits):
    """
    A config file for ``ding-atoc`` that loads the default config and shrinks it with ``tests.tiny`` (exp_name
    ``cn``, 50 env steps per collection); ``edits`` are Python statements keyed by a label, run after.
    """
    lines = [
        'from tests import tiny',
        "main_config, create_config = tiny.shrink(*tiny.load('cooperative_navigation/ding_atoc_config.py'), "
        "exp_name='cn', n_sample=50)",
        'main_config.policy.cuda = False',
        *edits.values(),
    ]
    path = os.path.join(folder, name)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def subprocess_env():
    return {**os.environ, 'PYTHONPATH': ROOT, 'OMP_NUM_THREADS': '1'}


def eval_steps(folder):
    with open(os.path.join(folder, 'eval_log.csv'), newline='') as f:
        return [float(row['env_step']) for row in csv.DictReader(f)]


def run_main(capsys, *argv):
    """``ding-atoc`` in-process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err):
    lines = [line for line in err.splitlines() if line.startswith('ding-atoc ')]
    assert len(lines) == 1 and 'Traceback' not in err, err
    return lines[0]


# --- folders: one per run, named after what ran, claimed atomically --------------------------------------------------


def _claim(barrier, queue):
    barrier.wait()
    queue.put(claim_run_folder('runs/cn', 3))


def test_simultaneous_claims_get_distinct_folders(tmp_path):
    context = multiprocessing.get_context('fork')
    barrier, queue = context.Barrier(6), context.Queue()
    workers = [context.Process(target=_claim, args=(barrier, queue)) for _ in range(6)]
    for worker in workers:
        worker.start()
    folders = sorted(queue.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join()
    assert folders == sorted(['runs/cn_seed3'] + [f'runs/cn_seed3_{k}' for k in range(2, 7)])


def test_folder_names_of_di_engine_style_and_absolute_exp_names(tmp_path):
    assert claim_run_folder('ptz_simple_spread_maddpg_seed0', 2) == 'ptz_simple_spread_maddpg_seed2'  # not _seed0_seed2
    assert claim_run_folder(str(tmp_path / 'runs' / 'cn'), 1) == os.path.join('runs', 'cn_seed1')


@pytest.mark.slow  # two ding-atoc processes on a shared 2-core machine: ~45 s; the claim itself is tested above
def test_two_processes_started_together_write_to_two_folders(tmp_path):
    config = write_config(tmp_path)
    command = [DING_ATOC, 'train', '-c', config, '-s', '0', '--env-step', '100', '--no-progress']
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env=subprocess_env()) for _ in range(2)]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    folders = ['cn_seed0', 'cn_seed0_2']
    assert sorted(d for d in os.listdir(tmp_path) if os.path.isdir(d)) == folders
    said = [line.split('writing to ')[1] for output in outputs for line in output.splitlines() if 'writing to' in line]
    assert sorted(said) == [f'{folder}/' for folder in folders]  # each process says where it writes
    for folder in folders:
        assert load_checkpoint(os.path.join(folder, CKPT))['env_step'] == 100
        assert eval_steps(folder) == [0, 100]  # one run's evaluations, not two runs' interleaved


def test_seeds_and_team_size_name_their_folders(tmp_path, capsys):
    config = write_config(tmp_path)
    code, out, _ = run_main(capsys, 'train', '-c', config, '-s', '0', '1', '--env-step', '50', '--no-progress')
    assert code == 0
    code, out_n3, _ = run_main(capsys, 'train', '-c', config, '--n-agent', '3', '--env-step', '50', '--no-progress')
    assert code == 0
    assert 'writing to cn_seed0/' in out and 'writing to cn_seed1/' in out and 'writing to cn_n3_seed0/' in out_n3
    for folder in ('cn_seed0', 'cn_seed1', 'cn_n3_seed0'):
        assert load_checkpoint(os.path.join(folder, CKPT))['env_step'] == 50
        # tensorboard: every run logs into its own folder (DI-engine keeps a process's first writer otherwise)
        assert any(name.startswith('events.out.tfevents') for name in os.listdir(folder)), folder
    assert load_checkpoint(os.path.join('cn_seed1', CKPT))['seed'] == 1
    assert load_checkpoint(os.path.join('cn_n3_seed0', CKPT))['config']['env']['n_agent'] == 3


def test_a_failed_run_leaves_no_folder(tmp_path, capsys):
    config = write_config(tmp_path, group_size='main_config.policy.model.group_size = 9')  # 5 agents
    code, _, err = run_main(capsys, 'train', '-c', config, '--env-step', '50', '--no-progress')
    assert code == ERROR_EXIT_CODE and 'group_size' in one_line_error(err)
    assert os.listdir(tmp_path) == ['tiny_config.py']


def test_a_replay_buffer_the_memory_cannot_hold_stops_the_run_at_its_first_collection(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr('ding_atoc.batched.replay.available_memory', lambda device: 1000)
    config = write_config(tmp_path)
    code, _, err = run_main(capsys, 'train', '-c', config, '--env-step', '50', '--no-progress')
    assert code == ERROR_EXIT_CODE
    assert 'the replay buffer would hold 50 transitions' in one_line_error(err)  # the budget, not the capacity
    assert 'policy.other.replay_buffer.replay_buffer_size to at most' in one_line_error(err)


# --- resume: the checkpoint's folder, seed and config; no evaluation twice -------------------------------------------


def test_resume_continues_in_the_checkpoints_folder(tmp_path, capsys):
    config = write_config(tmp_path)
    assert run_main(capsys, 'train', '-c', config, '-s', '1', '--env-step', '50', '--no-progress')[0] == 0
    ckpt = os.path.join('cn_seed1', CKPT)
    code, out, _ = run_main(capsys, 'train', '-c', config, '--env-step', '150', '--no-progress', '--resume', ckpt)
    assert code == 0, out
    assert f'resumed from {ckpt} at env step 50' in out and 'writing to cn_seed1/' in out
    assert sorted(os.listdir(tmp_path)) == ['cn_seed1', 'tiny_config.py']  # nothing in the config's seed-0 folder
    state = load_checkpoint(ckpt)
    assert state['env_step'] == 150 and state['seed'] == 1
    assert eval_steps('cn_seed1') == [0, 50, 150]  # the first run's last row (50) dropped, evaluated again

    code, _, err = run_main(capsys, 'train', '-c', config, '-s', '0', '--env-step', '300', '--resume', ckpt)
    assert code == ERROR_EXIT_CODE and 'written by the run with seed 1; resume it with -s 1' in one_line_error(err)
    other = write_config(tmp_path, 'other_config.py', lr='main_config.policy.learn.learning_rate_actor = 0.5')
    code, _, err = run_main(capsys, 'train', '-c', other, '--env-step', '300', '--resume', ckpt)
    assert code == ERROR_EXIT_CODE
    assert 'written with another config (policy.learn.learning_rate_actor: 0.001 -> 0.5)' in one_line_error(err)
    code, _, err = run_main(capsys, 'train', '-c', config, '--env-step', '150', '--resume', ckpt)
    assert code == ERROR_EXIT_CODE and 'is at env_step 150: the budget 150 is reached' in one_line_error(err)
    assert state['train_iter'] == load_checkpoint(ckpt)['train_iter']  # refused runs leave the checkpoint alone


def test_killed_run_resumes_without_duplicate_evaluations(tmp_path, capsys):
    # evaluate after every collection, checkpoint every second: the kill finds evaluations past the checkpoint
    config = write_config(tmp_path, eval_freq='main_config.policy.eval.evaluator.eval_freq = 1')
    command = [DING_ATOC, 'train', '-c', config, '--env-step', '100000', '--no-progress', '--save-every', '1']
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=subprocess_env())
    ckpt, deadline = os.path.join(EXP, CKPT), time.time() + 240
    try:
        while time.time() < deadline:
            time.sleep(0.2)
            if os.path.exists(ckpt) and max(eval_steps(EXP)) > load_checkpoint(ckpt)['env_step']:  # log exists first
                break
        else:
            pytest.fail('no checkpoint with evaluations after it within 240 s')
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    stopped_at = load_checkpoint(ckpt)['env_step']
    after_checkpoint = sum(step >= stopped_at for step in eval_steps(EXP))
    assert after_checkpoint >= 1
    lock = os.path.join(EXP, LOCK_FILE)
    with open(lock) as f:
        assert f.read() == str(process.pid)  # the run held its folder; killed, it leaves its lock

    code, out, _ = run_main(capsys, 'train', '-c', config, '--env-step', str(stopped_at + 100), '--no-progress',
                            '--resume', ckpt)
    assert code == 0
    assert f'resumed from {ckpt} at env step {stopped_at}' in out
    assert f'{after_checkpoint} evaluations of the stopped run from env step {stopped_at} on dropped' in out
    steps = eval_steps(EXP)
    assert steps == sorted(set(steps)) and steps[-1] == stopped_at + 100  # no duplicate, no step back
    with open(os.path.join(EXP, 'summary.json')) as f:
        assert json.load(f)['evaluations'] == len(steps)
    assert not os.path.exists(lock)  # the dead run's lock taken over, and released at the end


# --- a run holds its folder while it runs ----------------------------------------------------------------------------


def test_a_resume_of_a_folder_a_live_process_holds_is_refused(tmp_path, capsys, trained):
    config, ckpt = trained
    lock = os.path.join(EXP, LOCK_FILE)
    assert not os.path.exists(lock)  # released when the run ended
    with held_by_another_process(EXP) as holder:
        files = sorted(os.listdir(EXP))
        code, _, err = run_main(capsys, 'train', '-c', config, '--env-step', '100', '--no-progress', '--resume', ckpt)
        assert code == ERROR_EXIT_CODE
        assert f'{EXP}/ is in use by process {holder.pid}, which holds {lock}' in one_line_error(err)
        assert sorted(os.listdir(EXP)) == files and load_checkpoint(ckpt)['env_step'] == 50  # nothing written
        with open(lock) as f:
            assert f.read() == str(holder.pid)
    code, out, _ = run_main(capsys, 'train', '-c', config, '--env-step', '100', '--no-progress', '--resume', ckpt)
    assert code == 0, out  # the killed holder's lock is taken over
    assert load_checkpoint(ckpt)['env_step'] == 100 and not os.path.exists(lock)


def test_hold_releases_the_folder_at_the_end_also_on_an_error(tmp_path):
    lock = os.path.join('run', LOCK_FILE)
    os.mkdir('run')
    with pytest.raises(RuntimeError, match='stopped'):
        with hold('run'):
            with open(lock) as f:
                assert f.read() == str(os.getpid())
            with pytest.raises(FolderInUse, match=f'run/ is in use by process {os.getpid()}'):
                claim('run')
            raise RuntimeError('stopped')
    assert not os.path.exists(lock)
    with open(lock, 'w') as f:
        f.write('999999999')  # left by a process that died: nobody holds a lock on it
    with hold('run'):
        with open(lock) as f:
            assert f.read() == str(os.getpid())


def _take_over(barrier, queue, folders):
    for folder in folders:
        barrier.wait()
        try:
            claim(folder)
            queue.put((folder, True))
        except FolderInUse:
            queue.put((folder, False))


def test_a_dead_holders_lock_is_taken_over_by_exactly_one_of_several_processes(tmp_path):
    context = multiprocessing.get_context('fork')
    # 200 locks left by processes that died, each tried by 6 processes at once
    folders = [str(tmp_path / f'trial{trial}') for trial in range(200)]
    for folder in folders:
        os.mkdir(folder)
        with open(os.path.join(folder, LOCK_FILE), 'w') as f:
            f.write('999999999')
    barrier, queue = context.Barrier(6), context.Queue()
    workers = [context.Process(target=_take_over, args=(barrier, queue, folders)) for _ in range(6)]
    for worker in workers:
        worker.start()
    holders = {folder: 0 for folder in folders}
    for _ in range(6 * len(folders)):
        folder, taken = queue.get(timeout=60)
        holders[folder] += taken
    for worker in workers:
        worker.join()
    assert set(holders.values()) == {1}


def _hold_and_release(folder, rounds, queue):
    overlaps = taken = 0
    for _ in range(rounds):
        try:
            with hold(folder):
                taken += 1
                try:  # a second holder at this moment would have created it too
                    os.close(os.open(os.path.join(folder, 'inside'), os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    overlaps += 1
                    continue
                os.remove(os.path.join(folder, 'inside'))
        except FolderInUse:
            pass
    queue.put((taken, overlaps))


def test_no_two_processes_hold_a_folder_at_once_while_they_take_and_give_it_back(tmp_path):
    # releasing removes the lock file: a process that opened it just before must not hold the removed file while
    # a third process holds the new one
    context = multiprocessing.get_context('fork')
    folder = str(tmp_path / 'run')
    os.mkdir(folder)
    queue = context.Queue()
    workers = [context.Process(target=_hold_and_release, args=(folder, 300, queue)) for _ in range(6)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    assert sum(taken for taken, _ in results) > 0 and sum(overlaps for _, overlaps in results) == 0


# --- budgets ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('budget', [['--env-step', '0'], ['--env-step', '-100'], ['--train-iter', '-5']])
def test_budgets_must_be_positive(tmp_path, capsys, budget):
    code, _, err = run_main(capsys, 'train', '-c', write_config(tmp_path), *budget)
    assert code == ERROR_EXIT_CODE and 'must be a positive integer' in one_line_error(err)
    assert os.listdir(tmp_path) == ['tiny_config.py']


def test_budgets_are_honoured_and_the_bar_ends_at_100(tmp_path, capsys):
    main_config, create_config = load_config(write_config(tmp_path))
    summary = train((main_config, create_config), max_env_step=130)  # collections of 50, 50, then 30
    assert summary['env_step'] == 130 and load_checkpoint(os.path.join(EXP, CKPT))['env_step'] == 130
    assert '130/130' in capsys.readouterr().err
    main_config.policy.learn.update_per_collect = 2  # learning in phases of 2 iterations cannot stop at 3
    summary = train((main_config, create_config), max_train_iter=3, progress=False)
    assert summary['train_iter'] == 4 and summary['exp_name'] == 'cn_seed0_2'
    assert 'stopped at train_iter 4, 1 past the budget 3: learning runs in phases' in capsys.readouterr().out


# --- config keys and types -------------------------------------------------------------------------------------------


@pytest.mark.parametrize('edit,message', [
    ('main_config.policy.learn.learing_rate_actor = 1e-3',
     "unknown config key 'policy.learn.learing_rate_actor' (not policy.learn): did you mean 'learning_rate_actor'?"),
    ('main_config.policy.model.thougt_size = 64', "'policy.model.thougt_size' (not an argument of DingATOC): did you "
     "mean 'thought_size'?"),
    ("main_config.policy.model.thought_size = '64'", "policy.model.thought_size='64' has type str; expected int"),
    ('main_config.policy.model.communication = 1', 'policy.model.communication=1 has type int; expected bool'),
    ('main_config.policy.channel_conditions = dict(dealy=1)', "did you mean 'delay'?"),
    ("main_config.policy.channel_conditions = dict(drop_prob='0.2')",
     "policy.channel_conditions.drop_prob='0.2' has type str; expected number"),
    ('main_config.policy.collect.noise_sigmaa = 0.1', "did you mean 'noise_sigma'?"),
    ('main_config.policy.eval.evaluator.eval_frequency = 3', "did you mean 'eval_freq'?"),
    ('main_config.policy.comm_intervall = 3', "unknown config key 'policy.comm_intervall'"),
    ('main_config.env.n_agnet = 3', "unknown config key 'env.n_agnet' (not env): did you mean 'n_agent'?"),
    ("main_config.env.continuous_actions = 'yes'", "env.continuous_actions='yes' has type str; expected bool"),
])
def test_config_keys_and_types_are_checked(tmp_path, capsys, edit, message):
    config = write_config(tmp_path, edit=edit)
    with pytest.raises(ConfigError) as error:
        check_config(*load_config(config))
    assert message in str(error.value)
    code, _, err = run_main(capsys, 'train', '-c', config, '--env-step', '50')
    assert code == ERROR_EXIT_CODE and message in one_line_error(err)
    with pytest.raises(ConfigError, match='did you mean|has type|unknown config key'):
        main(['train', '-c', config, '--env-step', '50', '--debug'])


def test_every_shipped_config_passes_the_check():
    for path in tiny.all_config_paths():
        check_config(*load_config(os.path.join(tiny.CONFIG_DIR, path)))


# --- checkpoints that say what is wrong with them ----------------------------------------------------------------


@pytest.fixture
def trained(tmp_path):
    """A tiny run's config file and checkpoint."""
    config = write_config(tmp_path)
    train(load_config(config), max_env_step=50, progress=False)
    return config, os.path.join(EXP, CKPT)


def test_damaged_checkpoints_are_named_with_the_problem(tmp_path, trained):
    config, ckpt = trained
    text = tmp_path / 'notes.txt'
    text.write_text('not a checkpoint\n')
    truncated = tmp_path / 'truncated.pth.tar'
    truncated.write_bytes(open(ckpt, 'rb').read()[:2000])
    state = torch.load(ckpt, weights_only=False)
    next(iter(state['policy']['model'].values())).fill_(float('nan'))
    diverged = tmp_path / 'nan.pth.tar'
    torch.save(state, diverged)
    for path, message in ((text, 'not a readable checkpoint (not a torch file'),
                          (truncated, 'not a readable checkpoint (truncated or corrupted'),
                          (diverged, 'holds non-finite values (NaN or inf)')):
        with pytest.raises(CheckpointError) as error:
            evaluate(load_config(config), str(path), episodes=1)
        assert str(error.value).startswith(f'{path}: ') and message in str(error.value)


def test_checkpoints_of_another_model_are_refused(tmp_path, capsys, trained):
    config, ckpt = trained
    wider = write_config(tmp_path, 'wider_config.py', k='main_config.env.n_nearest = 3\n'
                         'from dizoo_envs.cooperative_navigation import CooperativeNavigationEnv\n'
                         "main_config.policy.model.obs_shape = CooperativeNavigationEnv.obs_shapes(main_config.env)"
                         "['agent_obs_shape']")
    widths = [load_config(path)[0].policy.model.obs_shape for path in (config, wider)]
    code, _, err = run_main(capsys, 'eval', '-c', wider, '--ckpt', ckpt, '--episodes', '1')
    assert code == ERROR_EXIT_CODE
    line = one_line_error(err)
    assert f'{ckpt}: model.' in line and 'in the checkpoint' in line
    assert f'policy.model.obs_shape: {widths[0]} -> {widths[1]}' in line
    maddpg = os.path.join(tiny.CONFIG_DIR, 'cooperative_navigation', 'maddpg_config.py')
    code, _, err = run_main(capsys, 'eval', '-c', maddpg, '--ckpt', ckpt, '--episodes', '1')
    assert code == ERROR_EXIT_CODE and "written by policy 'ding_atoc'; this config's policy is 'ddpg'" in err


def test_eval_needs_at_least_one_episode(tmp_path, capsys, trained):
    config, ckpt = trained
    code, _, err = run_main(capsys, 'eval', '-c', config, '--ckpt', ckpt, '--episodes', '0')
    assert code == ERROR_EXIT_CODE and 'episodes (--episodes) must be a positive integer, got 0' in one_line_error(err)


# --- install and repository hygiene ----------------------------------------------------------------------------------


def test_setup_states_the_torch_that_di_engine_allows(monkeypatch):
    import setuptools
    from packaging.requirements import Requirement
    captured = {}
    monkeypatch.setattr(setuptools, 'setup', lambda **kwargs: captured.update(kwargs))
    monkeypatch.chdir(ROOT)
    exec(compile(open('setup.py').read(), 'setup.py', 'exec'), {'__name__': '__main__'})
    torch_requirement = next(Requirement(r) for r in captured['install_requires'] if r.startswith('torch'))
    # DI-engine pins setuptools<=66.1.1; torch>=2.13 needs setuptools>=77, so pip would download and drop it.
    assert '2.13.0' not in torch_requirement.specifier
    assert torch_requirement.specifier.contains(torch.__version__.split('+')[0])


@pytest.mark.parametrize('path', [
    'cooperative_navigation_ding_atoc_seed0/', 'cooperative_navigation_ding_atoc_seed0_2/',
    'cooperative_navigation_ding_atoc_n20_seed1/', 'cooperative_navigation_ding_atoc/',
    'cooperative_navigation_ding_atoc_240101_120000/',
    'ding_atoc_config_result/', 'episode.gif', 'eval_episode.gif',
])
def test_gitignore_covers_what_documented_commands_write(path):
    result = subprocess.run(['git', 'check-ignore', '-q', '--no-index', path], cwd=ROOT)
    assert result.returncode == 0, f'{path} is not ignored'


def test_gitignore_covers_the_folders_ding_serial_writes_for_every_config():
    for path in tiny.all_config_paths():
        exp_name = tiny.load(path)[0].exp_name
        for folder in (f'{exp_name}/', f'{exp_name}_240101_120000/'):  # DI-engine adds a timestamp when it exists
            result = subprocess.run(['git', 'check-ignore', '-q', '--no-index', folder], cwd=ROOT)
            assert result.returncode == 0, f'{folder} ({path}) is not ignored'


def test_gitignore_ignores_no_file_of_the_repository():
    result = subprocess.run(['git', 'ls-files', '--cached', '--ignored', '--exclude-standard'], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    assert result.stdout == ''
