"""
Overview:
    What a trained ATOC policy's communication does, on greedy episodes of a checkpoint (the evaluator's layouts, as
    ``ding-atoc eval``). Per stretch of the episode:

    - the share of agents that initiate, the groups in force and the share of agents in one, and the group sizes;
    - for the members of groups, what the messages change: the distance between the action taken with the
      integrated thought and the action without communication, ``mu_II(h_i, h_i)`` (0 when the actor ignores the
      channel), against the size of the action itself; and the critic's gain ``dQ_i = Q(o_i, a_i with) -
      Q(o_i, a_i without)``, the quantity the attention unit is trained on (mean, and the share above 0), against
      the size of the critic's value itself, ``|Q(o_i, a_i with)|``. As a control, ``|dQ|`` against the critic's
      change for a move as large in a random direction, ``|Q(o_i, a_i without + r u) - Q(o_i, a_i without)|`` with
      ``r = ||a with - a without||`` and ``u`` a random unit vector (clamped to the actions' [-1, 1]): a dQ far
      below it says the messages move the action where the critic sees nothing to gain; both near 0, that the
      critic hardly tells such actions apart at all.

    Then the dQ queue D saved in the checkpoint, what the attention unit was last trained on: size, mean, quantiles
    and share above 0. With ``--gate open`` every agent initiates (as ``ding-atoc eval --gate open``): what the
    channel would change if the gate let everyone talk.

Usage:
    python bench/communication_profile.py -c configs/cooperative_navigation/ding_atoc_paper_config.py \\
        --ckpt <run>/ckpt/ckpt_latest.pth.tar --episodes 8
"""
import os
import sys
from collections import Counter, defaultdict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from ding_atoc.entry.evaluate import groups_of, load_trained_policy, play_episodes
from ding_atoc.model.grouping import group_members
from ding_atoc.policy.atoc import critic_q_value

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run as a script: the repo's root
from bench.checkpoint_cli import checkpoint_config, checkpoint_parser  # noqa: E402

#: Episode steps per row of the table.
STRETCH = 5
#: The gates ``profile`` plays with (a closed one has no communication to profile).
PROFILED_GATES = ('learned', 'open')


class CommunicationRecorder:
    """
    Overview:
        ``play_episodes``' observer: on every acted-on state, the structure in force and what it changes for the
        members of its groups; ``rows`` sums them per stretch of ``STRETCH`` episode steps.
    """

    def __init__(self, model: torch.nn.Module, seed: int = 0) -> None:
        self.model = model
        self.generator = torch.Generator().manual_seed(seed)  # the control's random directions
        self.step = 0
        self.sums: Dict[int, Dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.group_sizes: Counter = Counter()

    def __call__(self, episode: int, env: Any, obs: Dict[str, np.ndarray], output: Optional[Dict[str, Any]]) -> None:
        if output is None:  # the last state of an episode: nothing is acted on
            self.step = 0
            return
        sums = self.sums[self.step // STRETCH]
        self.step += 1
        initiator = torch.as_tensor(output['initiator'])
        groups = groups_of(output)
        sums['agent_steps'] += initiator.numel()
        sums['initiators'] += float(initiator.float().sum())
        sums['groups'] += len(groups)
        self.group_sizes.update(len(group) for group in groups)
        member = group_members(torch.as_tensor(output['group']).unsqueeze(0))[0]
        if not member.any():
            return
        change, size, gain, random_gain, value = self._effect_on_members(obs, output, member)
        sums['members'] += float(member.sum())
        sums['action_change'] += change
        sums['action_size'] += size
        sums['gain'] += gain.sum().item()
        sums['gain_size'] += gain.abs().sum().item()
        sums['gain_positive'] += (gain > 0).sum().item()
        sums['random_gain_size'] += random_gain.abs().sum().item()
        sums['value_size'] += value

    def _effect_on_members(self, obs: Dict[str, np.ndarray], output: Dict[str, Any],
                           member: torch.Tensor) -> Tuple[float, float, torch.Tensor, torch.Tensor, float]:
        """Sums over the members of ||a with - a without|| and ||a with||, each member's dQ and the control's, and
        the sum of |Q with|. The actor is replayed on the step's structure: the greedy action played, and the
        integrated thoughts a critic may read."""
        batch = {key: torch.as_tensor(value, dtype=torch.float32).unsqueeze(0) for key, value in obs.items()}
        # The structure and, with late messages, what they were computed from: the step's actor exactly.
        arrived = {key: torch.as_tensor(value).unsqueeze(0) for key, value in output.items() if key != 'action'}
        with torch.no_grad():
            actor = self.model.compute_actor({'obs': batch, **arrived})
            action = actor['action']
            q_value = self.model.q_with_and_without_communication(batch, actor)
            action_without = q_value['action_without']
            change = (action - action_without).norm(dim=-1, keepdim=True)
            direction = torch.randn(action_without.shape, generator=self.generator)
            moved = (action_without + change * direction / direction.norm(dim=-1, keepdim=True)).clamp(-1.0, 1.0)
            q_moved = critic_q_value(self.model, batch, moved, actor)
        q_with, q_without = q_value['q_with'][0][member], q_value['q_without'][0][member]
        return (change[0, :, 0][member].sum().item(), action[0].norm(dim=-1)[member].sum().item(), q_with - q_without,
                q_moved[0][member] - q_without, q_with.abs().sum().item())

    def rows(self) -> List[Dict[str, float]]:
        """One dict per stretch of the episode, then one for the whole episode (``steps``: 'all')."""
        total: Dict[str, float] = defaultdict(float)
        rows = []
        for stretch in sorted(self.sums):
            sums = self.sums[stretch]
            for key, value in sums.items():
                total[key] += value
            rows.append(dict(steps=f'{stretch * STRETCH}-{stretch * STRETCH + STRETCH - 1}', **_ratios(sums)))
        rows.append(dict(steps='all', **_ratios(total)))
        return rows


def _ratios(sums: Dict[str, float]) -> Dict[str, float]:
    members = sums['members']
    per_member = (lambda key: sums[key] / members) if members else (lambda key: float('nan'))
    return dict(
        initiator_share=sums['initiators'] / sums['agent_steps'],
        member_share=members / sums['agent_steps'],
        groups_per_agent=sums['groups'] / sums['agent_steps'],
        action_change=per_member('action_change'),
        action_size=per_member('action_size'),
        gain=per_member('gain'),
        gain_size=per_member('gain_size'),
        gain_positive=per_member('gain_positive'),
        random_gain_size=per_member('random_gain_size'),
        value_size=per_member('value_size'),
    )


def queue_summary(policy: Any) -> Dict[str, float]:
    """The raw dQ in the policy's queue D (as saved in the checkpoint): size, mean, quantiles, share above 0."""
    state = policy._gain_queue.state_dict()
    gain = state['gain'][:state['size']].cpu()
    if not len(gain):
        return dict(size=0)
    quantiles = torch.quantile(gain.double(), torch.tensor([0.05, 0.5, 0.95], dtype=torch.float64)).tolist()
    return dict(size=len(gain), mean=gain.mean().item(), q05=quantiles[0], median=quantiles[1], q95=quantiles[2],
                positive=(gain > 0).float().mean().item())


def profile(input_cfg: Tuple[dict, dict], ckpt: str, episodes: int, seed: int = 0, gate: str = 'learned') -> List[str]:
    """
    Overview:
        Play ``episodes`` greedy episodes of the checkpoint, with the gate as learned or ``'open'`` for every agent,
        and return the module doc's tables as markdown lines.
    """
    if gate not in PROFILED_GATES:
        raise ValueError(f'gate must be one of {PROFILED_GATES}, got {gate!r}')
    policy, env = load_trained_policy(input_cfg, ckpt, seed, gate)
    model = policy._model
    if not getattr(model, 'communication', False):
        raise ValueError(f'{ckpt}: the policy does not communicate (model.communication is False): nothing to profile')
    recorder = CommunicationRecorder(model, seed)
    play_episodes(policy, env, episodes, seed, observer=recorder)
    lines = [
        f'{ckpt}: {episodes} episodes, seed {seed}, gate {gate}',
        '| episode steps | initiator share | agents in a group | groups per agent | ||a with - a without|| '
        '(members) | ||a with|| (members) | dQ (members) | |dQ| (members) | dQ > 0 (members) | |dQ| of a random move '
        'as large (members) | |Q with| (members) |',
        '|---|---|---|---|---|---|---|---|---|---|---|',
    ]
    for row in recorder.rows():
        lines.append(f"| {row['steps']} | {row['initiator_share']:.3f} | {row['member_share']:.3f} | "
                     f"{row['groups_per_agent']:.4f} | {row['action_change']:.4f} | {row['action_size']:.3f} | "
                     f"{row['gain']:.4f} | {row['gain_size']:.4f} | {row['gain_positive']:.3f} | "
                     f"{row['random_gain_size']:.4f} | {row['value_size']:.3f} |")
    sizes = sorted(recorder.group_sizes.items())
    count = sum(recorder.group_sizes.values())
    lines.append('')
    lines.append('group sizes (share of the groups in force over all steps): ' + (
        ', '.join(f'{size}: {n / count:.3f}' for size, n in sizes) if count else 'no group formed'))
    queue = queue_summary(policy)
    lines.append('dQ queue D of the checkpoint: ' + ', '.join(
        f'{key} {value:.4g}' if isinstance(value, float) else f'{key} {value}' for key, value in queue.items()))
    return lines


def main(argv=None) -> None:
    parser = checkpoint_parser(__doc__, 'the config of the checkpoint (an ATOC policy)')
    parser.add_argument('--gate', choices=PROFILED_GATES, default='learned')
    args = parser.parse_args(argv)
    print('\n'.join(profile(checkpoint_config(args), args.ckpt, args.episodes, args.seed, args.gate)))


if __name__ == '__main__':
    main()
