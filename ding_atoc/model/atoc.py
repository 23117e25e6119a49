"""
Overview:
    ``DingATOC``: the ATOC network (Jiang & Lu, 2018) with parameters shared by all agents: thought encoder
    mu_I, attention unit, communication channel, actor head mu_II and critic Q(o_i, a_i), batched over
    environments and agents with no Python loop over either.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from ding.torch_utils import MLP
from ding.utils import MODEL_REGISTRY

from ..obs_keys import AGENT_DISTANCE, AGENT_STATE, GLOBAL_STATE
from .channel import AttentionChannel, BiLSTMChannel, integrate_groups
from .gate import RandomGate, decide_initiators
from .grouping import communication_structure, field_by_distance, group_members


#: ``model.channel`` -> the module that integrates a group's thoughts.
CHANNELS = {'bilstm': BiLSTMChannel, 'attention': AttentionChannel}


def _mlp(in_size: int, hidden_size: int, out_size: int, layer_num: int, output_activation: bool) -> nn.Module:
    return MLP(in_size, hidden_size, out_size, layer_num, activation=nn.ReLU(), output_activation=output_activation)


@MODEL_REGISTRY.register('ding_atoc')
class DingATOC(nn.Module):
    """
    Overview:
        The ATOC network. ``forward(inputs, mode)`` dispatches to one of ``mode``:

        - ``compute_structure``: thoughts, initiator probabilities, who initiates, and the groups;
        - ``compute_actor``: actions for a given communication structure (with and without communication);
        - ``compute_critic``: Q(o_i, a_i) of every agent (optionally with the global state, or the observations and
          actions of the field, or the integrated thought);
        - ``compute_initiator_prob``: the attention unit's probability on the (detached) thoughts.
    Interfaces:
        ``__init__``, ``forward``, ``compute_structure``, ``compute_actor``, ``compute_critic``, \
        ``compute_initiator_prob``
    """
    mode = ['compute_structure', 'compute_actor', 'compute_critic', 'compute_initiator_prob']

    def __init__(
            self,
            obs_shape: int,
            action_shape: int,
            n_agent: int,
            thought_size: int = 64,
            encoder_hidden_size: int = 128,
            encoder_layer_num: int = 2,
            actor_hidden_size: int = 128,
            critic_hidden_size: int = 128,
            attention_hidden_size: int = 64,
            group_size: int = 3,
            initiator_threshold: float = 0.5,
            communication: bool = True,
            initiate_all: bool = False,
            channel: str = 'bilstm',
            global_obs_shape: Optional[int] = None,
            critic_use_global_state: bool = False,
            critic_field_obs: int = 0,
            critic_field_actions: bool = False,
            critic_integrated_thought: bool = False,
            channel_max_rounds: Optional[int] = None,
    ) -> None:
        """
        Arguments:
            - obs_shape (:obj:`int`): size of one agent's local observation (last dim of ``agent_state``).
            - action_shape (:obj:`int`): size of one agent's continuous action.
            - n_agent (:obj:`int`): number of agents of the config (the team trained with); the networks read \
                one agent's fixed-width observation, so the model acts in teams of any size (zero-shot).
            - thought_size (:obj:`int`): size of a thought h_i; even (the channel has two directions).
            - encoder_hidden_size (:obj:`int`): hidden units of the thought encoder mu_I.
            - encoder_layer_num (:obj:`int`): layers of mu_I.
            - actor_hidden_size (:obj:`int`): hidden units of the actor head mu_II.
            - critic_hidden_size (:obj:`int`): hidden units of the critic (two hidden layers).
            - attention_hidden_size (:obj:`int`): hidden units of the attention unit.
            - group_size (:obj:`int`): the most collaborators an initiator picks (m), below ``n_agent``.
            - initiator_threshold (:obj:`float`): in (0, 1); p_i above it makes agent i an initiator.
            - communication (:obj:`bool`): False gives the no-communication ablation (no agent initiates).
            - initiate_all (:obj:`bool`): every agent initiates at every decision, the attention unit is not \
                consulted: the "communicate with everyone in range" ablation.
            - channel (:obj:`str`): ``'bilstm'`` (the paper's bidirectional LSTM) or ``'attention'`` (scaled \
                dot-product attention over the received thoughts, fused with the own thought).
            - global_obs_shape (:obj:`Optional[int]`): size of ``global_state``, for the centralized critic.
            - critic_use_global_state (:obj:`bool`): whether the critic also reads ``global_state``.
            - critic_field_obs (:obj:`int`): the critic also reads the local observations of this many agents of \
                agent i's observable field, nearest first (zeros where the field holds fewer): what i's messages \
                can be about, so Q can value them, at a width independent of the team size. 0: Q(o_i, a_i).
            - critic_field_actions (:obj:`bool`): the critic also reads the actions of those ``critic_field_obs`` \
                agents (same slots): what i's neighbours do, which messages can coordinate and a critic that sees \
                only their observations cannot tell apart. Needs ``critic_field_obs`` > 0.
            - critic_integrated_thought (:obj:`bool`): the critic also reads agent i's integrated thought h~_i \
                (detached: Q does not train mu_I or the channel), what i knows after its group's messages, so \
                argmax_a Q can depend on them; Q(o_i, a_i) alone is blind to them and its gradient pulls every \
                actor to the same action whatever the messages say.
            - channel_max_rounds (:obj:`Optional[int]`): serial channel rounds run per forward with static shapes \
                (for CUDA graphs); None: as many as each structure needs (compact batches, \
                one read of the round sizes per forward).
        """
        super().__init__()
        _check_positive_int('model.obs_shape', obs_shape)
        _check_positive_int('model.action_shape', action_shape)
        _check_positive_int('model.n_agent', n_agent, minimum=2)
        _check_positive_int('model.group_size', group_size)
        if group_size >= n_agent:
            raise ValueError(f"model.group_size must be below model.n_agent={n_agent}, got {group_size}")
        if not 0.0 < initiator_threshold < 1.0:
            raise ValueError(f"model.initiator_threshold must lie in (0, 1), got {initiator_threshold}")
        if channel not in CHANNELS:
            raise ValueError(f"model.channel must be one of {sorted(CHANNELS)}, got {channel!r}")
        if critic_use_global_state:
            _check_positive_int('model.global_obs_shape (needed by critic_use_global_state)', global_obs_shape)
        if channel_max_rounds is not None:
            _check_positive_int('model.channel_max_rounds', channel_max_rounds)
        _check_positive_int('model.critic_field_obs', critic_field_obs, minimum=0)
        if critic_field_actions and not critic_field_obs:
            raise ValueError("model.critic_field_actions=True needs model.critic_field_obs > 0 (the field agents "
                             "whose actions Q reads)")
        self.obs_shape, self.action_shape, self.n_agent = obs_shape, action_shape, n_agent
        self.group_size, self.initiator_threshold = group_size, initiator_threshold
        self.communication, self.critic_use_global_state = communication, critic_use_global_state
        self.initiate_all = initiate_all
        #: A ``RandomGate`` overrules the attention unit when set (``ding-atoc eval --gate random``).
        self.random_gate: Optional[RandomGate] = None
        self.global_obs_shape = global_obs_shape
        self.critic_field_obs, self.critic_field_actions = critic_field_obs, critic_field_actions
        self.thought_size, self.critic_integrated_thought = thought_size, critic_integrated_thought
        self.channel_max_rounds = channel_max_rounds

        encoder = _mlp(obs_shape, encoder_hidden_size, thought_size, encoder_layer_num, output_activation=True)
        # mu_II reads (h_i, h~_i); Tanh bounds the action to [-1, 1].
        head = nn.Sequential(_mlp(2 * thought_size, actor_hidden_size, action_shape, 2, False), nn.Tanh())
        # ``actor`` holds everything the DDPG actor loss trains: mu_I, the channel and mu_II.
        self.actor = nn.ModuleDict({'encoder': encoder, 'channel': CHANNELS[channel](thought_size), 'head': head})
        critic_in = obs_shape + action_shape + (global_obs_shape if critic_use_global_state else 0) + \
            critic_field_obs * obs_shape + (critic_field_obs * action_shape if critic_field_actions else 0) + \
            (thought_size if critic_integrated_thought else 0)
        self.critic = _mlp(critic_in, critic_hidden_size, 1, 3, output_activation=False)
        self.attention_unit = _mlp(thought_size, attention_hidden_size, 1, 2, output_activation=False)

    def forward(self, inputs: Dict, mode: str, **kwargs) -> Dict[str, torch.Tensor]:
        if mode not in self.mode:
            raise ValueError(f"DingATOC has no mode {mode!r}; choose one of {self.mode}")
        return getattr(self, mode)(inputs, **kwargs)

    def thought(self, obs: Dict[str, torch.Tensor]) -> torch.Tensor:
        """
        Overview:
            h_i = mu_I(o_i) for every agent, after checking the observation against the config.
        Shapes:
            - obs[``agent_state``]: :math:`(B, A, D)`
            - thought: :math:`(B, A, T)`
        """
        return self.actor['encoder'](self._agent_state(obs))

    def compute_initiator_prob(self, thought: torch.Tensor) -> torch.Tensor:
        """
        Overview:
            p_i of the attention unit. The thought is detached: the attention unit learns only from its own
            loss and that loss trains nothing else.
        Shapes:
            - thought: :math:`(..., T)`
            - prob: :math:`(...)`
        """
        return torch.sigmoid(self.initiator_logit(thought))

    def initiator_logit(self, thought: torch.Tensor) -> torch.Tensor:
        """
        Overview:
            The attention unit's logit of p_i on the detached thought (for a numerically stable log loss).
        Shapes:
            - thought: :math:`(..., T)`
            - logit: :math:`(...)`
        """
        return self.attention_unit(thought.detach()).squeeze(-1)

    def compute_structure(self, inputs: Dict, explore: bool = False) -> Dict[str, torch.Tensor]:
        """
        Overview:
            Decide who initiates (sampled from Bernoulli(p_i) when ``explore``, else p_i > threshold, unless a gate
            rule of ``decide_initiators`` overrules the attention unit) and build
            the groups inside the observable fields given by ``obs['agent_distance']``; without that key the
            distances between thoughts stand in, every agent seeing every other.
        Arguments:
            - inputs (:obj:`Dict`): ``{'obs': obs}``, optionally with ``thought`` (the observation's, already \
                encoded).
            - explore (:obj:`bool`): sample the initiators instead of thresholding.
        Returns:
            - output (:obj:`Dict[str, torch.Tensor]`): ``thought``, ``initiator_prob``, ``initiator``, ``group``, \
                ``group_round``.
        Shapes:
            - thought: :math:`(B, A, T)`
            - initiator_prob, initiator, group_round: :math:`(B, A)`; group: :math:`(B, A, m + 1)`
        """
        obs = inputs['obs']
        with torch.no_grad():
            thought = inputs['thought'] if 'thought' in inputs else self.thought(obs)
            prob = self.compute_initiator_prob(thought)
            initiator = decide_initiators(self, prob, explore_prob=prob if explore else None)
            if AGENT_DISTANCE in obs:
                distance = self._agent_distance(obs)
            else:
                distance = torch.cdist(thought, thought)
            structure = communication_structure(initiator, distance, self.group_size)
        return {'thought': thought, 'initiator_prob': prob, **structure}

    def compute_actor(self, inputs: Dict) -> Dict[str, torch.Tensor]:
        """
        Overview:
            a_i = mu_II(h_i, h~_i) for a given communication structure. Members of a group take h~_i from the
            channel; the others keep h~_i = h_i.
        Arguments:
            - inputs (:obj:`Dict`): ``obs``, ``group``, ``group_round`` (from ``compute_structure`` or replay); \
                optionally ``thought`` (from ``compute_structure``, to encode the observation only once) and \
                ``channel_state``, the observations the received messages were computed from when they arrive \
                late (default: this step's).
        Returns:
            - output (:obj:`Dict[str, torch.Tensor]`): ``action``, ``action_preactivation`` (mu_II's output \
                before the Tanh), ``thought``, ``integrated_thought`` and ``channel_overflow`` (bool scalar: a \
                group needed more than ``channel_max_rounds`` rounds and was not integrated; always False when \
                that is None).
        Shapes:
            - channel_state: :math:`(B, A, D)`
            - action, action_preactivation: :math:`(B, A, action_shape)`
            - thought, integrated_thought: :math:`(B, A, T)`
        """
        thought = inputs['thought'] if 'thought' in inputs else self.thought(inputs['obs'])
        channel = self.actor['channel']
        if 'channel_state' in inputs:
            message = self.actor['encoder'](self._agent_state({AGENT_STATE: inputs['channel_state']}))
            integrated, overflow = integrate_groups(channel, message, inputs, self.channel_max_rounds)
            integrated = torch.where(group_members(inputs['group']).unsqueeze(-1), integrated, thought)
        else:
            integrated, overflow = integrate_groups(channel, thought, inputs, self.channel_max_rounds)
        preactivation, action = self._head(thought, integrated)
        return {
            'action': action,
            'action_preactivation': preactivation,
            'thought': thought,
            'integrated_thought': integrated,
            'channel_overflow': overflow,
        }

    def action_without_communication(self, thought: torch.Tensor) -> torch.Tensor:
        """
        Overview:
            a_i = mu_II(h_i, h_i): the action agent i takes without communication (for the attention unit's dQ).
        Shapes:
            - thought: :math:`(B, A, T)`
            - action: :math:`(B, A, action_shape)`
        """
        return self._head(thought, thought)[1]

    def _head(self, thought: torch.Tensor, integrated: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """mu_II(h_i, h~_i) before its Tanh and after (``actor['head']`` is the MLP, then the Tanh)."""
        mlp, tanh = self.actor['head']
        preactivation = mlp(torch.cat([thought, integrated], dim=-1))
        return preactivation, tanh(preactivation)

    def q_with_and_without_communication(self, obs: Dict[str, torch.Tensor], actor: Dict[str, torch.Tensor]) \
            -> Dict[str, torch.Tensor]:
        """
        Overview:
            Q(o_i, a_i) with the action taken (messages integrated) and with the action without communication, in
            one critic pass: the two terms of the attention unit's dQ. A critic that reads the integrated thought
            reads the same h~_i in both terms: what the messages told, and whether acting on it pays.
        Arguments:
            - obs (:obj:`Dict[str, torch.Tensor]`): the observations the actor acted on.
            - actor (:obj:`Dict[str, torch.Tensor]`): ``compute_actor``'s output on them (``action``, \
                ``thought``, ``integrated_thought``).
        Returns:
            - output (:obj:`Dict[str, torch.Tensor]`): ``q_with``, ``q_without`` and ``action_without``.
        Shapes:
            - actor's action: :math:`(B, A, action_shape)`; its thoughts: :math:`(B, A, T)`
            - q_with, q_without: :math:`(B, A)`; action_without: :math:`(B, A, action_shape)`
        """
        action_without = self.action_without_communication(actor['thought'])
        both = {key: torch.cat([value, value]) for key, value in obs.items()}
        q_value = self.compute_critic({
            'obs': both,
            'action': torch.cat([actor['action'], action_without]),
            'integrated_thought': torch.cat([actor['integrated_thought']] * 2),
        })['q_value']
        q_with, q_without = q_value.chunk(2)
        return {'q_with': q_with, 'q_without': q_without, 'action_without': action_without}

    def compute_critic(self, inputs: Dict) -> Dict[str, torch.Tensor]:
        """
        Overview:
            Q(o_i, a_i) of every agent, with the global state appended when ``critic_use_global_state``, the
            observations of i's ``critic_field_obs`` nearest field agents when that is above 0, and their actions
            (from ``action``) with ``critic_field_actions``, and the integrated thought h~_i with
            ``critic_integrated_thought``.
        Arguments:
            - inputs (:obj:`Dict`): ``obs`` and ``action``; ``integrated_thought`` (``compute_actor``'s) when \
                ``critic_integrated_thought``, ignored otherwise.
        Returns:
            - output (:obj:`Dict[str, torch.Tensor]`): ``q_value``.
        Shapes:
            - action: :math:`(B, A, action_shape)`
            - integrated_thought: :math:`(B, A, T)`
            - q_value: :math:`(B, A)`
        """
        obs = inputs['obs']
        agent_state = self._agent_state(obs)
        action = inputs['action']
        if action.shape != agent_state.shape[:-1] + (self.action_shape, ):
            raise ValueError(
                f"action must have shape {tuple(agent_state.shape[:-1]) + (self.action_shape, )} "
                f"(batch, agents, model.action_shape), got {tuple(action.shape)}"
            )
        features = [agent_state, action.to(agent_state.dtype)]
        if self.critic_use_global_state:
            features.append(self._global_state(obs, agent_state))
        if self.critic_field_obs:
            slots = self._field_slots(obs)
            features.append(self._gather_field(agent_state, *slots))
            if self.critic_field_actions:
                features.append(self._gather_field(action.to(agent_state.dtype), *slots))
        if self.critic_integrated_thought:
            features.append(self._integrated_thought(inputs, agent_state))
        hidden = self.critic[:-1](torch.cat(features, dim=-1))
        # Q's output layer runs in fp32 even under mixed precision: the TD target is built from it.
        with torch.autocast(device_type=hidden.device.type, enabled=False):
            q_value = self.critic[-1](hidden.float())
        return {'q_value': q_value.squeeze(-1)}

    def _integrated_thought(self, inputs: Dict, agent_state: torch.Tensor) -> torch.Tensor:
        """The critic's h~_i, detached so that only the actor loss trains the encoder and the channel."""
        expected = tuple(agent_state.shape[:-1]) + (self.thought_size, )
        if 'integrated_thought' not in inputs:
            raise ValueError(
                "model.critic_integrated_thought=True: compute_critic needs inputs['integrated_thought'] of shape "
                f"{expected} (batch, agents, model.thought_size), compute_actor's output"
            )
        integrated = inputs['integrated_thought']
        if tuple(integrated.shape) != expected:
            raise ValueError(f"integrated_thought must have shape {expected} (batch, agents, model.thought_size), "
                             f"got {tuple(integrated.shape)}")
        return integrated.detach().to(agent_state.dtype)

    def _agent_state(self, obs: Dict[str, torch.Tensor]) -> torch.Tensor:
        if not isinstance(obs, dict) or AGENT_STATE not in obs:
            keys = list(obs.keys()) if isinstance(obs, dict) else type(obs).__name__
            raise KeyError(f"ding_atoc needs the observation key {AGENT_STATE!r} (B, A, obs_shape); got {keys}")
        state = obs[AGENT_STATE]
        # Any team size A: every network reads one agent's fixed-width observation (zero-shot transfer).
        if state.dim() != 3 or state.shape[1] < 2 or state.shape[2] != self.obs_shape:
            raise ValueError(
                f"obs[{AGENT_STATE!r}] must have shape (batch, agents >= 2, model.obs_shape={self.obs_shape}), "
                f"got {tuple(state.shape)}"
            )
        return state.float()

    def _agent_distance(self, obs: Dict[str, torch.Tensor]) -> torch.Tensor:
        distance, n_agent = obs[AGENT_DISTANCE], obs[AGENT_STATE].shape[1]
        expected = (distance.shape[0], n_agent, n_agent)
        if distance.dim() != 3 or tuple(distance.shape) != expected:
            raise ValueError(
                f"obs[{AGENT_DISTANCE!r}] must have shape (batch, agents, agents) = {expected} like "
                f"obs[{AGENT_STATE!r}], got {tuple(distance.shape)}"
            )
        return distance.float()

    def _field_slots(self, obs: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        Overview:
            For every agent i, the ``critic_field_obs`` nearest agents of its observable field (finite
            ``agent_distance``, i itself excluded; ties by index) and whether each is in the field at all.
        Shapes:
            - output: ``nearest`` (long) and ``seen`` (bool), :math:`(B, A, min(critic_field_obs, A - 1))`
        """
        in_field, by_distance = field_by_distance(self._agent_distance(obs))
        nearest = by_distance[..., :min(self.critic_field_obs, in_field.shape[1] - 1)]
        return nearest, in_field.gather(2, nearest)

    def _gather_field(self, values: torch.Tensor, nearest: torch.Tensor, seen: torch.Tensor) -> torch.Tensor:
        """
        Overview:
            Per agent i, the rows of ``values`` of its field agents (``_field_slots``) side by side; zeros in the
            slots the field does not fill.
        Shapes:
            - values: :math:`(B, A, W)`
            - output: :math:`(B, A, critic_field_obs * W)`
        """
        batch, n_agent, width = values.shape
        count = nearest.shape[-1]
        rows = torch.gather(values, 1, nearest.reshape(batch, n_agent * count, 1).expand(-1, -1, width))
        rows = rows.reshape(batch, n_agent, count, width) * seen.unsqueeze(-1)
        slots = rows.new_zeros(batch, n_agent, self.critic_field_obs, width)  # a team smaller than the slots
        slots[:, :, :count] = rows
        return slots.reshape(batch, n_agent, self.critic_field_obs * width)

    def _global_state(self, obs: Dict[str, torch.Tensor], agent_state: torch.Tensor) -> torch.Tensor:
        if GLOBAL_STATE not in obs:
            raise KeyError(f"model.critic_use_global_state needs the observation key {GLOBAL_STATE!r}")
        state = obs[GLOBAL_STATE].float()
        if state.shape[-1] != self.global_obs_shape:
            raise ValueError(
                f"obs[{GLOBAL_STATE!r}] last dim must be model.global_obs_shape={self.global_obs_shape}, "
                f"got {tuple(state.shape)}"
            )
        if state.dim() == 2:  # one global state per sample: every agent's critic reads it
            state = state.unsqueeze(1).expand(-1, agent_state.shape[1], -1)
        return state


def _check_positive_int(key: str, value, minimum: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{key} must be an integer >= {minimum}, got {value!r}")
