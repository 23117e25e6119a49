"""
Overview:
    ``DingATOCPolicy``: ATOC (Jiang & Lu, 2018) as a DI-engine policy. Actor, channel and critic learn by DDPG
    from the replay buffer, replaying the communication structure each transition was acted with; the attention
    unit learns as a classifier from the dQ queue, with its own optimiser.
"""
import contextlib
import copy
import functools
import math
from collections import namedtuple
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from ding.model import model_wrap
from ditk import logging
from easydict import EasyDict
from ding.policy import Policy
from ding.policy.common_utils import default_preprocess_learn
from ding.policy.command_mode_policy_instance import DummyCommandModePolicy
from ding.rl_utils import get_train_sample, v_1step_td_data, v_1step_td_error
from ding.torch_utils import Adam, to_device
from ding.utils import POLICY_REGISTRY

from ..distributed import is_distributed, sync_gradients
from ..model.grouping import NO_AGENT, group_mean
from ..obs_keys import AGENT_STATE
from .channel_conditions import CHANNEL_CONDITIONS_CONFIG, ChannelConditions
from .comm_stats import CommunicationStats
from .communicating import CommunicatingPolicy
from .gain_queue import CommunicationGainQueue, SharedGainQueue
from .structure_memory import StructureMemory

#: The communication structure a transition was acted with; replayed by learning.
STRUCTURE_KEYS = ('initiator', 'group', 'group_round')
#: |a| beyond which an action component counts as saturated (``action_saturated_share`` in the learn log).
SATURATED_ACTION = 0.99


@POLICY_REGISTRY.register('ding_atoc')
class DingATOCPolicy(Policy, CommunicatingPolicy):
    """
    Overview:
        ATOC with vectorized grouping and channel. ``model.communication=False`` is the no-communication ablation
        (DDPG with parameters shared by all agents) through the same code: no agent initiates, so every agent
        acts on (h_i, h_i).
    Config:
        See ``config`` below: DI-engine's DDPG keys keep their names and meaning; each ATOC key is commented.
    """
    #: ``_forward_collect`` and ``_forward_eval`` also take one stacked observation of a batched env (see
    #: ``ding_atoc.batched``).
    stacked_collect = True
    config = dict(
        # (str) Registry name of the policy.
        type='ding_atoc',
        # (bool) Use the GPU; falls back to the CPU where there is none.
        cuda=False,
        # (bool) ATOC is off-policy.
        on_policy=False,
        # (bool) Prioritised replay.
        priority=False,
        # (bool) Importance-sampling weights for prioritised replay.
        priority_IS_weight=False,
        # (int) Transitions collected by a random policy before training. Must stay 0: random transitions carry
        # no communication structure to replay. Exploration comes from action noise and sampled initiators.
        random_collect_size=0,
        # (bool) Multi-agent data: obs['agent_state'] is (A, D), the action (A, action_shape).
        multi_agent=True,
        # (str) ATOC acts in continuous action spaces (DDPG).
        action_space='continuous',
        # (int) T: steps a communication structure lasts before initiators are decided again (1: every step).
        comm_interval=15,
        # Communication under real conditions, in collection, evaluation and learning alike.
        channel_conditions=CHANNEL_CONDITIONS_CONFIG,
        model=dict(
            # (int) Size of a thought h_i; even, since each direction of the BiLSTM channel has half of it.
            thought_size=64,
            # (int) m: the most collaborators an initiator picks inside its observable field.
            group_size=3,
            # (float) p_i above this makes agent i an initiator (always at evaluation; in collection unless
            # collect.sample_initiators).
            initiator_threshold=0.5,
            # (bool) False: no-communication ablation (DDPG with shared parameters), same code path.
            communication=True,
            # (bool) Every agent initiates at every decision, ignoring the attention unit (ablation: communicate
            # with everyone in range, up to group_size).
            initiate_all=False,
            # (str) Communication channel: 'bilstm' (the paper's) or 'attention' (scaled dot product over the
            # received thoughts, masked for absent members, fused with the own thought).
            channel='bilstm',
            # (bool) Centralized critic: Q also reads obs['global_state'] (then set model.global_obs_shape).
            critic_use_global_state=False,
            # (int) Q also reads the local observations of this many nearest agents of agent i's observable field
            # (what its messages can be about; zeros where the field holds fewer). 0: the paper's Q(o_i, a_i).
            critic_field_obs=0,
            # (bool) Q also reads the actions of those critic_field_obs agents (needs critic_field_obs > 0): what the
            # neighbours do, which messages can coordinate. Q of the actor loss then reads the neighbours' current
            # actions too, so each agent's action also follows its neighbours' Q.
            critic_field_actions=False,
            # (bool) Q also reads agent i's integrated thought h~_i (detached), what it knows after its group's
            # messages, so that the action Q prefers can follow them; the paper's Q(o_i, a_i) is blind to them.
            critic_integrated_thought=False,
        ),
        learn=dict(
            # (int) Gradient steps after each collection.
            update_per_collect=40,
            # (int) Replay samples per gradient step.
            batch_size=64,
            # (float) Learning rate of mu_I, channel and mu_II (the actor).
            learning_rate_actor=1e-3,
            # (float) Learning rate of the critic.
            learning_rate_critic=1e-3,
            # (float) Learning rate of the attention unit's own optimiser.
            learning_rate_attention=1e-3,
            # (int) (observation, dQ) pairs per attention-unit step, sampled from the dQ queue D.
            attention_batch_size=64,
            # (int) Capacity of the dQ queue D, kept apart from the replay buffer (FIFO).
            attention_queue_size=10000,
            # (str) How dQ becomes the attention unit's target in [0, 1]: 'minmax' (the paper: min-max over D),
            # 'standardised' (0.5 + (dQ - mean) / (2 std) over D, clipped to [0, 1], as the first author's later code
            # centres its labels). With min-max the classifier's p follows the targets' mean, which D's two most
            # extreme dQ set: one outlier turns the gate on or off for every agent. Standardised, p = 0.5 is D's mean.
            # 'sign': 1 where dQ > 0, else 0 (p: the chance that communicating helps; absolute, not relative to D).
            dq_normalisation='standardised',
            # (float) Weight c of c * mean(u^2) over the actor's pre-Tanh outputs u, added to the actor loss. Once
            # Tanh saturates, DDPG's gradient through it vanishes while Adam keeps stepping at full size in the last
            # direction, so an actor can stay at the action bound (every agent driving into one corner) for 100k env
            # steps; the penalty pulls u back. MADDPG's reference code uses 1e-3. 0: the paper's actor loss.
            action_preactivation_penalty=0.0,
            # (float) Discount factor gamma.
            discount_factor=0.95,
            # (float) Polyak factor of the target networks.
            target_theta=0.01,
            # (bool) Treat episode ends as non-terminal (time limits).
            ignore_done=True,
            # (bool) Run the networks of the learn step under bf16 autocast (fp32 master weights, optimiser states,
            # Q's output layer, TD target and losses). Fast where the hardware has bf16 matrix units (AMX,
            # AVX512-bf16, tensor cores); tests/core/test_mixed_precision.py bounds its difference to fp32.
            mixed_precision=False,
        ),
        collect=dict(
            # (int) Transitions per collection.
            n_sample=400,
            # (int) ATOC learns from single transitions.
            unroll_len=1,
            # (float) Sigma of the Gaussian exploration noise on actions.
            noise_sigma=0.1,
            # (bool) Sample initiators from Bernoulli(p_i) while collecting (exploration of the attention unit);
            # False thresholds at model.initiator_threshold as in evaluation.
            sample_initiators=True,
        ),
        eval=dict(),
        other=dict(replay_buffer=dict(
            # (int) Replay buffer capacity in transitions.
            replay_buffer_size=100000,
        ), ),
    )

    def __init__(self, cfg: EasyDict, model: Optional[torch.nn.Module] = None, enable_field: Optional[List[str]] = None):
        if cfg.get('cuda', False) and not torch.cuda.is_available():
            _warn_cpu_fallback()
        if cfg.get('multi_gpu', False) and 'learn' in (enable_field or self.total_field) and not is_distributed():
            raise ValueError(
                "policy.multi_gpu=True needs a process group: launch with `torchrun "
                "--nproc_per_node N ...` and build the policy inside `with ding_atoc.distributed.DDPContext():`"
            )
        super().__init__(cfg, model=model, enable_field=enable_field)

    def default_model(self) -> Tuple[str, List[str]]:
        return 'ding_atoc', ['ding_atoc.model']

    def _init_learn(self) -> None:
        if self._cfg.get('random_collect_size', 0):
            raise ValueError(
                "policy.random_collect_size must be 0 for ding_atoc: random transitions carry no communication "
                f"structure to replay; got {self._cfg.random_collect_size}"
            )
        if self._cfg.multi_gpu and not self._cfg.bp_update_sync:
            raise ValueError("ding_atoc averages gradients after each backward: policy.bp_update_sync must stay True "
                             "with policy.multi_gpu=True")
        learn = self._cfg.learn
        penalty = learn.action_preactivation_penalty
        if not (isinstance(penalty, (int, float)) and math.isfinite(penalty) and penalty >= 0):
            raise ValueError(f"policy.learn.action_preactivation_penalty must be a finite number >= 0, got {penalty!r}")
        self._action_preactivation_penalty = float(penalty)
        # Read by DI-engine's serial pipeline through ``get_attribute('priority')``.
        self._priority = self._cfg.priority
        self._optimizer_actor = Adam(self._model.actor.parameters(), lr=learn.learning_rate_actor)
        self._optimizer_critic = Adam(self._model.critic.parameters(), lr=learn.learning_rate_critic)
        self._optimizer_attention = Adam(self._model.attention_unit.parameters(), lr=learn.learning_rate_attention)
        self._gamma = learn.discount_factor
        self._learn_model = model_wrap(self._model, wrapper_name='base')
        # The target wrapper does not copy: it must wrap a copy of the model.
        self._target_model = model_wrap(
            copy.deepcopy(self._model), wrapper_name='target', update_type='momentum', update_kwargs={'theta': learn.target_theta}
        )
        self._learn_model.reset()
        self._target_model.reset()
        self._learn_steps = 0
        # With several ranks every rank's queue holds the pairs of all ranks.
        queue = SharedGainQueue if self._cfg.multi_gpu else CommunicationGainQueue
        self._gain_queue = queue(
            learn.attention_queue_size, self._model.obs_shape, self._device, normalisation=learn.dq_normalisation
        )

    def _forward_learn(self, data: Union[List[Dict[str, Any]], Dict[str, Any]]) -> Dict[str, Any]:
        """
        Overview:
            One DDPG step of critic and actor (through mu_II, the channel and mu_I) on replayed transitions with
            their communication structure, then one step of the attention unit on the dQ queue. With
            ``learn.mixed_precision`` the networks run under bf16 autocast (fp32 master weights and optimiser
            states); Q's output layer, the TD target and the losses stay fp32. The step reads nothing back to the
            host before its end, where one transfer brings every statistic.
        Arguments:
            - data (:obj:`Union[List[Dict[str, Any]], Dict[str, Any]]`): transitions from ``_process_transition`` \
                (DI-engine's replay buffers), or one batch of them already stacked on the policy's device (the \
                tensor replay buffer of the batched pipeline).
        Returns:
            - info (:obj:`Dict[str, Any]`): losses and statistics, see ``_monitor_vars_learn``.
        """
        data = self._stacked_batch(data)
        self._learn_model.train()
        self._target_model.train()
        obs, next_obs = data['obs'], data['next_obs']
        structure = {key: data[key] for key in STRUCTURE_KEYS + ('channel_state', ) if key in data}
        if 'next_channel_state' in data:  # late messages: those arriving at o' are known exactly
            next_structure = {key: data[f'next_{key}'] for key in STRUCTURE_KEYS + ('channel_state', )}
        else:
            next_structure = structure

        with self._mixed_precision():
            # The actor loss's forward comes first: a critic that reads the integrated thoughts takes them from it.
            actor = self._learn_model.forward({'obs': obs, **structure}, mode='compute_actor')
            q_value = critic_q_value(self._learn_model, obs, data['action'], actor)
            with torch.no_grad():
                # Without delay, the target action at o' replays the transition's structure: it is the structure of
                # o' except on the step where a new one is decided (and, with losses, up to that step's losses).
                next_actor = self._target_model.forward({'obs': next_obs, **next_structure}, mode='compute_actor')
                target_q = critic_q_value(self._target_model, next_obs, next_actor['action'], next_actor)
        weight = data['weight'].unsqueeze(1) if data['weight'] is not None else None
        td_data = v_1step_td_data(q_value, target_q, data['reward'], data['done'], weight)
        critic_loss, td_error = v_1step_td_error(td_data, self._gamma)
        self._optimizer_critic.zero_grad()
        critic_loss.backward()
        self._sync_gradients(self._model.critic)
        self._optimizer_critic.step()

        # A new autocast region: its cached bf16 weights must not outlive the critic's update.
        with self._mixed_precision():
            with frozen(self._model.critic):  # the actor loss needs no gradient of the critic's weights
                q_of_policy = critic_q_value(self._learn_model, obs, actor['action'], actor)
        actor_loss = -q_of_policy.mean()
        if self._action_preactivation_penalty:
            preactivation = actor['action_preactivation'].float()  # fp32 under bf16 autocast, as the other losses
            actor_loss = actor_loss + self._action_preactivation_penalty * preactivation.pow(2).mean()
        self._optimizer_actor.zero_grad()
        actor_loss.backward()
        self._sync_gradients(self._model.actor)
        self._optimizer_actor.step()

        attention_loss = self._train_attention_unit()
        self._learn_steps += 1
        replayed = CommunicationStats()  # who communicated in the replayed transitions
        replayed.update(structure)
        # The one read-back of the step: every scalar in one transfer.
        overflow = next_actor['channel_overflow'] | actor['channel_overflow']
        scalars = torch.stack([
            critic_loss.detach(), actor_loss.detach(), q_value.detach().mean(), target_q.mean(), td_error.mean(),
            overflow.float(), (actor['action'].detach().abs() > SATURATED_ACTION).float().mean()
        ]).tolist()
        critic_loss, actor_loss, q_mean, target_q_mean, td_error_mean, overflow, saturated_share = scalars
        losses = {'critic_loss': critic_loss, 'actor_loss': actor_loss, 'attention_loss': attention_loss}
        for name, loss in losses.items():
            if not math.isfinite(loss):
                raise FloatingPointError(f"ding_atoc diverged: {name} is {loss} at learn step {self._learn_steps}")
        if overflow:
            raise RuntimeError(
                f"model.channel_max_rounds={self._model.channel_max_rounds} is too small for a replayed structure "
                "(some groups needed a later serial round and were not integrated): raise it, or set it to None"
            )
        self._target_model.update(self._learn_model.state_dict())
        batch_stats = replayed.pop()
        return {
            'cur_lr_actor': self._optimizer_actor.defaults['lr'],
            'cur_lr_critic': self._optimizer_critic.defaults['lr'],
            # DI-engine's task-pipeline trainer reads ``total_loss``.
            'total_loss': sum(losses.values()),
            **losses,
            'q_value': q_mean,
            'target_q_value': target_q_mean,
            'td_error': td_error_mean,
            'action_saturated_share': saturated_share,
            'priority': td_error.detach().mean(dim=1).tolist(),
            'initiator_share': batch_stats['initiator_share'],
            'mean_group_size': batch_stats['mean_group_size'],
            'dq_queue_size': float(len(self._gain_queue)),
        }

    def _stacked_batch(self, data: Union[List[Dict[str, Any]], Dict[str, Any]]) -> Dict[str, Any]:
        """
        Overview:
            The learn batch as one dict of stacked tensors on the policy's device, as DI-engine's
            ``default_preprocess_learn`` makes it: a list of transitions is collated; a batch that is already
            stacked (leading batch dim) gets the same treatment of ``done``, ``reward`` and ``weight``. Rewards are
            the team's, (B,), or each agent's own, (B, A) (``env.reward_type='local'``), which ``done`` then
            broadcasts against.
        """
        learn = self._cfg.learn
        if not isinstance(data, dict):
            data = default_preprocess_learn(
                data,
                use_priority=self._cfg.priority,
                use_priority_IS_weight=self._cfg.priority_IS_weight,
                ignore_done=learn.ignore_done,
                use_nstep=False
            )
            data = to_device(data, self._device) if self._cuda else data
        else:
            data = dict(data)
            done = data['done'].float()
            data['done'] = torch.zeros_like(done) if learn.ignore_done else done
            if data['reward'].dim() == 2 and data['reward'].shape[1] == 1:  # team reward (B, 1) -> (B,)
                data['reward'] = data['reward'].squeeze(-1)
            data.setdefault('weight', None)
        if data['reward'].dim() == 2:  # per-agent rewards (B, A): the episode's end applies to every agent
            data['done'] = data['done'].unsqueeze(-1)
        return data

    def _mixed_precision(self) -> contextlib.AbstractContextManager:
        """bf16 autocast on the policy's device when ``learn.mixed_precision``, else nothing."""
        return torch.autocast(
            device_type=torch.device(self._device).type, dtype=torch.bfloat16, enabled=self._cfg.learn.mixed_precision
        )

    def _train_attention_unit(self) -> float:
        """
        Overview:
            One step of the attention unit's log loss -dQ log p - (1 - dQ) log(1 - p) on a minibatch of the
            dQ queue, dQ normalised to [0, 1] over the queue (``learn.dq_normalisation``). Thoughts come from the
            current encoder, detached, so this loss trains the attention unit alone. Returns 0.0 while the queue is
            still empty.
        """
        self._gain_queue.share()
        if len(self._gain_queue) == 0:
            return 0.0
        obs, target = self._gain_queue.sample(self._cfg.learn.attention_batch_size)
        with torch.no_grad():
            thought = self._model.actor['encoder'](obs)
        loss = F.binary_cross_entropy_with_logits(self._model.initiator_logit(thought), target)
        self._optimizer_attention.zero_grad()
        loss.backward()
        self._sync_gradients(self._model.attention_unit)
        self._optimizer_attention.step()
        return loss.item()

    def _sync_gradients(self, module: torch.nn.Module) -> None:
        """With ``multi_gpu``, average the gradients of ``module`` (one optimiser's) over all ranks."""
        if self._cfg.multi_gpu:
            sync_gradients(self, module)

    def _monitor_vars_learn(self) -> List[str]:
        return [
            'cur_lr_actor', 'cur_lr_critic', 'total_loss', 'critic_loss', 'actor_loss', 'attention_loss', 'q_value',
            'target_q_value', 'td_error', 'action_saturated_share', 'initiator_share', 'mean_group_size',
            'dq_queue_size'
        ]

    def _state_dict_learn(self) -> Dict[str, Any]:
        return {
            'model': self._learn_model.state_dict(),
            'target_model': self._target_model.state_dict(),
            'optimizer_actor': self._optimizer_actor.state_dict(),
            'optimizer_critic': self._optimizer_critic.state_dict(),
            'optimizer_attention': self._optimizer_attention.state_dict(),
            'dq_queue': self._gain_queue.state_dict(),
        }

    def _load_state_dict_learn(self, state_dict: Dict[str, Any]) -> None:
        self._learn_model.load_state_dict(state_dict['model'])
        self._target_model.load_state_dict(state_dict['target_model'])
        self._optimizer_actor.load_state_dict(state_dict['optimizer_actor'])
        self._optimizer_critic.load_state_dict(state_dict['optimizer_critic'])
        self._optimizer_attention.load_state_dict(state_dict['optimizer_attention'])
        self._gain_queue.load_state_dict(state_dict['dq_queue'])

    def _init_collect(self) -> None:
        self._unroll_len = self._cfg.collect.unroll_len
        self._collect_model = model_wrap(
            self._model,
            wrapper_name='action_noise',
            noise_type='gauss',
            noise_kwargs={
                'mu': 0.0,
                'sigma': self._cfg.collect.noise_sigma
            },
            noise_range=None,
        )
        self._collect_model.reset()
        self._collect_memory = StructureMemory(self._cfg.comm_interval)
        self._collect_stats = CommunicationStats()
        self._collect_channel = ChannelConditions(**self._cfg.channel_conditions)

    def _forward_collect(self, data: Dict[Any, Any], **kwargs) -> Dict[Any, Any]:
        """
        Overview:
            Act with exploration noise. Every ``comm_interval`` steps of an environment its initiators and groups
            are decided anew (sampled when ``collect.sample_initiators``); on those steps each initiator's dQ
            goes to the dQ queue.
        Arguments:
            - data (:obj:`Dict[Any, Any]`): the observation of each environment id (DI-engine's env managers), or \
                the observations of a batched env as one dict of tensors on the policy's device, row i being \
                environment i (the batched pipeline).
        Returns:
            - output (:obj:`Dict[Any, Any]`): per environment id, ``action`` and the structure keys; for a \
                batched observation, the same keys stacked over environments, on the policy's device.
        """
        return self._per_env_or_stacked(data, self._collect_step)

    def _collect_step(self, obs: Dict[str, torch.Tensor], env_ids: Optional[List[int]]) -> Dict[str, torch.Tensor]:
        """One collect step of stacked observations (``env_ids`` None: row i is environment i)."""
        self._collect_model.eval()
        with torch.no_grad():
            explore = self._cfg.collect.sample_initiators
            thought, structure, renewed = self._structure_of(self._collect_memory, obs, env_ids, explore)
            arrived = self._transmit(self._collect_channel, self._collect_stats, env_ids, obs, structure, renewed)
            actor = self._model.compute_actor({'obs': obs, 'thought': thought, **arrived})
            # Learn mode shares this policy object (serial and task pipeline); dQ only matters to the attention unit.
            # A collect-only policy records dQ where it is given a queue: DI-engine's parallel mode gives its
            # collectors a ``GainOutbox`` (collect_mode.set_attribute('gain_queue', ...)) to send to the learner.
            if hasattr(self, '_gain_queue') and self._model.communication and not self._model.initiate_all:
                self._record_gain(obs, actor, arrived)
            # DI-engine's noise wrapper perturbs and clips the action.
            action = self._collect_model.add_noise(actor['action'])
        arrived.pop('renewed')
        return {'action': action, **arrived}

    def _structure_of(self, memory: StructureMemory, obs: Dict[str, torch.Tensor], env_ids: Optional[List[int]],
                      explore: bool) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """
        Overview:
            Thoughts and the structure every environment acts with this step: the remembered one, or a new one
            where its ``comm_interval`` is over (initiators and groups are decided only when some environment
            takes a new structure: the grouping is the costliest part of a collect step).
        Returns:
            - thought (:obj:`torch.Tensor`), structure (:obj:`Dict[str, torch.Tensor]`), renewed (:obj:`torch.Tensor`)
        """
        thought = self._model.thought(obs)
        count = thought.shape[0]
        fresh = None
        if memory.due(env_ids, count).any():
            decided = self._model.compute_structure({'obs': obs, 'thought': thought}, explore=explore)
            fresh = {key: decided[key] for key in STRUCTURE_KEYS}
        structure, renewed = memory.select(env_ids, count, fresh)
        return thought, structure, renewed

    def _record_gain(
            self, obs: Dict[str, torch.Tensor], actor: Dict[str, torch.Tensor], arrived: Dict[str, torch.Tensor]
    ) -> None:
        """
        Overview:
            dQ_i = mean over the group of Q(o_j, a_j with communication) - Q(o_j, a_j without), for every group
            integrated on this step whose structure was formed when its messages were sent, pushed with the
            initiator's observation at that time (the one it decided on) to the dQ queue. A structure that lasts
            several steps is scored once.
        """
        structure, renewed = arrived, arrived['renewed']
        sender_state = arrived.get('channel_state', obs[AGENT_STATE])
        q_value = self._model.q_with_and_without_communication(obs, actor)
        gain = group_mean(q_value['q_with'] - q_value['q_without'], structure['group'])
        new_group = (structure['group_round'] != NO_AGENT) & renewed.unsqueeze(1)
        self._gain_queue.push(sender_state[new_group], gain[new_group])

    def _process_transition(self, obs: Any, policy_output: Dict[str, torch.Tensor],
                            timestep: namedtuple) -> Dict[str, torch.Tensor]:
        transition = {
            'obs': obs,
            'next_obs': timestep.obs,
            'action': policy_output['action'],
            'reward': timestep.reward,
            'done': timestep.done,
        }
        # The structure of the messages integrated on this step (and, when they arrive late, what they were computed
        # from): learning replays them with the current networks.
        transition.update({key: value for key, value in policy_output.items() if key != 'action'})
        return transition

    def _get_train_sample(self, transitions: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        # Nothing essential happens here: DI-engine's task pipeline never calls it.
        return get_train_sample(transitions, self._unroll_len)

    def _reset_collect(self, data_id: Optional[Union[List[int], torch.Tensor]] = None) -> None:
        """Forget the structures and messages in flight of ``data_id`` (env ids, or a bool mask over the rows of a
        batched env; all when None)."""
        self._collect_memory.reset(data_id)
        self._collect_channel.reset(data_id)

    def _init_eval(self) -> None:
        self._eval_model = model_wrap(self._model, wrapper_name='base')
        self._eval_model.reset()
        self._eval_memory = StructureMemory(self._cfg.comm_interval)
        self._eval_stats = CommunicationStats()
        self._eval_channel = ChannelConditions(**self._cfg.channel_conditions)

    def _forward_eval(self, data: Dict[Any, Any]) -> Dict[Any, Any]:
        """
        Overview:
            Act greedily: initiators by threshold, every ``comm_interval`` steps, no noise.
        Arguments:
            - data (:obj:`Dict[Any, Any]`): as ``_forward_collect``: per env id, or stacked over a batched env.
        Returns:
            - output (:obj:`Dict[Any, Any]`): ``action`` and the structure keys, per env id or stacked.
        """
        return self._per_env_or_stacked(data, self._eval_step)

    def _eval_step(self, obs: Dict[str, torch.Tensor], env_ids: Optional[List[int]]) -> Dict[str, torch.Tensor]:
        """One greedy step of stacked observations (``env_ids`` None: row i is environment i)."""
        self._eval_model.eval()
        with torch.no_grad():
            thought, structure, renewed = self._structure_of(self._eval_memory, obs, env_ids, explore=False)
            arrived = self._transmit(self._eval_channel, self._eval_stats, env_ids, obs, structure, renewed)
            arrived.pop('renewed')
            inputs = {'obs': obs, 'thought': thought, **arrived}
            action = self._eval_model.forward(inputs, mode='compute_actor')['action']
        return {'action': action, **arrived}

    def _reset_eval(self, data_id: Optional[Union[List[int], torch.Tensor]] = None) -> None:
        """As ``_reset_collect``, for evaluation."""
        self._eval_memory.reset(data_id)
        self._eval_channel.reset(data_id)


@POLICY_REGISTRY.register('ding_atoc_command')
class DingATOCCommandModePolicy(DingATOCPolicy, DummyCommandModePolicy):
    """
    Overview:
        Command-mode twin of ``DingATOCPolicy``, looked up by DI-engine's ``serial_pipeline`` (``ding -m serial``).
    """


def critic_q_value(model: Any, obs: Dict[str, torch.Tensor], action: torch.Tensor,
                   actor: Dict[str, torch.Tensor]) -> torch.Tensor:
    """
    Overview:
        Q of ``action`` at ``obs`` through ``model``'s ``compute_critic``; a critic that reads the integrated thoughts
        takes them from ``actor``, ``compute_actor``'s output at the same ``obs``.
    Shapes:
        - action: :math:`(B, A, action_shape)`
        - q_value: :math:`(B, A)`
    """
    inputs = {'obs': obs, 'action': action, 'integrated_thought': actor['integrated_thought']}
    return model.forward(inputs, mode='compute_critic')['q_value']


@contextlib.contextmanager
def frozen(module: torch.nn.Module):
    """Inside the block, autograd computes no gradient for ``module``'s parameters (it still flows through)."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in zip(module.parameters(), flags):
            p.requires_grad_(flag)


@functools.lru_cache(maxsize=None)
def _warn_cpu_fallback() -> None:
    """Say once per process that ``cuda=True`` runs on the CPU (DI-engine falls back silently)."""
    logging.warning('policy.cuda=True but no GPU is available: ding_atoc runs on the CPU')

