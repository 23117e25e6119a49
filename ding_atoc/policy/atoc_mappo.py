"""
Overview:
    ``ATOCMAPPOPolicy``: DI-engine's MAPPO (``PPOPolicy`` with ``multi_agent=True``) whose actor communicates as ATOC
    does (``ding_atoc.model.atoc_mappo.ATOCMAVAC``). Collection and evaluation keep each environment's communication
    structure for ``comm_interval`` steps and pass messages through ``channel_conditions``; every transition carries
    the structure in its observation, so PPO's own learn step replays it. The gate learns as part of the policy or,
    as in the paper, as a classifier on the gain of communicating (``model.gate_learning``).
"""
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
import treetensor.torch as ttorch
from ding.model import model_wrap
from ding.policy import PPOPolicy
from ding.policy.command_mode_policy_instance import DummyCommandModePolicy
from ding.torch_utils import Adam, to_device
from ding.utils import POLICY_REGISTRY, deep_merge_dicts
from ding.utils.data import default_collate
from easydict import EasyDict

from ..model.atoc_mappo import (COMM_CHANNEL_STATE, COMM_GATE, COMM_GATE_DECIDED, COMM_GROUP, COMM_GROUP_ROUND,
                                COMM_KEYS, COMM_RENEWED)
from ..model.grouping import NO_AGENT, group_mean
from ..obs_keys import AGENT_STATE
from .channel_conditions import CHANNEL_CONDITIONS_CONFIG, ChannelConditions
from .comm_stats import CommunicationStats
from .communicating import CommunicatingPolicy
from .gain_queue import CommunicationGainQueue
from .structure_memory import StructureMemory


@POLICY_REGISTRY.register('ding_atoc_mappo')
class ATOCMAPPOPolicy(PPOPolicy, CommunicatingPolicy):
    """
    Overview:
        MAPPO with ATOC's communication. ``model.communication=False`` is the no-communication ablation (MAPPO with
        this actor, every agent receiving the zero message) through the same code.
    Config:
        DI-engine's PPO keys keep their names and meaning; the keys below are ATOC's.
    """
    #: ``_forward_collect`` and ``_forward_eval`` also take one stacked observation of a batched env (see
    #: ``ding_atoc.batched``; ``ding-atoc train`` then collects rollouts with ``ding_atoc.batched.on_policy``).
    stacked_collect = True
    config = deep_merge_dicts(
        PPOPolicy.config,
        dict(
            # (str) Registry name of the policy.
            type='ding_atoc_mappo',
            # (bool) MAPPO: per-agent actors on agent_state, a centralized value on global_state. Must stay True.
            multi_agent=True,
            # (int) T: steps a communication structure lasts before the gates decide again (1: every step).
            comm_interval=15,
            # Communication under real conditions, in collection, evaluation and learning alike.
            channel_conditions=CHANNEL_CONDITIONS_CONFIG,
            model=dict(
                # (str) How the gate learns. 'policy' (default, the reference notes): the gate's Bernoulli decision is
                # part of the action, so PPO's clipped ratio trains it with the advantage of the whole step
                # (discrete: one categorical over (gate, action); continuous: DI-engine's hybrid-action PPO loss, the
                # gate's and the move's ratios clipped apart). 'gain' (the paper): a classifier with its own optimiser
                # on (initiator's observation, gain) pairs, the gain of a group being the mean advantage of its
                # members on the step its messages are integrated; the gate then has no part in PPO's loss.
                gate_learning='policy',
                # (str) Integration of received messages: 'attention' (scaled dot product, query from the own
                # thought, keys and values from the messages heard) or 'bilstm' (the project's BiLSTM channel).
                channel='attention',
                # (bool) False: the no-communication ablation (same code, nobody initiates).
                communication=True,
                # (bool) True: every agent initiates at every decision, the gate unused (the ablation that
                # communicates with everyone in range, as ding_atoc_commall).
                initiate_all=False,
                # (float) In [0, 1): epsilon-greedy gate while sampling (a fair coin with this probability); PPO
                # learns on that distribution. At 0.2 it did not keep the gate from shutting on the hidden-target
                # task (gate_init_prob does), so it is off by default.
                gate_epsilon=0.0,
                # (Optional[float]) In (0, 1): every agent's gate starts at this p (applied after PPO's parameter
                # initialisation), so the messages become worth something before the gate judges them; a gate that
                # starts at 0.5 shuts on some seeds before any message helps, and nothing reopens it (README, "ATOC
                # communication for MAPPO"). None: p starts spread around 0.5.
                gate_init_prob=0.9,
            ),
            learn=dict(
                # (float) gate_learning='gain': learning rate of the gate's own optimiser.
                learning_rate_attention=1e-3,
                # (int) gate_learning='gain': (observation, gain) pairs per gate step.
                attention_batch_size=64,
                # (int) gate_learning='gain': gate steps after each collection.
                attention_update_per_collect=10,
                # (int) gate_learning='gain': capacity of the gain queue, kept apart from PPO's data (FIFO).
                attention_queue_size=10000,
                # (str) gate_learning='gain': gain -> classifier target in [0, 1], 'standardised' or 'minmax' over the
                # queue (see ding_atoc's DDPG policy, learn.dq_normalisation).
                dq_normalisation='standardised',
            ),
            collect=dict(
                # (int) Transitions (env steps of one env) per collection.
                n_sample=3200,
                # (bool) Sample the gates from Bernoulli(p_i) while collecting; must stay True with
                # gate_learning='policy' (the decision is an action PPO learns from). False thresholds as evaluation.
                sample_initiators=True,
            ),
        )
    )

    def __init__(self, cfg: EasyDict, model: Optional[torch.nn.Module] = None,
                 enable_field: Optional[List[str]] = None):
        _check_config(cfg)
        super().__init__(cfg, model=model, enable_field=enable_field)

    def default_model(self) -> Tuple[str, List[str]]:
        return 'ding_atoc_mappo', ['ding_atoc.model.atoc_mappo']

    def _init_learn(self) -> None:
        super()._init_learn()
        if self._cfg.learn.ppo_param_init:  # it re-initialised every layer, the gate's start with them
            self._model.initialise_gate()
        self._action_space = self._ppo_action_space()
        self._gain_queue = None
        if self._model.communication and self._model.gate_learning == 'gain' and not self._model.initiate_all:
            learn = self._cfg.learn
            self._gain_queue = CommunicationGainQueue(learn.attention_queue_size, self._model.agent_obs_shape,
                                                      self._device, normalisation=learn.dq_normalisation)
            self._optimizer_attention = Adam(self._model.actor['gate'].parameters(), lr=learn.learning_rate_attention)

    def _ppo_action_space(self) -> str:
        """
        Overview:
            The action space of PPO's loss. Continuous moves with the gate's decision in the action make a hybrid
            action, whose loss reads ``logit['action_type']`` (the gate) and ``logit['action_args']`` (the move).
            PPO's ``_init_collect`` and ``_init_eval`` reset ``self._action_space`` (shared by all modes) to the
            config's, so every ``_init_*`` sets it again.
        """
        if self._model.gate_in_action and self._cfg.action_space == 'continuous':
            return 'hybrid'
        return self._cfg.action_space

    def _forward_learn(self, data: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """
        Overview:
            PPO's learn step (its epochs and minibatches, unchanged), replaying each sample's communication structure
            from its observation. With ``gate_learning='gain'``, first the gains of the groups integrated in these
            samples go to the gain queue (from the samples' advantages), and after PPO the gate takes
            ``learn.attention_update_per_collect`` classifier steps.
        """
        if self._gain_queue is not None:
            self._push_gains(data)
        if isinstance(data, ttorch.Tensor):  # the task pipelines' train data
            data = _BatchLengthFirst(data)
        infos = super()._forward_learn(data)
        if self._gain_queue is not None:
            attention_loss = self._train_gate()
            for info in infos:
                info.update(attention_loss=attention_loss, dq_queue_size=float(len(self._gain_queue)))
        return infos

    def _push_gains(self, data: Union[List[Dict[str, Any]], Dict[str, Any]]) -> None:
        """
        Overview:
            For every group whose messages are integrated on a sample's step and were sent in a structure decided
            when sent: gain = mean advantage of its members, pushed with its initiator's observation at that time.
        """
        batch = default_collate(data) if isinstance(data, list) else data
        batch = to_device(batch, self._device)
        obs, advantage = batch['obs'], batch['adv'].float()
        group = obs[COMM_GROUP].long()
        renewed = obs[COMM_RENEWED].bool().view(-1, 1)
        new_group = (obs[COMM_GROUP_ROUND].long() != NO_AGENT) & renewed
        sender_state = obs[COMM_CHANNEL_STATE] if COMM_CHANNEL_STATE in obs else obs[AGENT_STATE]
        self._gain_queue.push(sender_state[new_group].float(), group_mean(advantage, group)[new_group])

    def _train_gate(self) -> float:
        """
        Overview:
            ``learn.attention_update_per_collect`` steps of the gate's log loss -g log p - (1 - g) log(1 - p) on
            minibatches of the gain queue (g: gain normalised over the queue), on thoughts of the current encoder.
            Returns the mean loss, 0.0 while the queue is empty.
        """
        if len(self._gain_queue) == 0:
            return 0.0
        losses = []
        for _ in range(self._cfg.learn.attention_update_per_collect):
            obs, target = self._gain_queue.sample(self._cfg.learn.attention_batch_size)
            with torch.no_grad():
                thought = self._model.actor['encoder'](obs)
            loss = F.binary_cross_entropy_with_logits(self._model.gate_logit(thought), target)
            self._optimizer_attention.zero_grad()
            loss.backward()
            self._optimizer_attention.step()
            losses.append(loss.detach())
        return torch.stack(losses).mean().item()

    def _monitor_vars_learn(self) -> List[str]:
        gate_classifier = ['attention_loss', 'dq_queue_size'] if self._gain_queue is not None else []
        return super()._monitor_vars_learn() + gate_classifier

    def _state_dict_learn(self) -> Dict[str, Any]:
        state = super()._state_dict_learn()
        if self._gain_queue is not None:
            state.update(optimizer_attention=self._optimizer_attention.state_dict(),
                         dq_queue=self._gain_queue.state_dict())
        return state

    def _load_state_dict_learn(self, state_dict: Dict[str, Any]) -> None:
        super()._load_state_dict_learn(state_dict)
        if self._gain_queue is not None:
            self._optimizer_attention.load_state_dict(state_dict['optimizer_attention'])
            self._gain_queue.load_state_dict(state_dict['dq_queue'])

    def _init_collect(self) -> None:
        super()._init_collect()
        self._action_space = self._ppo_action_space()
        # Actions are sampled here (the gate's decision comes before the messages, the move after them); the plain
        # wrapper also serves PPO's ``_get_train_sample``, which reads only the value.
        self._collect_model = model_wrap(self._model, wrapper_name='base')
        self._collect_model.reset()
        self._collect_memory = StructureMemory(self._cfg.comm_interval)
        self._collect_channel = ChannelConditions(**self._cfg.channel_conditions)
        self._collect_stats = CommunicationStats()

    def _forward_collect(self, data: Dict[Any, Any]) -> Dict[Any, Any]:
        """
        Overview:
            Act by sampling: every ``comm_interval`` steps of an environment its gates are sampled and its groups
            formed; the messages of the current structure arrive through the channel; the action is sampled from
            the distribution after communication.
        Arguments:
            - data (:obj:`Dict[Any, Any]`): the observation of each environment id (DI-engine's env managers), or \
                the observations of a batched env as one dict of (E, ...) tensors on the policy's device, row i \
                being environment i (the batched pipeline).
        Returns:
            - output (:obj:`Dict[Any, Any]`): per environment id, ``action`` (for the env), ``ppo_action`` (the \
                action PPO learns on: with the gate's decision where it is part of the action), ``logit``, \
                ``value`` and the ``COMM_KEYS`` of the step; for a batched observation, the same keys stacked over \
                environments, on the policy's device.
        """
        return self._per_env_or_stacked(data, self._collect_step)

    def _collect_step(self, obs: Dict[str, torch.Tensor], env_ids: Optional[List[int]]) -> Dict[str, Any]:
        """One collect step of stacked observations (``env_ids`` None: row i is environment i)."""
        self._collect_model.eval()
        with torch.no_grad():
            comm, output = self._communicate(self._collect_model, self._collect_memory, self._collect_channel,
                                             self._collect_stats, obs, env_ids, self._cfg.collect.sample_initiators)
            action_logit = output['action_logit']
            if self._model.action_space == 'discrete':
                action = torch.distributions.Categorical(logits=action_logit).sample()
            else:
                action = torch.distributions.Normal(action_logit['mu'], action_logit['sigma']).sample()
        gate = comm[COMM_GATE].long()
        if not self._model.gate_in_action:
            ppo_action = action
        elif self._model.action_space == 'discrete':
            ppo_action = gate * self._model.action_shape + action  # the joint categorical's index
        else:
            ppo_action = {'action_type': gate, 'action_args': action}
        return {'action': action, 'ppo_action': ppo_action, 'logit': output['logit'], 'value': output['value'], **comm}

    def _process_transition(self, obs: Dict[str, torch.Tensor], policy_output: Dict[str, Any],
                            timestep: Any) -> Dict[str, Any]:
        # The structure rides in the observation: PPO's learn step feeds ``obs`` alone to the model. ``next_obs`` gets
        # the same keys (only its global_state is read): DI-engine's serial collector replaces every next_obs but the
        # last of a trajectory by the next transition's obs, and collation needs one set of keys.
        comm = {key: policy_output[key] for key in COMM_KEYS if key in policy_output}
        ppo_output = {**policy_output, 'action': policy_output['ppo_action']}
        transition = super()._process_transition({**obs, **comm}, ppo_output, timestep)
        transition['next_obs'] = {**transition['next_obs'], **comm}
        return transition

    def _reset_collect(self, data_id: Optional[Union[List[int], torch.Tensor]] = None) -> None:
        """Forget the structures and messages in flight of ``data_id`` (env ids, or a bool mask over the rows of a
        batched env; all when None)."""
        self._collect_memory.reset(data_id)
        self._collect_channel.reset(data_id)

    def _init_eval(self) -> None:
        super()._init_eval()
        self._action_space = self._ppo_action_space()
        self._eval_model = model_wrap(self._model, wrapper_name='base')
        self._eval_model.reset()
        self._eval_memory = StructureMemory(self._cfg.comm_interval)
        self._eval_channel = ChannelConditions(**self._cfg.channel_conditions)
        self._eval_stats = CommunicationStats()

    def _forward_eval(self, data: Dict[Any, Any]) -> Dict[Any, Any]:
        """
        Overview:
            Act greedily: gates thresholded at ``model.initiator_threshold`` every ``comm_interval`` steps, the most
            probable discrete action or the mean continuous one.
        Arguments:
            - data (:obj:`Dict[Any, Any]`): as ``_forward_collect``: per env id, or stacked over a batched env.
        Returns:
            - output (:obj:`Dict[Any, Any]`): ``action`` and the ``COMM_KEYS`` of the step, per env id or stacked.
        """
        return self._per_env_or_stacked(data, self._eval_step)

    def _eval_step(self, obs: Dict[str, torch.Tensor], env_ids: Optional[List[int]]) -> Dict[str, Any]:
        """One greedy step of stacked observations (``env_ids`` None: row i is environment i)."""
        self._eval_model.eval()
        with torch.no_grad():
            comm, output = self._communicate(self._eval_model, self._eval_memory, self._eval_channel,
                                             self._eval_stats, obs, env_ids, sample_gate=False)
        action_logit = output['action_logit']
        if self._model.action_space == 'discrete':
            action = action_logit.argmax(dim=-1)
        else:
            action = action_logit['mu']
        return {'action': action, **comm}

    def _reset_eval(self, data_id: Optional[Union[List[int], torch.Tensor]] = None) -> None:
        """As ``_reset_collect``, for evaluation."""
        self._eval_memory.reset(data_id)
        self._eval_channel.reset(data_id)

    def _communicate(self, model: Any, memory: StructureMemory, channel: ChannelConditions,
                     stats: CommunicationStats, obs: Dict[str, torch.Tensor], env_ids: Optional[List[int]],
                     sample_gate: bool) -> Tuple[Dict[str, torch.Tensor], Dict[str, Any]]:
        """
        Overview:
            One step of communication and the actor-critic after it: the structure every environment acts with
            (the remembered one, or where its ``comm_interval`` is over one decided now: the grouping is the costliest
            part of a step), the messages that arrive through ``channel``, and the model on them.
        Returns:
            - comm (:obj:`Dict[str, torch.Tensor]`): the ``COMM_KEYS`` of the step, batched over environments.
            - output (:obj:`Dict[str, Any]`): ``compute_actor_critic``'s.
        """
        thought = self._model.thought(obs)
        count = thought.shape[0]  # environments of the call (``env_ids`` is None for a batched env)
        fresh = None
        if memory.due(env_ids, count).any():
            fresh = self._model.decide_structure(obs, thought, self._model.gate_logit(thought), sample_gate)
        structure, renewed = memory.select(env_ids, count, fresh)
        arrived = self._transmit(channel, stats, env_ids, obs, structure, renewed)
        comm = {
            COMM_GROUP: arrived['group'],
            COMM_GROUP_ROUND: arrived['group_round'],
            # The gate decides only where a structure is renewed; the decision 0 stands for "no decision".
            COMM_GATE: structure['initiator'] & renewed.unsqueeze(1),
            COMM_GATE_DECIDED: renewed,
            COMM_RENEWED: arrived['renewed'],
        }
        if 'channel_state' in arrived:
            comm[COMM_CHANNEL_STATE] = arrived['channel_state']
        output = model.forward({**obs, **comm}, mode='compute_actor_critic', thought=thought)
        return comm, output


@POLICY_REGISTRY.register('ding_atoc_mappo_command')
class ATOCMAPPOCommandModePolicy(ATOCMAPPOPolicy, DummyCommandModePolicy):
    """
    Overview:
        Command-mode twin of ``ATOCMAPPOPolicy``, looked up by DI-engine's serial pipelines
        (``ding -m serial_onpolicy``).
    """


class _BatchLengthFirst(ttorch.Tensor):
    """
    Overview:
        A batch of the task pipelines (a treetensor) that collates, for PPO's learn step, to a dict whose first entry
        is a plain tensor. PPO's minibatches come from DI-engine's ``split_data_generator``, which takes the batch
        length from the dict's first entry, and from a nested dict's first entry ``len`` of that. With a hybrid
        action (``gate_learning='policy'`` and continuous moves) ``logit['action_args']`` is a dict of ``mu`` and
        ``sigma``, so where ``logit`` came first with ``action_args`` first, the length was 2: every epoch learnt
        from one minibatch of 2 samples. A treetensor's key order follows the process's string hashes
        (``PYTHONHASHSEED``), so that happened in some processes and not others.
    """

    def json(self) -> Dict[str, Any]:
        batch = super().json()
        return {'done': batch['done'], **batch}  # PPO's data always has done, one flag per sample


def _check_config(cfg: EasyDict) -> None:
    """Raise early, naming the key, where the config cannot work."""
    if not cfg.get('multi_agent', False):
        raise ValueError(f"policy.multi_agent must be True for ding_atoc_mappo (MAPPO), got {cfg.get('multi_agent')!r}")
    model_space = cfg.get('model', {}).get('action_space', 'discrete')
    if cfg.get('action_space') != model_space:
        raise ValueError(f"policy.action_space={cfg.get('action_space')!r} must equal policy.model.action_space="
                         f"{model_space!r}")
    gate_learning = cfg.get('model', {}).get('gate_learning', 'policy')
    if gate_learning == 'policy' and not cfg.get('collect', {}).get('sample_initiators', True):
        raise ValueError("policy.collect.sample_initiators must be True with policy.model.gate_learning='policy': "
                         "the gate's decision is an action PPO learns from, so it must be sampled")
