"""
Overview:
    Merge a user's environment config with an environment's ``default_config`` and reject unknown keys.
    DI-engine passes its own keys to every env (``type``, ``import_names``, ``manager``, ...); those are
    accepted and ignored, every other unknown key raises ``KeyError`` naming the key.
"""
import copy
from typing import Any, Mapping, Optional

import numpy as np

from ding_atoc.env_config_keys import DI_ENGINE_ENV_KEYS
from easydict import EasyDict


def default_config_of(env_cls: type) -> EasyDict:
    """
    Overview:
        A copy of ``env_cls.config`` with ``cfg_type`` as DI-engine's ``compile_config`` expects; the body of every
        env's ``default_config`` classmethod.
    """
    cfg = EasyDict(copy.deepcopy(env_cls.config))
    cfg.cfg_type = env_cls.__name__ + 'Dict'
    return cfg


def build_config(default: Mapping[str, Any], user: Optional[Mapping[str, Any]], env_name: str) -> EasyDict:
    """
    Overview:
        Deep-merge ``user`` into a copy of ``default``. Keys of ``user`` that are neither in ``default`` nor
        DI-engine's standard env keys raise. Nested dicts of ``default`` are checked recursively.
    Arguments:
        - default (:obj:`Mapping`): the env's default config.
        - user (:obj:`Optional[Mapping]`): the config given to the env (plain dict or EasyDict), may be None.
        - env_name (:obj:`str`): the env's registry name, used in error messages.
    Returns:
        - cfg (:obj:`EasyDict`): the merged config.
    """
    merged = copy.deepcopy(dict(default))
    _merge(merged, user or {}, env_name, prefix='', top=True)
    return EasyDict(merged)


def _merge(base: dict, new: Mapping[str, Any], env_name: str, prefix: str, top: bool) -> None:
    for key, value in new.items():
        name = prefix + str(key)
        if key not in base:
            if (top and key in DI_ENGINE_ENV_KEYS) or key == 'cfg_type':
                base[key] = copy.deepcopy(value)
                continue
            known = sorted(k for k in base if k != 'cfg_type')
            raise KeyError(f"{env_name}: unknown config key '{name}'; known keys: {known}")
        if isinstance(base[key], dict):
            if not isinstance(value, Mapping):
                raise TypeError(f"{env_name}: config key '{name}' must be a dict, got {type(value).__name__}")
            base[key] = copy.deepcopy(base[key])
            _merge(base[key], value, env_name, prefix=name + '.', top=False)
        else:
            base[key] = copy.deepcopy(value)


def check_int(cfg: Mapping[str, Any], key: str, where: str, low: int) -> None:
    """
    Overview:
        Raise ``ValueError`` unless ``cfg[key]`` is an integer (not a bool) >= ``low``.
    """
    value = cfg[key]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f'{where}: {key} must be an integer >= {low}, got {value!r}')
