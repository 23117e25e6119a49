"""
Overview:
    What both ATOC policies (``ding_atoc``, DDPG-shaped, and ``ding_atoc_mappo``, on DI-engine's PPO) do alike when
    they act: run a step on the stacked observations of a batched env or on DI-engine's per-env observations collated,
    pass the step's messages through the channel conditions while counting them, and report those counts.
"""
from typing import Any, Callable, Dict, List, Optional

import torch
from ding.torch_utils import to_device
from ding.utils.data import default_collate, default_decollate

from ..obs_keys import AGENT_STATE
from .channel_conditions import ChannelConditions
from .comm_stats import CommunicationStats


class CommunicatingPolicy:
    """
    Overview:
        Mixin of a DI-engine ``Policy`` whose collect and eval modes keep ``_collect_stats`` and ``_eval_stats``
        (``CommunicationStats``), and whose learn mode keeps its dQ queue in ``_gain_queue`` where its gate learns
        from one. List it after the policy base class: DI-engine's ``default_config`` merges the config of the
        first base (``cls.__base__``).
    Interfaces:
        ``pop_communication_stats``, ``dq_queue_summary``
    """

    def pop_communication_stats(self, mode: str) -> Dict[str, float]:
        """
        Overview:
            Communication statistics of ``mode`` ('collect' or 'eval') since the last call: share of agent-steps
            that initiated, groups formed, mean group size. See ``CommunicationStats.pop``.
        """
        stats = {'collect': '_collect_stats', 'eval': '_eval_stats'}
        if mode not in stats:
            raise ValueError(f"mode must be 'collect' or 'eval', got {mode!r}")
        return getattr(self, stats[mode]).pop()

    def dq_queue_summary(self) -> Dict[str, float]:
        """
        Overview:
            The distribution of dQ in the learn mode's queue D (see ``CommunicationGainQueue.summary``); empty where
            the policy has no learn mode, its gate learns from no queue, or the queue is still empty.
        """
        queue = getattr(self, '_gain_queue', None)
        return {} if queue is None else queue.summary()

    def _per_env_or_stacked(self, data: Dict[Any, Any],
                            step: Callable[[Dict[str, torch.Tensor], Optional[List[int]]], Dict]) -> Dict:
        """
        Overview:
            ``step(obs, env_ids)`` on the observations of a batched env as they come (one dict of (E, ...) tensors on
            the policy's device, row i being environment i, ``env_ids`` None), or on DI-engine's per-env ones
            collated (``_per_env``).
        """
        return step(data, None) if _is_stacked(data) else self._per_env(data, step)

    def _per_env(self, data: Dict[int, Any], step: Callable[[Dict[str, torch.Tensor], List[int]], Dict]) -> Dict:
        """``step(obs, env_ids)`` on DI-engine's per-env observations collated, its output split per env again."""
        env_ids = list(data.keys())
        obs = default_collate(list(data.values()))
        output = step(to_device(obs, self._device) if self._cuda else obs, env_ids)
        if self._cuda:
            output = to_device(output, 'cpu')
        return {env_id: out for env_id, out in zip(env_ids, default_decollate(output))}

    @staticmethod
    def _transmit(
            channel: ChannelConditions, stats: CommunicationStats, env_ids: Optional[List[int]],
            obs: Dict[str, torch.Tensor], structure: Dict[str, torch.Tensor], renewed: torch.Tensor
    ) -> Dict[str, torch.Tensor]:
        """
        Overview:
            The messages of this step's structure that arrive now (all of them, at once, on an ideal channel),
            with ``renewed`` (whether their structure was decided when they were sent); records the statistics.
        """
        if not channel.active:
            stats.update(structure)
            return {**structure, 'renewed': renewed}
        arrived = channel.transmit(env_ids, obs[AGENT_STATE], structure, renewed)
        stats.update(structure, delivered=arrived, dropped=arrived.pop('dropped'))
        return arrived


def _is_stacked(data: Dict[Any, Any]) -> bool:
    """Whether a collect input is one stacked observation (keys are observation names), not one per env id."""
    return all(isinstance(key, str) for key in data)
