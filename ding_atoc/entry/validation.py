"""
Overview:
    Check a config before anything runs: every key of ``main_config.policy`` and ``main_config.env`` must be a key
    that the policy, its model, the env or DI-engine reads, with a value of the type that key expects; an error names
    the key, the expected type and, for a misspelled key, the closest known one.

    The known keys are never listed here. They come from DI-engine's own defaults (``compile_config`` of an empty
    config: the policy's ``default_config()``, the env's, and the learner, collector, evaluator and replay buffer
    defaults DI-engine adds) and, for ``policy.model``, from the signature of the model's ``__init__``.

    Unknown keys are errors where the class reads only the keys it declares: the policies and envs of this project.
    DI-engine's own policies and envs read keys their defaults do not list (``collect.env_num`` of its multi-agent
    configs, ...), so there only the types of declared keys and the model's arguments are checked.
"""
import difflib
import inspect
import numbers
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Iterable, Optional

from ding.config import compile_config
from ding.utils import ENV_REGISTRY, MODEL_REGISTRY, POLICY_REGISTRY, import_module
from easydict import EasyDict

from ..env_config_keys import DI_ENGINE_ENV_KEYS
from .config_loader import check_registry_names

#: Keys DI-engine accepts in any config section (registry name, modules to import, config class tag).
REGISTRY_KEYS = frozenset({'type', 'import_names', 'cfg_type'})
#: Packages whose policies and envs read only the keys their default config declares.
STRICT_PACKAGES = ('ding_atoc', 'dizoo_envs')


class ConfigError(ValueError):
    """A config key that no part of the run reads, or a value of the wrong type."""


def check_config(main_config: Mapping, create_config: Mapping) -> None:
    """
    Overview:
        Check the ``policy`` and ``env`` sections of ``main_config`` against the defaults of the policy, model and
        env that ``create_config`` names (see the module doc). Raises ``ConfigError`` on the first problem.
    Arguments:
        - main_config (:obj:`Mapping`): the user's ``main_config`` (not compiled).
        - create_config (:obj:`Mapping`): its ``create_config``.
    """
    create_config = EasyDict(create_config)
    check_registry_names(create_config)
    policy_cls = POLICY_REGISTRY.get(create_config.policy.type)
    env_cls = ENV_REGISTRY.get(create_config.env.type)
    defaults = compile_config(EasyDict(policy={}, env={}), create_cfg=create_config, auto=True, save_cfg=False)
    policy = main_config.get('policy', {})
    _check_model(policy.get('model', {}), model_class(policy_cls, EasyDict(defaults.policy, **policy)),
                 defaults.policy.model)
    policy_without_model = {key: value for key, value in policy.items() if key != 'model'}
    _check_section(policy_without_model, defaults.policy, 'policy', _is_strict(policy_cls))
    # DI-engine passes its own keys (env counts, evaluation episodes, ...) to every env: the envs of this project
    # accept them beside their declared keys.
    env_defaults = EasyDict({**{key: None for key in DI_ENGINE_ENV_KEYS}, **defaults.env})
    _check_section(main_config.get('env', {}), env_defaults, 'env', _is_strict(env_cls))


def check_positive_int(name: str, value: Any) -> None:
    """Raise ``ConfigError`` unless ``value`` is an integer (not a bool) >= 1; ``name`` says what it counts."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")


def check_budgets(max_env_step: Optional[int], max_train_iter: Optional[int], save_every_s: float) -> None:
    """
    Overview:
        Raise ``ConfigError`` unless a run has a budget, its budgets are positive integers and its checkpoint
        interval is a number of seconds >= 0.
    """
    if max_env_step is None and max_train_iter is None:
        raise ConfigError("give max_env_step or max_train_iter (--env-step, --train-iter): a run needs a budget")
    for name, value in (('max_env_step (--env-step)', max_env_step), ('max_train_iter (--train-iter)', max_train_iter)):
        if value is not None:
            check_positive_int(name, value)
    if isinstance(save_every_s, bool) or not isinstance(save_every_s, numbers.Real) or not save_every_s >= 0:
        raise ConfigError(f"save_every_s (--save-every) must be a number of seconds >= 0, got {save_every_s!r}")


def model_class(policy_cls: type, policy_cfg: EasyDict) -> type:
    """
    Overview:
        The model class a policy builds: ``policy.model.type`` (with its ``import_names``) where the config names
        one, else the policy's ``default_model()``, which some DI-engine policies derive from their config (DDPG:
        ``multi_agent``), so it is asked on a bare instance that holds ``policy_cfg`` alone.
    """
    model_cfg = policy_cfg.get('model', {})
    if 'type' in model_cfg:
        name, import_names = model_cfg['type'], model_cfg.get('import_names', [])
    else:
        probe = object.__new__(policy_cls)
        probe._cfg = policy_cfg
        name, import_names = probe.default_model()
    import_module(import_names)
    if name not in MODEL_REGISTRY:
        raise ConfigError(f"policy.model.type={name!r} is not registered; known models: {sorted(MODEL_REGISTRY)}")
    return MODEL_REGISTRY.get(name)


def _is_strict(cls: type) -> bool:
    return cls.__module__.split('.')[0] in STRICT_PACKAGES


def _check_model(model_cfg: Mapping, cls: type, policy_defaults: Mapping) -> None:
    """The keys of ``policy.model`` are the arguments of ``cls.__init__``; types from their annotations."""
    parameters = dict(inspect.signature(cls.__init__).parameters)
    parameters.pop('self', None)
    takes_any = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    for key, value in model_cfg.items():
        name = f'policy.model.{key}'
        if key in REGISTRY_KEYS:
            continue
        if key not in parameters:
            if takes_any:
                continue
            raise ConfigError(_unknown(name, key, parameters, f'an argument of {cls.__name__}'))
        expected = _annotation_types(parameters[key].annotation)
        if expected is None and key in policy_defaults:
            expected = _value_types(policy_defaults[key])
        _check_type(name, value, expected)


def _check_section(user: Mapping, default: Mapping, prefix: str, strict: bool) -> None:
    """Recursive check of one section: known keys (when ``strict``), and each value's type against the default."""
    for key, value in user.items():
        name = f'{prefix}.{key}'
        if key in REGISTRY_KEYS:
            continue
        if key not in default:
            if strict:
                raise ConfigError(_unknown(name, key, default, prefix))
            continue
        if isinstance(default[key], Mapping):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{name} must be a dict (a config section), got {value!r}")
            # An empty default section declares no keys: whatever it holds is read by someone else.
            if default[key]:
                _check_section(value, default[key], name, strict)
            continue
        _check_type(name, value, _value_types(default[key]))


def _unknown(name: str, key: str, known: Iterable[str], where: str) -> str:
    candidates = [k for k in known if k not in REGISTRY_KEYS]
    close = difflib.get_close_matches(str(key), candidates, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known keys: {sorted(candidates)}"
    return f"unknown config key {name!r} (not {where}): {hint}"


def _value_types(default: Any) -> Optional[tuple]:
    """The types a value may have where the default is ``default`` (None: any)."""
    if default is None:
        return None
    if isinstance(default, bool):
        return (bool, )
    if isinstance(default, numbers.Number):  # ints where floats are expected and the reverse (inf, 1e5, ...)
        return (numbers.Real, )
    if isinstance(default, str):
        return (str, )
    if isinstance(default, Sequence):
        return (list, tuple)
    return None


def _annotation_types(annotation: Any) -> Optional[tuple]:
    """The classes an annotation admits (``Optional``/``Union`` flattened); None when it is not that simple."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return None
    if annotation is float:
        return (numbers.Real, )
    if annotation is int:
        return (numbers.Integral, )
    if isinstance(annotation, type):
        return (annotation, )
    if typing.get_origin(annotation) is typing.Union:
        types = [_annotation_types(arg) for arg in typing.get_args(annotation)]
        return None if None in types else tuple(t for group in types for t in group)
    origin = typing.get_origin(annotation)  # List[int] -> list, ...
    return (origin, ) if isinstance(origin, type) else None


def _check_type(name: str, value: Any, expected: Optional[tuple]) -> None:
    if expected is None:
        return
    # bool is an int to Python; a config's True where a number is expected is a mistake.
    is_bool = isinstance(value, bool)
    if isinstance(value, expected) and not (is_bool and bool not in expected):
        return
    names = ' or '.join(sorted({_type_name(t) for t in expected}))
    raise ConfigError(f"{name}={value!r} has type {type(value).__name__}; expected {names}")


def _type_name(cls: type) -> str:
    return {numbers.Real: 'number', numbers.Integral: 'int', type(None): 'None'}.get(cls, cls.__name__)
