"""
``ding-atoc train`` as a data-parallel run of two gloo ranks forked from the test process (as ``torchrun
--nproc_per_node 2`` starts them): rank 0 alone owns the run folder and writes the checkpoint, every rank learns the
same steps and ends with the same weights.
"""
import os

import pytest
import torch

from ding_atoc.entry import train as train_module
from ding_atoc.entry.checkpoint import load_checkpoint
from tests import tiny
from tests.core.test_ddp import WORLD, run_ranks

ENV_STEPS = 200


def _tiny(config: str = 'cooperative_navigation/ding_atoc_config.py'):
    main_config, create_config = tiny.shrink(*tiny.load(config), exp_name='cn', n_sample=50)
    main_config.policy.cuda = False
    return main_config, create_config


def _train_in_own_folder(rank: int, folder: str) -> None:
    """Each rank in a folder of its own, so that whatever a rank writes shows; saves its final weights beside."""
    os.chdir(os.path.join(folder, f'rank{rank}'))
    built = []
    create_policy = train_module.create_policy
    train_module.create_policy = lambda *args, **kwargs: built.append(create_policy(*args, **kwargs)) or built[-1]
    summary = train_module.train(_tiny(), seed=0, max_env_step=ENV_STEPS, progress=False, save_every_s=0)
    weights = {key: value.clone() for key, value in built[0].learn_mode.state_dict()['model'].items()}
    torch.save({'summary': summary, 'model': weights}, os.path.join(folder, f'result{rank}.pt'))


@pytest.mark.usefixtures('in_tmp_path_one_thread')
def test_rank_0_owns_the_run_folder_and_every_rank_ends_with_its_weights(tmp_path):
    for rank in range(WORLD):
        os.mkdir(tmp_path / f'rank{rank}')
    codes, errors, _ = run_ranks(_train_in_own_folder, str(tmp_path), bound_s=120)
    assert codes == [0, 0], errors
    results = [torch.load(tmp_path / f'result{rank}.pt', weights_only=False) for rank in range(WORLD)]
    assert results[0]['summary']['env_step'] == ENV_STEPS and results[0]['summary']['train_iter'] > 0
    assert results[1]['summary'] == {'exp_name': 'cn_seed0', 'rank': 1}
    assert os.listdir(tmp_path / 'rank1') == []  # rank 1 wrote nothing: no run folder, no checkpoint
    checkpoint = load_checkpoint(str(tmp_path / 'rank0' / 'cn_seed0' / 'ckpt' / 'ckpt_latest.pth.tar'))
    assert checkpoint['env_step'] == ENV_STEPS and checkpoint['train_iter'] == results[0]['summary']['train_iter']
    for key, value in results[0]['model'].items():
        assert torch.equal(value, results[1]['model'][key]), key
        assert torch.equal(value, checkpoint['policy']['model'][key]), key


def _train_maddpg(rank: int, folder: str) -> None:
    os.chdir(folder)
    train_module.train(_tiny('cooperative_navigation/maddpg_config.py'), seed=0, max_env_step=ENV_STEPS,
                       progress=False)


@pytest.mark.usefixtures('in_tmp_path_one_thread')
def test_a_policy_that_keeps_its_gradients_to_itself_is_refused(tmp_path):
    codes, errors, _ = run_ranks(_train_maddpg, str(tmp_path))
    assert codes == [1, 1]
    assert all('does not average its gradients over ranks' in error for error in errors.values()), errors
    assert sorted(os.listdir(tmp_path)) == [f'error{rank}.txt' for rank in range(WORLD)]  # no run folder
