"""The batched path of ``ding-atoc train``: a tensor replay buffer and the task-pipeline middleware that collects
from and evaluates on batched envs with one policy call per step and learns from stacked batches."""
from .env import BATCHED_ENV_MANAGER, COLLECTORS, batched_envs
from .middleware import batched_collector, batched_evaluator, batched_learner
from .replay import TensorReplayBuffer
