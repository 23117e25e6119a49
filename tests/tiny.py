"""
Overview:
    Load a ``configs/`` file and shrink it to a run of seconds on a CPU: one collector and one evaluator env, a few
    samples per collection, tiny batches and replay buffers, one update per collection. Shared by ``tests/configs``
    and ``tests/envs``, so that the tests run the very configs users run.
"""
import copy
import os
import re
import tempfile
from typing import Any, Dict, Optional, Tuple

from ding.config import read_config
from easydict import EasyDict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_DIR = os.path.join(ROOT, 'configs')

#: Policy types that ``serial_pipeline_onpolicy`` runs; every other config runs with ``serial_pipeline``.
ON_POLICY_TYPES = ('ppo', 'ding_atoc_mappo')


def config_path(env: str, name: str) -> str:
    """Path of ``configs/<env>/<name>_config.py``."""
    return os.path.join(CONFIG_DIR, env, f'{name}_config.py')


def all_config_paths() -> list:
    """Every config file under ``configs/``, sorted, as paths relative to ``configs/`` (e.g. for test ids)."""
    paths = []
    for folder, _, files in os.walk(CONFIG_DIR):
        paths += [os.path.relpath(os.path.join(folder, f), CONFIG_DIR) for f in files if f.endswith('_config.py')]
    return sorted(paths)


def load(path: str, **module_vars: Any) -> Tuple[EasyDict, EasyDict]:
    """
    Overview:
        ``(main_config, create_config)`` of a config file, as DI-engine's ``read_config`` gives them (deep copies).
    Arguments:
        - path (:obj:`str`): absolute, or relative to ``configs/``.
        - module_vars: module-level assignments to edit before loading, e.g. ``n_agent=8`` rewrites the line
          ``n_agent = ...`` of a copy of the file: the documented way to change the team size, every width follows.
    """
    if not os.path.isabs(path):
        path = os.path.join(CONFIG_DIR, path)
    if module_vars:
        with open(path) as f:
            text = f.read()
        for name, value in module_vars.items():
            text, count = re.subn(rf'^{name} = .*$', f'{name} = {value!r}', text, count=1, flags=re.M)
            if count != 1:
                raise KeyError(f'{path} has no module-level assignment {name} = ...')
        with tempfile.TemporaryDirectory() as folder:
            edited = os.path.join(folder, os.path.basename(path))
            with open(edited, 'w') as f:
                f.write(text)
            main_config, create_config = read_config(edited)
    else:
        main_config, create_config = read_config(path)
    return copy.deepcopy(main_config), copy.deepcopy(create_config)


def shrink(
        main_config: EasyDict,
        create_config: EasyDict,
        exp_name: str = 'run',
        n_sample: int = 32,
        batch_size: int = 16,
        env: Optional[Dict[str, Any]] = None,
        model: Optional[Dict[str, Any]] = None,
        env_manager: str = 'base',
) -> Tuple[EasyDict, EasyDict]:
    """
    Overview:
        A copy of a config for a tiny run: ``exp_name``, 1 collector and 1 evaluator env with 1 evaluation episode,
        ``n_sample`` transitions per collection (QMIX: sequences of 4 steps), batches of ``batch_size``, one update
        per collection, a small replay buffer and random collection. Only keys the config has are changed (besides
        the env counts), so a key a policy does not read is never added.
    Arguments:
        - main_config, create_config (:obj:`EasyDict`): as loaded from a ``configs/`` file.
        - exp_name (:obj:`str`): relative output folder.
        - n_sample (:obj:`int`): transitions per collection.
        - batch_size (:obj:`int`): samples per update.
        - env (:obj:`Optional[Dict]`): env keys to override after shrinking (e.g. ``n_agent``); the model widths are
          not recomputed, so change only keys that keep them.
        - model (:obj:`Optional[Dict]`): ``policy.model`` keys to override.
        - env_manager (:obj:`str`): ``'base'`` or ``'subprocess'``.
    Returns:
        - configs (:obj:`Tuple[EasyDict, EasyDict]`): the shrunk ``(main_config, create_config)``.
    """
    main_config, create_config = copy.deepcopy(main_config), copy.deepcopy(create_config)
    main_config.exp_name = exp_name
    cfg_env = main_config.env
    cfg_env.update(collector_env_num=1, evaluator_env_num=1, n_evaluator_episode=1)
    cfg_env.update(env or {})
    create_config.env_manager = EasyDict(type=env_manager)
    policy = main_config.policy
    policy.model.update(model or {})
    if policy.get('random_collect_size', 0) > 0:
        policy.random_collect_size = n_sample
    collect, learn = policy.collect, policy.learn
    if 'unroll_len' in collect and collect.unroll_len > 1:  # sequences (QMIX): n_sample and batch count sequences
        collect.unroll_len = 4
        collect.n_sample, learn.batch_size = max(1, n_sample // 4), max(1, batch_size // 4)
    else:
        collect.n_sample, learn.batch_size = n_sample, batch_size
    for section in (collect, policy.get('eval', {})):
        if 'env_num' in section:
            section.env_num = 1
    for key in ('update_per_collect', 'epoch_per_collect'):
        if key in learn:
            learn[key] = 1
    if 'attention_batch_size' in learn:
        learn.attention_batch_size = batch_size
    buffer = policy.get('other', {}).get('replay_buffer', {})
    if 'replay_buffer_size' in buffer:
        buffer.replay_buffer_size = 10 * n_sample
    return main_config, create_config


def pipeline_of(create_config: EasyDict):
    """DI-engine's serial entry for this config's policy."""
    from ding.entry import serial_pipeline, serial_pipeline_onpolicy
    return serial_pipeline_onpolicy if create_config.policy.type in ON_POLICY_TYPES else serial_pipeline


def run(main_config: EasyDict, create_config: EasyDict, max_train_iter: int = 1, seed: int = 0) -> Any:
    """
    Overview:
        Train with DI-engine's serial entry (on-policy or off-policy, by policy type) for ``max_train_iter``
        iterations, in the current directory. Returns the trained policy.
    """
    return pipeline_of(create_config)((main_config, create_config), seed=seed, max_train_iter=max_train_iter)
