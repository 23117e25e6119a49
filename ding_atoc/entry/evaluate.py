"""
Overview:
    Evaluation only: load a checkpoint, play episodes with the greedy policy, print the task metrics and write a
    GIF of the first episode with the communication groups drawn.
"""
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import torch
from ding.config import compile_config
from ding.envs import get_vec_env_setting
from ding.policy import create_policy
from ding.utils import set_pkg_seed

from ..model.gate import RandomGate
from ..model.grouping import NO_AGENT
from ..policy.atoc import SATURATED_ACTION
from .checkpoint import load_checkpoint, load_policy_state, run_identity
from .env_check import check_env_matches_config
from .validation import check_config, check_positive_int


#: What ``evaluate(gate=...)`` does with the attention unit's decisions.
GATES = ('learned', 'open', 'closed', 'random')
#: Share of the continuous action components beyond ``SATURATED_ACTION`` in magnitude over the evaluation: near 1, a
#: DDPG-family actor sits at the action bound (its Tanh saturated), where its gradient vanishes.
ACTION_SATURATED_SHARE = 'eval_action_saturated_share'


def groups_of(output: Dict[str, Any]) -> Optional[List[List[int]]]:
    """The communication groups of one policy output as lists of agent indices (None if it has none)."""
    if 'group' not in output:
        return None
    group = torch.as_tensor(output['group'])
    return [[a for a in row.tolist() if a != NO_AGENT] for row in group if row[0] != NO_AGENT]


def evaluate(
        input_cfg: Tuple[dict, dict],
        ckpt: str,
        seed: int = 0,
        episodes: int = 5,
        gif_path: Optional[str] = None,
        gate: str = 'learned',
        random_share: Optional[float] = None,
) -> Dict[str, float]:
    """
    Overview:
        Evaluate a checkpoint on the evaluator env of the config; with ``gate``, the same weights with the
        attention unit overruled, to measure what the learned communication is worth to the trained policy.
    Arguments:
        - input_cfg (:obj:`Tuple[dict, dict]`): ``(main_config, create_config)``.
        - ckpt (:obj:`str`): checkpoint (``ckpt_latest.pth.tar`` of ``ding-atoc train`` or a DI-engine \
            ``iteration_*.pth.tar``); an unreadable one, or one that does not fit the config's policy, raises \
            ``CheckpointError`` naming the file and the problem.
        - seed (:obj:`int`): evaluation seed.
        - episodes (:obj:`int`): episodes to play.
        - gif_path (:obj:`Optional[str]`): where to write the GIF of the first episode (None: no GIF).
        - gate (:obj:`str`): one of ``GATES``: ``'learned'`` (as trained), ``'open'`` (every agent initiates at \
            every decision, the ``initiate_all`` ablation's rule), ``'closed'`` (no agent initiates) or ``'random'`` \
            (each agent initiates with probability ``random_share`` at each decision, whatever the attention unit \
            says: what its choice of initiators is worth beyond their number).
        - random_share (:obj:`Optional[float]`): the random gate's initiator rate in [0, 1] (only, and needed, \
            with ``gate='random'``).
    Returns:
        - metrics (:obj:`Dict[str, float]`): mean over episodes of the return and the task's metrics.
    """
    check_positive_int('episodes (--episodes)', episodes)
    policy, env = load_trained_policy(input_cfg, ckpt, seed, gate, random_share)
    return play_episodes(policy, env, episodes, seed, gif_path).means()


def load_trained_policy(input_cfg: Tuple[dict, dict], ckpt: str, seed: int = 0,
                        gate: str = 'learned', random_share: Optional[float] = None) -> Tuple[Any, Any]:
    """
    Overview:
        The policy of a checkpoint, with its gate as ``evaluate``'s ``gate`` says, and one env of the config's
        evaluator to play it on (the arguments are ``evaluate``'s).
    Returns:
        - policy_and_env (:obj:`Tuple[Any, Any]`): the policy (learn and eval modes) and the env, not yet reset.
    """
    if gate not in GATES:
        raise ValueError(f"--gate must be one of {GATES}, got {gate!r}")
    random_gate = None if random_share is None else RandomGate(random_share, seed)
    check_gate_pairing(gate, random_gate)  # before the checkpoint is read
    main_config, create_config = input_cfg
    check_config(main_config, create_config)
    state = load_checkpoint(ckpt)
    cfg = compile_config(main_config, create_cfg=create_config, seed=seed, auto=True, save_cfg=False)
    env_fn, _, evaluator_cfgs = get_vec_env_setting(cfg.env, collect=False)
    check_env_matches_config(cfg, env_fn(evaluator_cfgs[0]))
    set_pkg_seed(seed, use_cuda=cfg.policy.cuda)
    policy = create_policy(cfg.policy, enable_field=['learn', 'eval'])
    load_policy_state(policy, state, ckpt, run_identity(main_config, create_config, seed))
    if gate != 'learned':
        overrule_gate(policy._model, gate, random_gate)
    return policy, env_fn(evaluator_cfgs[0])


def check_gate_pairing(gate: str, random_gate: Optional[RandomGate]) -> None:
    """A random gate (its share, ``--random-share``) goes with ``gate='random'`` and only with it."""
    if (gate == 'random') != (random_gate is not None):
        share = None if random_gate is None else random_gate.share
        raise ValueError(f"--random-share is the random gate's initiator rate: give it with --gate random and only "
                         f"then (got --gate {gate}, --random-share {share})")


def overrule_gate(model: torch.nn.Module, gate: str, random_gate: Optional[RandomGate] = None) -> None:
    """Open or close the gate of an ATOC model whatever its attention unit says, or have ``random_gate`` draw the
    initiators (see ``evaluate``)."""
    check_gate_pairing(gate, random_gate)
    attribute, value = {'open': ('initiate_all', True), 'closed': ('communication', False),
                        'random': ('random_gate', random_gate)}[gate]
    if not hasattr(model, attribute):
        raise ValueError(f"--gate {gate} needs a model with ATOC's gate rule {attribute!r}; "
                         f"{type(model).__name__} has none")
    setattr(model, attribute, value)


#: What an env offers to have its episodes drawn (the data contract): ``render_state()``, the current state as a
#: picklable dict, and ``save_episode_gif(states, path, comm_groups)``, which draws those states with each step's
#: communication groups (lists of agent indices, the initiator first) and writes a GIF.
DRAWING_METHODS = ('render_state', 'save_episode_gif')


def can_draw_episodes(env: Any) -> bool:
    """Whether ``env`` offers ``DRAWING_METHODS``; ``play_episodes`` writes no GIF for an env that does not."""
    return all(callable(getattr(env, name, None)) for name in DRAWING_METHODS)


#: ``play_episodes``' per-state hook: ``(episode, env, obs, output)``, ``output`` None on an episode's last state.
StateObserver = Callable[[int, Any, Dict[str, np.ndarray], Optional[Dict[str, Any]]], None]


class EpisodeResults(NamedTuple):
    """What ``play_episodes`` measured: each episode's return and task metrics, and the shares over all of them
    (``eval_initiator_share`` where the policy communicates, ``ACTION_SATURATED_SHARE`` where the actions are
    continuous)."""
    per_episode: List[Dict[str, float]]
    shares: Dict[str, float]

    def means(self) -> Dict[str, float]:
        """The mean over the episodes of ``eval_return`` and each task metric, with the shares."""
        means = {key: float(np.mean([r[key] for r in self.per_episode])) for key in self.per_episode[0]}
        return {**means, **self.shares}


def play_episodes(
        policy: Any,
        env: Any,
        episodes: int,
        seed: int = 0,
        gif_path: Optional[str] = None,
        observer: Optional[StateObserver] = None,
) -> EpisodeResults:
    """
    Overview:
        Play ``episodes`` greedy episodes, episode k on the layout of seed ``seed + k`` (the layouts DI-engine's
        evaluator gives its k-th env, so that two policies, or one with its gate overruled, play the same layouts),
        and return each episode's return and task metrics.
    Arguments:
        - policy (:obj:`Any`): a policy; its ``eval_mode`` plays.
        - env (:obj:`Any`): one env built from the evaluator config; closed at the end.
        - episodes (:obj:`int`): episodes to play.
        - seed (:obj:`int`): seed of the first episode.
        - gif_path (:obj:`Optional[str]`): where to write the GIF of the first episode (None, or an env that \
            cannot draw its episodes (``can_draw_episodes``): no GIF).
        - observer (:obj:`Optional[StateObserver]`): called on every state of every episode, before the env \
            steps, with the policy's output on it (the reset's state first; the last state with ``None``), for \
            measurements beyond the metrics (``bench/reward_coverage.py``, ``bench/communication_profile.py``).
    Returns:
        - results (:obj:`EpisodeResults`): per episode ``eval_return`` and the task's metrics, and the shares \
            (``eval_initiator_share`` of the agent-steps over all episodes for a policy that keeps communication \
            statistics, ``pop_communication_stats``: 0 where the gate is closed); ``means()`` averages them.
    """
    communication_stats = getattr(policy, 'pop_communication_stats', None)
    if communication_stats is not None:
        communication_stats('eval')  # drop what earlier evaluations left
    eval_policy = policy.eval_mode
    per_episode: List[Dict[str, float]] = []
    saturated, action_components = 0, 0
    for episode in range(episodes):
        env.seed(seed + episode, dynamic_seed=False)
        obs, done, frames, groups = env.reset(), False, [], []
        eval_policy.reset([0])
        record = gif_path is not None and episode == 0 and can_draw_episodes(env)
        while not done:
            output = eval_policy.forward({0: obs})[0]
            if record:
                frames.append(env.render_state())
                groups.append(groups_of(output))
            if observer is not None:
                observer(episode, env, obs, output)
            action = np.asarray(output['action'])
            if np.issubdtype(action.dtype, np.floating):
                saturated += int((np.abs(action) > SATURATED_ACTION).sum())
                action_components += action.size
            obs, _, done, info = env.step(action)
        if observer is not None:
            observer(episode, env, obs, None)
        per_episode.append({'eval_return': float(info['eval_episode_return']), **_episode_metrics(info)})
        if record:
            env.save_episode_gif(frames, gif_path, comm_groups=groups)
    env.close()
    shares = {}
    if communication_stats is not None:
        shares['eval_initiator_share'] = communication_stats('eval')['initiator_share']
    if action_components:
        shares[ACTION_SATURATED_SHARE] = saturated / action_components
    return EpisodeResults(per_episode, shares)


def _episode_metrics(info: Dict[str, Any]) -> Dict[str, float]:
    metrics = info.get('episode_info', {})
    return {key: float(value) for key, value in metrics.items() if np.isscalar(value)}
