"""
Overview:
    Load a ``configs/`` file and check it before anything is built, so that a misconfigured run stops with a
    clear error instead of failing deep inside DI-engine.
"""
import os
from typing import Tuple

from ding.config import read_config
from ding.utils import ENV_REGISTRY, POLICY_REGISTRY, import_module
from easydict import EasyDict


def load_config(path: str) -> Tuple[EasyDict, EasyDict]:
    """
    Overview:
        Read ``main_config`` and ``create_config`` from a config file and check the registry names it uses.
    Arguments:
        - path (:obj:`str`): path of a Python config file with module-level ``main_config`` and ``create_config``.
    Returns:
        - configs (:obj:`Tuple[EasyDict, EasyDict]`): ``(main_config, create_config)``.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"config file not found: {path!r}")
    main_config, create_config = read_config(path)
    check_registry_names(create_config)
    return main_config, create_config


def check_registry_names(create_config: EasyDict) -> None:
    """
    Overview:
        Import the config's ``import_names`` and check that its env and policy types are registered.
    """
    for section, registry in (('env', ENV_REGISTRY), ('policy', POLICY_REGISTRY)):
        if section not in create_config or 'type' not in create_config[section]:
            raise KeyError(f"create_config.{section}.type is missing")
        import_module(create_config[section].get('import_names', []))
        name = create_config[section].type
        if name not in registry:
            raise KeyError(
                f"create_config.{section}.type={name!r} is not registered; known {section} types: "
                f"{sorted(registry.keys())}"
            )
