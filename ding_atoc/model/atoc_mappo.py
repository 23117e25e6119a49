"""
Overview:
    ``ATOCMAVAC``: DI-engine's multi-agent value actor-critic (``MAVAC``, the model of MAPPO) whose actor communicates
    as ATOC does, in the on-policy shape of the reference notes' ``ATOCAgent``. Parameters are shared by all agents:

    1. thought h_i = encoder(o_i) (DI-engine's ``MLP``);
    2. gate p_i = sigmoid(MLP(h_i)): agent i initiates communication (Bernoulli(p_i) when sampled, p_i > threshold
       otherwise); initiators form ATOC's groups inside their observable fields (``communication_structure``);
    3. every agent sends a message m_i = tanh(W h_i); agent i integrates the messages of whoever shares a group with
       it, by scaled dot-product attention (query from h_i, keys and values from the messages, masked for absent
       senders), or by the project's BiLSTM channel over each group's messages (``channel='bilstm'``); an agent that
       hears nobody receives a zero message;
    4. the received message is fused with h_i, and DI-engine's heads give the action distribution (``DiscreteHead``
       logits, or ``ReparameterizationHead`` mu and sigma as MAVAC has);
    5. a centralized value head on ``global_state``, as MAVAC's.

    The communication structure an action was taken with travels in the observation (``COMM_KEYS``): PPO's learn
    step reads only ``obs``, so that is how it replays the same messages with the current networks.
"""
import math
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from ding.model.common import DiscreteHead, RegressionHead, ReparameterizationHead
from ding.torch_utils import MLP
from ding.utils import MODEL_REGISTRY

from ..obs_keys import ACTION_MASK, AGENT_DISTANCE, AGENT_STATE, GLOBAL_STATE
from .channel import BiLSTMChannel, integrate_groups
from .gate import RandomGate, decide_initiators
from .grouping import NO_AGENT, communication_structure, group_members

#: Observation keys of the communication structure an action was taken with (added to a transition's ``obs`` by
#: the policy, replayed by learning). ``comm_group`` (A, m + 1) and ``comm_group_round`` (A,): the groups whose
#: messages were integrated (after losses and delays); ``comm_gate`` (A,): the gate decisions taken on that step
#: (0 where none was taken); ``comm_gate_decided`` (): whether the gate decided on that step (every
#: ``comm_interval`` steps); ``comm_renewed`` (): whether the integrated messages were sent in a structure decided
#: on the step they were sent; ``comm_channel_state`` (A, D), with late messages only: the observations the messages
#: were computed from.
COMM_GROUP, COMM_GROUP_ROUND, COMM_GATE = 'comm_group', 'comm_group_round', 'comm_gate'
COMM_GATE_DECIDED, COMM_RENEWED, COMM_CHANNEL_STATE = 'comm_gate_decided', 'comm_renewed', 'comm_channel_state'
COMM_KEYS = (COMM_GROUP, COMM_GROUP_ROUND, COMM_GATE, COMM_GATE_DECIDED, COMM_RENEWED, COMM_CHANNEL_STATE)

#: ``model.gate_learning``: how the gate learns. ``'policy'``: its Bernoulli decision is part of the action, so PPO's
#: ratio trains it; ``'gain'``: the paper's classifier on the gain of communicating (the policy trains it).
GATE_LEARNINGS = ('policy', 'gain')
#: ``model.channel``: how received messages are integrated.
CHANNELS = ('attention', 'bilstm')
ACTION_SPACES = ('discrete', 'continuous')
#: Log-probability of an impossible outcome (as MAVAC masks illegal actions): finite, so no NaN in gradients.
IMPOSSIBLE = -99999999.0


@MODEL_REGISTRY.register('ding_atoc_mappo')
class ATOCMAVAC(nn.Module):
    """
    Overview:
        MAVAC with ATOC's communication in the actor. ``forward(inputs, mode)`` dispatches to ``compute_actor``,
        ``compute_critic`` or ``compute_actor_critic``, with MAVAC's inputs (``agent_state``, ``global_state``,
        ``action_mask``) plus ``agent_distance`` (the observable fields) and, to replay a step, ``COMM_KEYS``.

        ``logit`` is the distribution PPO learns on. Where the gate learns as part of the policy
        (``gate_learning='policy'`` with communication), it is the joint distribution of (gate decision, action):
        discrete, a categorical over ``2 * action_shape`` outcomes (index ``gate * action_shape + action``) whose
        log-probabilities are log pi(action) + log Bernoulli(gate; p); continuous, DI-engine's hybrid action
        (``action_type``: the gate's two log-probabilities, ``action_args``: mu and sigma). On steps where the gate
        does not decide, the decision 0 is certain, so only the action counts. Otherwise ``logit`` is MAVAC's.
        ``action_logit`` is always the distribution of the env's action alone (to act with).
    Interfaces:
        ``__init__``, ``forward``, ``thought``, ``gate_logit``, ``decide_structure``, ``compute_actor``, \
        ``compute_critic``, ``compute_actor_critic``
    """
    mode = ['compute_actor', 'compute_critic', 'compute_actor_critic']

    def __init__(
            self,
            agent_obs_shape: int,
            global_obs_shape: int,
            action_shape: int,
            agent_num: int,
            action_space: str = 'discrete',
            thought_size: int = 64,
            encoder_hidden_size: int = 128,
            encoder_layer_num: int = 2,
            message_size: int = 32,
            gate_hidden_size: int = 64,
            actor_head_hidden_size: int = 128,
            actor_head_layer_num: int = 2,
            critic_head_hidden_size: int = 256,
            critic_head_layer_num: int = 1,
            sigma_type: str = 'independent',
            bound_type: Optional[str] = None,
            channel: str = 'attention',
            group_size: int = 3,
            initiator_threshold: float = 0.5,
            communication: bool = True,
            gate_learning: str = 'policy',
            broadcast_action: Optional[int] = None,
            initiate_all: bool = False,
            gate_epsilon: float = 0.0,
            gate_init_prob: Optional[float] = None,
    ) -> None:
        """
        Arguments:
            - agent_obs_shape (:obj:`int`): size of one agent's local observation (last dim of ``agent_state``).
            - global_obs_shape (:obj:`int`): size of ``global_state`` (last dim), read by the value head.
            - action_shape (:obj:`int`): number of discrete actions, or size of a continuous action.
            - agent_num (:obj:`int`): agents of the config (the networks read one agent's fixed-width observation, \
                so any team size runs).
            - action_space (:obj:`str`): ``'discrete'`` or ``'continuous'``.
            - thought_size (:obj:`int`): size of a thought h_i.
            - encoder_hidden_size (:obj:`int`), encoder_layer_num (:obj:`int`): the thought encoder's MLP.
            - message_size (:obj:`int`): size of a message (even with the BiLSTM channel: two directions of half).
            - gate_hidden_size (:obj:`int`): hidden units of the gate's MLP.
            - actor_head_hidden_size (:obj:`int`): width of the fused thought and of the action head.
            - actor_head_layer_num (:obj:`int`): layers of the action head (as MAVAC's).
            - critic_head_hidden_size (:obj:`int`), critic_head_layer_num (:obj:`int`): the value head (as MAVAC's).
            - sigma_type (:obj:`str`), bound_type (:obj:`Optional[str]`): continuous actions' \
                ``ReparameterizationHead`` (as MAVAC's).
            - channel (:obj:`str`): ``'attention'`` (scaled dot product over the messages heard) or ``'bilstm'`` \
                (the project's BiLSTM over each group's messages, groups in serial rounds).
            - group_size (:obj:`int`): m, the most collaborators an initiator picks; below ``agent_num``.
            - initiator_threshold (:obj:`float`): in (0, 1); p_i above it makes agent i an initiator when the gate \
                is not sampled (evaluation).
            - communication (:obj:`bool`): False gives the no-communication ablation (nobody initiates, every \
                agent receives the zero message), through the same code.
            - gate_learning (:obj:`str`): one of ``GATE_LEARNINGS``.
            - broadcast_action (:obj:`Optional[int]`): discrete only: the env action that broadcasts, whose logit \
                is shifted by log p_i (the reference notes); None where the env has no such action.
            - initiate_all (:obj:`bool`): every agent initiates at every decision and the gate is not used (the \
                communicate-with-everyone-in-range ablation, as ``ding_atoc_commall``).
            - gate_epsilon (:obj:`float`): in [0, 1): where the gate is sampled, its decision is a fair coin with \
                probability epsilon (epsilon-greedy, as the first author's later ATOC code explores the gate), so \
                the sampled p_i stays in [epsilon / 2, 1 - epsilon / 2]; with ``gate_learning='policy'`` PPO learns \
                on that distribution. Thresholding (evaluation) reads p_i itself.
            - gate_init_prob (:obj:`Optional[float]`): in (0, 1): the gate starts at p_i = this for every agent \
                (``initialise_gate``), so the message path learns before the gate judges it; None keeps the \
                layer's initialisation (p_i spread around 0.5).
        """
        super().__init__()
        for key, value, minimum in (('agent_obs_shape', agent_obs_shape, 1), ('global_obs_shape', global_obs_shape, 1),
                                    ('action_shape', action_shape, 1), ('agent_num', agent_num, 2),
                                    ('thought_size', thought_size, 1), ('message_size', message_size, 1),
                                    ('group_size', group_size, 1)):
            _check_int(f'model.{key}', value, minimum)
        if group_size >= agent_num:
            raise ValueError(f"model.group_size must be below model.agent_num={agent_num}, got {group_size}")
        if action_space not in ACTION_SPACES:
            raise ValueError(f"model.action_space must be one of {ACTION_SPACES}, got {action_space!r}")
        if channel not in CHANNELS:
            raise ValueError(f"model.channel must be one of {CHANNELS}, got {channel!r}")
        if channel == 'bilstm' and message_size % 2:
            raise ValueError(f"model.message_size must be even with model.channel='bilstm', got {message_size}")
        if gate_learning not in GATE_LEARNINGS:
            raise ValueError(f"model.gate_learning must be one of {GATE_LEARNINGS}, got {gate_learning!r}")
        if gate_init_prob is not None and not (isinstance(gate_init_prob, float) and 0.0 < gate_init_prob < 1.0):
            raise ValueError(f"model.gate_init_prob must be None or lie in (0, 1), got {gate_init_prob!r}")
        if initiate_all and not communication:
            raise ValueError("model.initiate_all=True needs model.communication=True (everyone initiates, or nobody)")
        if not (isinstance(gate_epsilon, (int, float)) and 0.0 <= gate_epsilon < 1.0):
            raise ValueError(f"model.gate_epsilon must lie in [0, 1), got {gate_epsilon!r}")
        if not 0.0 < initiator_threshold < 1.0:
            raise ValueError(f"model.initiator_threshold must lie in (0, 1), got {initiator_threshold!r}")
        if broadcast_action is not None:
            if action_space != 'discrete':
                raise ValueError("model.broadcast_action needs model.action_space='discrete', got "
                                 f"{action_space!r}; set it to None")
            _check_int('model.broadcast_action', broadcast_action, 0)
            if broadcast_action >= action_shape:
                raise ValueError(f"model.broadcast_action must be below model.action_shape={action_shape}, "
                                 f"got {broadcast_action}")
        self.agent_obs_shape, self.global_obs_shape = agent_obs_shape, global_obs_shape
        self.action_shape, self.agent_num, self.action_space = action_shape, agent_num, action_space
        self.group_size, self.initiator_threshold = group_size, initiator_threshold
        self.communication, self.gate_learning, self.broadcast_action = communication, gate_learning, broadcast_action
        self.channel, self.initiate_all, self.gate_epsilon = channel, initiate_all, float(gate_epsilon)
        #: A ``RandomGate`` overrules the gate when set (``ding-atoc eval --gate random``).
        self.random_gate: Optional[RandomGate] = None
        self.gate_init_prob = gate_init_prob
        activation = nn.ReLU()

        encoder = MLP(agent_obs_shape, encoder_hidden_size, thought_size, encoder_layer_num, activation=activation,
                      output_activation=True)
        gate = MLP(thought_size, gate_hidden_size, 1, 2, activation=activation, output_activation=False)
        message = nn.Sequential(nn.Linear(thought_size, message_size), nn.Tanh())
        if channel == 'attention':
            integrate = nn.ModuleDict({
                'query': nn.Linear(thought_size, message_size),
                'key': nn.Linear(message_size, message_size),
                'value': nn.Linear(message_size, message_size),
            })
        else:
            integrate = BiLSTMChannel(message_size)
        fusion = MLP(thought_size + message_size, actor_head_hidden_size, actor_head_hidden_size, 1,
                     activation=activation, output_activation=True)
        if action_space == 'discrete':
            self.actor_head = DiscreteHead(actor_head_hidden_size, action_shape, actor_head_layer_num,
                                           activation=activation)
        else:
            self.actor_head = ReparameterizationHead(actor_head_hidden_size, action_shape, actor_head_layer_num,
                                                     sigma_type=sigma_type, activation=activation,
                                                     bound_type=bound_type)
        # ``actor`` and ``critic``, as MAVAC names them (PPO's parameter initialisation walks both).
        self.actor = nn.ModuleDict({
            'encoder': encoder, 'gate': gate, 'message': message, 'integrate': integrate, 'fusion': fusion,
            'head': self.actor_head
        })
        self.critic_encoder = nn.Sequential(nn.Linear(global_obs_shape, critic_head_hidden_size), activation)
        self.critic_head = RegressionHead(critic_head_hidden_size, 1, critic_head_layer_num, activation=activation)
        self.critic = nn.ModuleList([self.critic_encoder, self.critic_head])
        self.initialise_gate()

    def initialise_gate(self) -> None:
        """
        Overview:
            With ``gate_init_prob``, make the gate say p_i = gate_init_prob for every thought at first: the last
            layer's bias is its logit and its weights are scaled by 0.01 (as PPO scales the last action layer). PPO's
            ``ppo_param_init`` re-initialises every layer, so the policy calls this again after it (and only then:
            a second call would scale the weights again).
        """
        if self.gate_init_prob is None:
            return
        last = [module for module in self.actor['gate'].modules() if isinstance(module, nn.Linear)][-1]
        with torch.no_grad():
            last.weight.mul_(0.01)
            last.bias.fill_(math.log(self.gate_init_prob / (1.0 - self.gate_init_prob)))

    @property
    def gate_in_action(self) -> bool:
        """Whether the gate's decision is part of the action PPO learns on."""
        return self.communication and self.gate_learning == 'policy' and not self.initiate_all

    def forward(self, inputs: Dict[str, torch.Tensor], mode: str, **kwargs) -> Dict:
        if mode not in self.mode:
            raise ValueError(f"ATOCMAVAC has no mode {mode!r}; choose one of {self.mode}")
        return getattr(self, mode)(inputs, **kwargs)

    def thought(self, inputs: Dict[str, torch.Tensor]) -> torch.Tensor:
        """
        Overview:
            h_i = encoder(o_i) of every agent, after checking ``agent_state`` against the config.
        Shapes:
            - inputs[``agent_state``]: :math:`(B, A, D)`
            - thought: :math:`(B, A, T)`
        """
        return self.actor['encoder'](self._agent_state(inputs, AGENT_STATE))

    def gate_logit(self, thought: torch.Tensor) -> torch.Tensor:
        """
        Overview:
            The gate's logit of p_i. With ``gate_learning='gain'`` the thought is detached: the classifier's loss
            trains the gate alone.
        Shapes:
            - thought: :math:`(..., T)`
            - logit: :math:`(...)`
        """
        return self.actor['gate'](thought.detach() if self.gate_learning == 'gain' else thought).squeeze(-1)

    def sampled_gate_log_prob(self, gate_logit: torch.Tensor) -> torch.Tensor:
        """
        Overview:
            Log-probabilities [log(1 - q_i), log q_i] of the sampled gate's decision, q_i = epsilon / 2 +
            (1 - epsilon) p_i (``gate_epsilon``; q_i = p_i without exploration).
        Shapes:
            - gate_logit: :math:`(...)`
            - log_prob: :math:`(..., 2)`
        """
        log_prob = torch.stack([F.logsigmoid(-gate_logit), F.logsigmoid(gate_logit)], dim=-1)
        if self.gate_epsilon == 0.0:
            return log_prob
        # log(epsilon / 2 + (1 - epsilon) p) without leaving log space: stable where p is tiny.
        coin = log_prob.new_tensor(math.log(self.gate_epsilon / 2))
        return torch.logaddexp(log_prob + math.log1p(-self.gate_epsilon), coin)

    def decide_structure(self, inputs: Dict[str, torch.Tensor], thought: torch.Tensor, gate_logit: torch.Tensor,
                         sample: bool) -> Dict[str, torch.Tensor]:
        """
        Overview:
            Who initiates (Bernoulli(q_i) when ``sample``, see ``sampled_gate_log_prob``, else p_i >
            ``initiator_threshold``; nobody without communication, everybody with ``initiate_all``, a random draw
            with ``random_gate``: ``decide_initiators``) and ATOC's
            groups inside the observable fields of ``inputs['agent_distance']``; without that key the distances
            between thoughts stand in, every agent seeing every other.
        Returns:
            - structure (:obj:`Dict[str, torch.Tensor]`): ``initiator`` (B, A), ``group`` (B, A, m + 1), \
                ``group_round`` (B, A), as ``communication_structure`` gives them.
        """
        with torch.no_grad():
            explore_prob = self.sampled_gate_log_prob(gate_logit)[..., 1].exp() if sample else None
            initiator = decide_initiators(self, torch.sigmoid(gate_logit), explore_prob)
            if AGENT_DISTANCE in inputs:
                distance = self._agent_distance(inputs, thought.shape[1])
            else:
                distance = torch.cdist(thought, thought)
            return communication_structure(initiator, distance, self.group_size)

    def compute_actor(self, inputs: Dict[str, torch.Tensor], sample_gate: bool = False,
                      thought: Optional[torch.Tensor] = None) -> Dict:
        """
        Overview:
            The action distribution of every agent after communication. With ``COMM_KEYS`` in ``inputs`` the step's
            communication structure is replayed; without them one is decided now (the gate sampled when
            ``sample_gate``, else thresholded) and the gate decides on this step.
        Arguments:
            - inputs (:obj:`Dict[str, torch.Tensor]`): ``agent_state``, ``action_mask`` (discrete), optionally \
                ``agent_distance`` and ``COMM_KEYS``.
            - sample_gate (:obj:`bool`): sample the gate where a structure is decided here.
            - thought (:obj:`Optional[torch.Tensor]`): ``self.thought(inputs)``, where the caller has it already.
        Returns:
            - output (:obj:`Dict`): ``logit`` (what PPO learns on, see the class doc), ``action_logit`` (the env \
                action's distribution: logits, or ``mu`` and ``sigma``), ``gate_prob`` and the replayed or decided \
                ``comm_group``, ``comm_group_round``, ``comm_gate``, ``comm_gate_decided``.
        Shapes:
            - logit: discrete :math:`(B, A, N)`, or :math:`(B, A, 2N)` with the gate in the action
            - gate_prob, comm_gate: :math:`(B, A)`; comm_group: :math:`(B, A, m + 1)`; comm_gate_decided: :math:`(B,)`
        """
        thought = self.thought(inputs) if thought is None else thought
        gate_logit = self.gate_logit(thought)
        if COMM_GROUP in inputs:
            # PPO casts the whole observation to float32: indices and flags come back as floats.
            group, group_round = inputs[COMM_GROUP].long(), inputs[COMM_GROUP_ROUND].long()
            gate, decided = inputs[COMM_GATE].bool(), inputs[COMM_GATE_DECIDED].bool().view(-1)
        else:
            structure = self.decide_structure(inputs, thought, gate_logit, sample_gate)
            group, group_round, gate = structure['group'], structure['group_round'], structure['initiator']
            decided = torch.ones(thought.shape[0], dtype=torch.bool, device=thought.device)
        if COMM_CHANNEL_STATE in inputs:  # late messages: computed from the senders' observations when sent
            sender_thought = self.actor['encoder'](self._agent_state(inputs, COMM_CHANNEL_STATE))
        else:
            sender_thought = thought
        received = self._receive(thought, self.actor['message'](sender_thought), group, group_round)
        fused = self.actor['fusion'](torch.cat([thought, received], dim=-1))
        action_logit, logit = self._action_distribution(fused, gate_logit, gate, decided, inputs)
        return {
            'logit': logit,
            'action_logit': action_logit,
            'gate_prob': torch.sigmoid(gate_logit),
            COMM_GROUP: group,
            COMM_GROUP_ROUND: group_round,
            COMM_GATE: gate,
            COMM_GATE_DECIDED: decided,
        }

    def compute_critic(self, inputs: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """
        Overview:
            The centralized value of every agent from ``global_state``, as MAVAC's.
        Shapes:
            - inputs[``global_state``]: :math:`(B, A, G)` (agent-specific) or :math:`(B, G)`
            - value: :math:`(B, A)` or :math:`(B,)`
        """
        if GLOBAL_STATE not in inputs:
            raise KeyError(f"ding_atoc_mappo's value head needs the observation key {GLOBAL_STATE!r}")
        state = inputs[GLOBAL_STATE]
        if state.shape[-1] != self.global_obs_shape:
            raise ValueError(f"obs[{GLOBAL_STATE!r}] last dim must be model.global_obs_shape={self.global_obs_shape}, "
                             f"got {tuple(state.shape)}")
        return {'value': self.critic_head(self.critic_encoder(state.float()))['pred']}

    def compute_actor_critic(self, inputs: Dict[str, torch.Tensor], **kwargs) -> Dict:
        """
        Overview:
            ``compute_actor`` (same keyword arguments) and ``compute_critic`` in one call, as PPO's learn step and
            collection use it.
        """
        return {**self.compute_actor(inputs, **kwargs), **self.compute_critic(inputs)}

    def _receive(self, thought: torch.Tensor, message: torch.Tensor, group: torch.Tensor,
                 group_round: torch.Tensor) -> torch.Tensor:
        """
        Overview:
            The message each agent receives from the members of its groups: attention over the messages of the
            agents it shares a group with, or the BiLSTM channel over each group; zero for an agent in no group.
        Shapes:
            - thought: :math:`(B, A, T)`; message, received: :math:`(B, A, M)`
            - group: :math:`(B, A, m + 1)`; group_round: :math:`(B, A)`
        """
        if self.channel == 'bilstm':
            structure = {'group': group, 'group_round': group_round}
            integrated, _ = integrate_groups(self.actor['integrate'], message, structure)
            return integrated * group_members(group).unsqueeze(-1).to(integrated.dtype)
        hears = _hears(group)
        attend = self.actor['integrate']
        query, key, value = attend['query'](thought), attend['key'](message), attend['value'](message)
        scores = torch.einsum('bik,bjk->bij', query, key) * message.shape[-1] ** -0.5
        # Absent senders get weight exactly 0 (and so no gradient); a row of nobody stays finite and is zeroed.
        weights = torch.softmax(scores.masked_fill(~hears, IMPOSSIBLE), dim=-1) * hears.to(scores.dtype)
        return torch.einsum('bij,bjm->bim', weights, value)

    def _action_distribution(self, fused: torch.Tensor, gate_logit: torch.Tensor, gate: torch.Tensor,
                             decided: torch.Tensor, inputs: Dict[str, torch.Tensor]):
        """``(action_logit, logit)``: the env action's distribution and the one PPO learns on (see the class doc)."""
        # Gate log-probabilities [log(1 - q), log q] where the gate decided; elsewhere the decision 0 is certain.
        decided_log_prob = self.sampled_gate_log_prob(gate_logit)
        certain = torch.tensor([0.0, IMPOSSIBLE], device=fused.device, dtype=decided_log_prob.dtype)
        gate_log_prob = torch.where(decided.view(-1, 1, 1), decided_log_prob, certain)
        if self.action_space == 'continuous':
            action_logit = self.actor_head(fused)
            if not self.gate_in_action:
                return action_logit, action_logit
            # The action's gate component: the decision taken (0 where none), with its log-probabilities.
            return action_logit, {'action_type': gate_log_prob, 'action_args': action_logit}
        action_logit = self.actor_head(fused)['logit']
        if self.broadcast_action is not None and self.communication:
            # The notes' broadcast action: its logit + log p_i, so broadcasting follows the gate.
            shift = F.logsigmoid(gate_logit if self.gate_in_action else gate_logit.detach())
            one_hot = F.one_hot(torch.tensor(self.broadcast_action, device=fused.device), self.action_shape)
            action_logit = action_logit + shift.unsqueeze(-1) * one_hot.to(action_logit.dtype)
        if ACTION_MASK in inputs:
            action_logit = action_logit.masked_fill(inputs[ACTION_MASK] == 0, IMPOSSIBLE)
        if not self.gate_in_action:
            return action_logit, action_logit
        action_log_prob = F.log_softmax(action_logit, dim=-1)
        joint = [action_log_prob + gate_log_prob[..., g:g + 1] for g in (0, 1)]  # index gate * N + action
        return action_logit, torch.cat(joint, dim=-1)

    def _agent_state(self, inputs: Dict[str, torch.Tensor], key: str) -> torch.Tensor:
        if not isinstance(inputs, dict) or key not in inputs:
            keys = list(inputs.keys()) if isinstance(inputs, dict) else type(inputs).__name__
            raise KeyError(f"ding_atoc_mappo needs the observation key {key!r} (B, A, agent_obs_shape); got {keys}")
        state = inputs[key]
        if state.dim() != 3 or state.shape[2] != self.agent_obs_shape:
            raise ValueError(f"obs[{key!r}] must have shape (batch, agents, model.agent_obs_shape="
                             f"{self.agent_obs_shape}), got {tuple(state.shape)}")
        return state.float()

    def _agent_distance(self, inputs: Dict[str, torch.Tensor], n_agent: int) -> torch.Tensor:
        distance = inputs[AGENT_DISTANCE]
        expected = (distance.shape[0], n_agent, n_agent)
        if tuple(distance.shape) != expected:
            raise ValueError(f"obs[{AGENT_DISTANCE!r}] must have shape (batch, agents, agents) = {expected}, "
                             f"got {tuple(distance.shape)}")
        return distance.float()


def _hears(group: torch.Tensor) -> torch.Tensor:
    """
    Overview:
        Who hears whom: agent i hears agent j (j != i) where some group holds both.
    Shapes:
        - group: :math:`(B, A, m + 1)`, long, ``NO_AGENT`` padded
        - hears: :math:`(B, A, A)`, bool
    """
    n_agent = group.shape[1]
    slots = torch.where(group == NO_AGENT, n_agent, group)
    membership = F.one_hot(slots, n_agent + 1)[..., :n_agent].amax(dim=2).float()  # (B, group leader, agent)
    together = torch.einsum('bga,bgc->bac', membership, membership) > 0
    return together & ~torch.eye(n_agent, dtype=torch.bool, device=group.device)


def _check_int(key: str, value, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{key} must be an integer >= {minimum}, got {value!r}")
