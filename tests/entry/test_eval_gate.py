"""``ding-atoc eval --gate``: the same trained weights with the attention unit as trained, overruled open, or closed."""
import json

import pytest
import torch

from ding_atoc.entry.cli import main
from ding_atoc.entry.evaluate import GATES, overrule_gate
from tests.entry.test_entry_points import DEFAULT_CONFIG


def evaluation(capsys, checkpoint, *extra):
    capsys.readouterr()
    assert main(['eval', '-c', DEFAULT_CONFIG, '--ckpt', str(checkpoint), '--n-agent', '3', '--episodes', '2',
                 '--gif', 'episode.gif', *extra]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_eval_measures_a_trained_policy_with_its_gate_as_learned_open_and_closed(in_tmp_path_one_thread, capsys):
    assert main(['train', '-c', DEFAULT_CONFIG, '--n-agent', '3', '--train-iter', '40', '--no-progress']) == 0
    checkpoint = in_tmp_path_one_thread / 'cooperative_navigation_ding_atoc_n3_seed0' / 'ckpt' / 'ckpt_latest.pth.tar'
    metrics = {gate: evaluation(capsys, checkpoint, '--gate', gate) for gate in GATES}
    assert metrics['learned'] == evaluation(capsys, checkpoint)  # the default is the policy as trained
    assert metrics['open']['eval_initiator_share'] == 1.0 and metrics['closed']['eval_initiator_share'] == 0.0
    # Same weights, other messages: the actions, and so the episodes, differ.
    assert metrics['open']['eval_return'] != metrics['closed']['eval_return']


def test_a_gate_the_model_cannot_overrule_or_an_unknown_one_is_named():
    with pytest.raises(ValueError, match="--gate open needs a model with ATOC's gate rule 'initiate_all'"):
        overrule_gate(torch.nn.Linear(2, 2), 'open')
    with pytest.raises(SystemExit):  # argparse: invalid choice
        main(['eval', '-c', DEFAULT_CONFIG, '--ckpt', 'x.pth.tar', '--gate', 'ajar'])
