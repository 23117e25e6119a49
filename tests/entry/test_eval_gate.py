"""``ding-atoc eval --gate``: the same trained weights with the attention unit as trained, or overruled: open, closed, or
initiators drawn at random at a given rate."""
import json
import re

import pytest
import torch

from ding_atoc.entry.cli import main
from ding_atoc.entry.evaluate import GATES, overrule_gate
from tests.entry.test_entry_points import DEFAULT_CONFIG


MAPPO_CONFIG = DEFAULT_CONFIG.replace('ding_atoc_config.py', 'ding_atoc_mappo_config.py')


def evaluation(capsys, config, checkpoint, *extra):
    capsys.readouterr()
    assert main(['eval', '-c', config, '--ckpt', str(checkpoint), '--n-agent', '3', '--episodes', '2',
                 '--gif', 'episode.gif', *extra]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


# PPO's near-uniform initial actor needs a few collections before its greedy actions depend on what it hears.
@pytest.mark.parametrize('config,train_iter', [(DEFAULT_CONFIG, 40), (MAPPO_CONFIG, 100)],
                         ids=['ding_atoc', 'ding_atoc_mappo'])
def test_eval_measures_a_trained_policy_with_its_gate_as_learned_open_closed_and_random(config, train_iter,
                                                                                         in_tmp_path_one_thread, capsys):
    assert main(['train', '-c', config, '--n-agent', '3', '--train-iter', str(train_iter), '--no-progress']) == 0
    checkpoint, = in_tmp_path_one_thread.glob('*_n3_seed0/ckpt/ckpt_latest.pth.tar')
    metrics = {gate: evaluation(capsys, config, checkpoint, '--gate', gate) for gate in GATES if gate != 'random'}
    assert metrics['learned'] == evaluation(capsys, config, checkpoint)  # the default is the policy as trained
    assert metrics['open']['eval_initiator_share'] == 1.0 and metrics['closed']['eval_initiator_share'] == 0.0
    # Same weights, other messages: the actions, and so the episodes, differ.
    assert metrics['open']['eval_return'] != metrics['closed']['eval_return']
    # A random gate that opens for nobody, or for everybody, plays the closed, or the open, gate's episodes.
    assert evaluation(capsys, config, checkpoint, '--gate', 'random', '--random-share', '0') == metrics['closed']
    assert evaluation(capsys, config, checkpoint, '--gate', 'random', '--random-share', '1') == metrics['open']
    halfway = evaluation(capsys, config, checkpoint, '--gate', 'random', '--random-share', '0.5')
    assert 0.0 < halfway['eval_initiator_share'] < 1.0


def test_a_gate_the_model_cannot_overrule_or_an_unknown_one_is_named():
    with pytest.raises(ValueError, match="--gate open needs a model with ATOC's gate rule 'initiate_all'"):
        overrule_gate(torch.nn.Linear(2, 2), 'open')
    with pytest.raises(ValueError, match='give it with --gate random and only then'):
        overrule_gate(torch.nn.Linear(2, 2), 'random')
    with pytest.raises(SystemExit):  # argparse: invalid choice
        main(['eval', '-c', DEFAULT_CONFIG, '--ckpt', 'x.pth.tar', '--gate', 'ajar'])


@pytest.mark.parametrize('arguments,message', [
    (['--gate', 'random'], 'give it with --gate random and only then'),
    (['--gate', 'open', '--random-share', '0.5'], 'give it with --gate random and only then'),
    (['--gate', 'random', '--random-share', '1.5'], r'share \(--random-share\) must be in \[0, 1\], got 1.5'),
])
def test_the_random_gate_needs_a_share_in_0_1_and_only_it_takes_one(arguments, message, capsys):
    # refused before the checkpoint is read (there is none)
    assert main(['eval', '-c', DEFAULT_CONFIG, '--ckpt', 'missing.pth.tar', *arguments]) == 2
    assert re.search(message, capsys.readouterr().err)
