"""The communication profile of a trained ATOC checkpoint: who talks when, in which groups, and what it changes."""
import math
from typing import Optional

import pytest

from bench import communication_profile
from ding_atoc.entry.checkpoint import CheckpointError
from tests import tiny

pytestmark = pytest.mark.usefixtures('in_tmp_path_one_thread')

COLUMNS = ('initiator_share', 'member_share', 'groups_per_agent', 'action_change', 'action_size', 'gain',
           'gain_size', 'gain_positive', 'random_gain_size', 'value_size')


def trained_checkpoint(config: str, model_overrides: Optional[dict] = None, **module_vars) -> tuple:
    """A checkpoint of a few collections of ``config`` (with ``model_overrides`` in ``policy.model``) and the shrunk
    config it was trained with."""
    from ding_atoc.entry.train import train
    input_cfg = tiny.shrink(*tiny.load(config, **module_vars), n_sample=32)
    input_cfg[0].policy.model.update(model_overrides or {})
    run = train(input_cfg, seed=0, max_env_step=64, progress=False)['exp_name']
    return input_cfg, f'{run}/ckpt/ckpt_latest.pth.tar'


def table_rows(lines: list) -> list:
    """The table's rows as dicts: ``steps`` and the ``COLUMNS``, parsed from the markdown."""
    rows = []
    first = next(i for i, line in enumerate(lines) if line.startswith('|---')) + 1
    for line in lines[first:]:
        if not line.startswith('|'):
            break
        cells = [cell.strip() for cell in line.strip('|').split('|')]
        rows.append(dict(steps=cells[0], **{key: float(value) for key, value in zip(COLUMNS, cells[1:])}))
    return rows


@pytest.mark.parametrize('config,module_vars', [
    ('cooperative_navigation/ding_atoc_paper_config.py', dict(n_agent=6)),
    ('hidden_target_navigation/ding_atoc_config.py', {}),
    ('predator_prey/ding_atoc_config.py', {}),
], ids=['cooperative_navigation_n6', 'hidden_target_navigation', 'predator_prey'])
@pytest.mark.parametrize('gate', communication_profile.PROFILED_GATES)
def test_the_profile_has_a_row_per_stretch_of_the_episode_and_measures_the_members(config, module_vars, gate):
    (main_config, create_config), ckpt = trained_checkpoint(config, **module_vars)
    lines = communication_profile.profile((main_config, create_config), ckpt, episodes=2, gate=gate)
    rows = table_rows(lines)
    stretch = communication_profile.STRETCH
    expected = [f'{start}-{start + stretch - 1}' for start in range(0, main_config.env.max_cycles, stretch)]
    assert [row['steps'] for row in rows] == expected + ['all']
    for row in rows:
        assert 0.0 <= row['initiator_share'] <= 1.0 and 0.0 <= row['member_share'] <= 1.0
        # per-member columns are defined exactly where some agent is in a group
        assert all(math.isnan(row[key]) for key in COLUMNS[3:]) == (row['member_share'] == 0.0)
        if row['member_share'] > 0:
            assert row['action_change'] >= 0.0 and 0.0 <= row['gain_positive'] <= 1.0
            assert row['gain_size'] >= abs(row['gain']) - 1e-4  # the mean |dQ| bounds the mean dQ (4 decimals)
    if gate == 'open':  # an untrained critic tells a random move as large as the messages' apart from none
        assert rows[-1]['random_gain_size'] > 0.0
    if gate == 'open':
        # every agent initiates, and a message changes what an (untrained) actor does
        assert all(row['initiator_share'] == 1.0 for row in rows)
        assert rows[-1]['action_change'] > 0.0
    sizes = next(line for line in lines if line.startswith('group sizes'))
    if 'no group formed' not in sizes:
        shares = [float(size_share.split(': ')[1]) for size_share in sizes.split('steps): ')[1].split(', ')]
        assert sum(shares) == pytest.approx(1.0, abs=2e-3)
    assert any(line.startswith('dQ queue D of the checkpoint: size ') for line in lines)


def test_a_policy_without_communication_or_an_unknown_gate_is_refused():
    input_cfg, ckpt = trained_checkpoint('cooperative_navigation/ding_atoc_nocomm_config.py', n_agent=4)
    with pytest.raises(ValueError, match='does not communicate'):
        communication_profile.profile(input_cfg, ckpt, episodes=1)
    with pytest.raises(ValueError, match='gate must be one of'):
        communication_profile.profile(input_cfg, ckpt, episodes=1, gate='closed')


def test_the_command_line_profiles_a_checkpoint_at_another_team_size(capsys):
    _, ckpt = trained_checkpoint('cooperative_navigation/ding_atoc_config.py', n_agent=4)
    communication_profile.main(['-c', tiny.config_path('cooperative_navigation', 'ding_atoc'), '--ckpt', ckpt,
                                '--n-agent', '7', '--episodes', '1', '--gate', 'open'])
    rows = table_rows(capsys.readouterr().out.splitlines())
    assert rows[-1]['steps'] == 'all' and rows[-1]['initiator_share'] == 1.0


@pytest.mark.parametrize('key,value', [('critic_field_obs', 2), ('critic_integrated_thought', True)])
def test_the_command_line_takes_the_overrides_the_checkpoint_was_trained_with(capsys, key, value):
    _, ckpt = trained_checkpoint('cooperative_navigation/ding_atoc_config.py', {key: value}, n_agent=4)
    arguments = ['-c', tiny.config_path('cooperative_navigation', 'ding_atoc'), '--ckpt', ckpt, '--n-agent', '4',
                 '--episodes', '1', '--gate', 'open']
    with pytest.raises(CheckpointError, match=f'policy.model.{key}: {value}'):  # the config's critic is narrower
        communication_profile.main(arguments)
    communication_profile.main(arguments + ['--set', f'policy.model.{key}={value}'])
    rows = table_rows(capsys.readouterr().out.splitlines())
    assert rows[-1]['steps'] == 'all' and rows[-1]['random_gain_size'] > 0.0
