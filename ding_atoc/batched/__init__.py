"""The batched path of ``ding-atoc train``: a tensor replay buffer and the task-pipeline middleware that collects
from and evaluates on batched envs with one policy call per step and learns from stacked batches (off-policy) or
from rollouts with GAE advantages (on-policy, ``on_policy.py``)."""
from .env import BATCHED_ENV_MANAGER, COLLECTORS, batched_envs
from .middleware import batched_collector, batched_evaluator, batched_learner, batched_stepper
from .on_policy import (batched_gae_estimator, batched_on_policy_learner, batched_rollout_collector, env_major,
                        rollout_advantages)
from .replay import TensorReplayBuffer

__all__ = [
    'BATCHED_ENV_MANAGER', 'COLLECTORS', 'TensorReplayBuffer', 'batched_collector', 'batched_envs', 'batched_evaluator',
    'batched_gae_estimator', 'batched_learner', 'batched_on_policy_learner', 'batched_rollout_collector',
    'batched_stepper', 'env_major', 'rollout_advantages'
]
