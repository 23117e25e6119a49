"""
Overview:
    Task-pipeline middleware of the batched path: a collector that steps a batched env (every environment as one
    tensor step, e.g. the ``torch_batched`` env manager of ``dizoo_envs``) with one policy call per step for all
    environments and pushes the transitions into a ``TensorReplayBuffer``, and a learner that samples stacked
    batches from it and trains with DI-engine's ``trainer``. They take the places of DI-engine's ``StepCollector``
    plus ``data_pusher`` and ``OffPolicyLearner``.

    The batched env is anything with this interface (the library does not import the envs package):
    ``env_num``, ``seed(seed, dynamic_seed)``, ``reset() -> obs`` and ``step(action) -> timestep`` with ``obs``
    (to act on next, auto-reset), ``next_obs`` (reached by the step), ``reward`` (E, 1) or (E, A), ``done`` (E,)
    and ``info``; observations are dicts of (E, ...) tensors on the policy's device.
"""
from typing import Callable

from ding.envs import BaseEnvTimestep
from ding.framework.middleware.functional import trainer
from easydict import EasyDict

from .replay import TensorReplayBuffer


def batched_collector(cfg: EasyDict, policy, env, buffer_: TensorReplayBuffer) -> Callable:
    """
    Overview:
        Collect at least ``policy.collect.n_sample`` transitions per call (whole steps of all ``env.env_num``
        environments, so up to ``env_num - 1`` more) with the policy's collect mode, counting ``ctx.env_step``; an environment whose episode ends
        is reset by the env and forgotten by the policy (its structure and messages in flight).
    Arguments:
        - cfg (:obj:`EasyDict`): compiled config (``seed``, ``policy.collect.n_sample``).
        - policy (:obj:`Policy`): ``collect_mode`` of a policy whose forward takes stacked observations.
        - env: the batched env (see module doc).
        - buffer_ (:obj:`TensorReplayBuffer`): where transitions go.
    """
    current = {}

    def _collect(ctx) -> None:
        if 'obs' not in current:
            env.seed(cfg.seed, dynamic_seed=True)
            current['obs'] = env.reset()
            policy.reset()
        collected = 0
        while collected < cfg.policy.collect.n_sample:  # read per call: the last collection may be shrunk
            obs = current['obs']
            output = policy.forward(obs)
            timestep = env.step(output['action'])
            reached = BaseEnvTimestep(timestep.next_obs, timestep.reward, timestep.done, timestep.info)
            buffer_.push(policy.process_transition(obs, output, reached))
            policy.reset(timestep.done)  # per env: forget the ended episodes' structures and messages
            current['obs'] = timestep.obs
            collected += env.env_num
            ctx.env_step += env.env_num

    return _collect


def batched_learner(cfg: EasyDict, policy, buffer_: TensorReplayBuffer, log_freq: int = 100) -> Callable:
    """
    Overview:
        ``policy.learn.update_per_collect`` gradient steps per call, each on ``policy.learn.batch_size``
        transitions sampled from ``buffer_`` as one stacked batch, through DI-engine's ``trainer`` middleware
        (which counts ``ctx.train_iter`` and logs); ``ctx.train_output`` gets the list of their outputs, as
        DI-engine's ``OffPolicyLearner`` leaves it.
    """
    learn = cfg.policy.learn
    if cfg.policy.collect.n_sample < learn.batch_size:
        raise ValueError(
            f"policy.collect.n_sample={cfg.policy.collect.n_sample} must be at least policy.learn.batch_size="
            f"{learn.batch_size}: the first learning step samples a batch from the first collection"
        )
    train = trainer(cfg, policy, log_freq=log_freq)

    def _learn(ctx) -> None:
        outputs = []
        for _ in range(learn.update_per_collect):
            ctx.train_data = buffer_.sample(learn.batch_size)
            train(ctx)
            outputs.append(ctx.train_output)
        ctx.train_output = outputs

    return _learn
