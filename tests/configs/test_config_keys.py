"""
Every key under ``policy`` of every file in ``configs/`` is one its policy reads. DI-engine drops keys it does not
know without a word: MADDPG's configs gave its learning rates as ``learning_rate_q``/``learning_rate_policy`` (SAC's
keys, as DI-engine's own petting_zoo config does), so DDPG trained at its default 1e-3.

Known keys, as ``ding_atoc.entry.validation`` reads them: the policy's ``default_config()`` with the learner,
collector, evaluator and replay-buffer defaults that ``compile_config`` adds, and for ``policy.model`` the model's
``__init__`` arguments. ``check_config`` holds unknown keys against DI-engine's own policies only where their code
reads keys their defaults do not declare; here those keys are listed (``READ_BEYOND_DEFAULTS``), so the check is
strict for every policy.
"""
import copy
import os

import pytest
from ding.config import compile_config
from ding.utils import POLICY_REGISTRY
from easydict import EasyDict

from ding_atoc.entry.config_loader import check_registry_names, load_config
from ding_atoc.entry.validation import ConfigError, _check_model, _check_section, _is_strict, model_class
from tests import tiny

#: Keys the code of DI-engine's policies reads though their default configs do not declare them, by policy type
#: ('*': every DI-engine policy), with where they are read (DI-engine 0.5.3).
READ_BEYOND_DEFAULTS = {
    # Policy._get_n_sample / _get_n_episode (ding/policy/base_policy.py): the serial collectors' collection size,
    # asked with policy.get_attribute('n_sample'); most DI-engine policies leave it commented out in their defaults.
    '*': ('collect.n_sample', 'collect.n_episode'),
    # QMIXPolicy._init_collect / _init_eval (ding/policy/qmix.py): one recurrent hidden state per env.
    'qmix': ('collect.env_num', 'eval.env_num'),
    # DDPGPolicy._init_learn (ding/policy/ddpg.py): TD3's target policy smoothing, read when learn.noise is True.
    'ddpg': ('learn.noise_sigma', 'learn.noise_range'),
}


def known_policy_keys(create_config: EasyDict) -> EasyDict:
    """The compiled default ``policy`` section of a config's policy, with the keys its code reads beyond them."""
    defaults = compile_config(EasyDict(policy={}, env={}), create_cfg=copy.deepcopy(create_config), auto=True,
                              save_cfg=False).policy
    policy_type = create_config.policy.type
    if not _is_strict(POLICY_REGISTRY.get(policy_type)):
        for dotted in READ_BEYOND_DEFAULTS['*'] + READ_BEYOND_DEFAULTS.get(policy_type, ()):
            section, key = dotted.split('.')
            defaults[section].setdefault(key, None)  # None: a value of any type
    return defaults


def check_policy_keys(main_config: EasyDict, create_config: EasyDict) -> None:
    """Raise ``ConfigError`` naming the first key under ``main_config.policy`` that its policy or model never reads."""
    check_registry_names(create_config)  # imports the policy's module
    known = known_policy_keys(create_config)
    policy = main_config.policy
    model_cls = model_class(POLICY_REGISTRY.get(create_config.policy.type), EasyDict(known, **policy))
    _check_model(policy.get('model', {}), model_cls, known.model)
    _check_section({key: value for key, value in policy.items() if key != 'model'}, known, 'policy', strict=True)


@pytest.mark.parametrize('path', tiny.all_config_paths())
def test_every_policy_key_of_a_shipped_config_is_read(path):
    check_policy_keys(*load_config(os.path.join(tiny.CONFIG_DIR, path)))


@pytest.mark.parametrize('section,key,value,message', [
    # what the MADDPG configs had: SAC's names of the learning rates
    ('learn', 'learning_rate_q', 5e-4, "unknown config key 'policy.learn.learning_rate_q' (not policy.learn)"),
    ('collect', 'env_num', 4, "unknown config key 'policy.collect.env_num' (not policy.collect)"),
    ('model', 'hidden_size', 64, "'policy.model.hidden_size' (not an argument of ContinuousMAQAC)"),
])
def test_a_key_ddpg_never_reads_is_named(section, key, value, message):
    main_config, create_config = load_config(tiny.config_path('cooperative_navigation', 'maddpg'))
    main_config.policy[section][key] = value
    with pytest.raises(ConfigError, match=message.replace('(', r'\(').replace(')', r'\)')):
        check_policy_keys(main_config, create_config)


def test_keys_read_beyond_the_defaults_are_known_only_to_the_policy_that_reads_them():
    main_config, create_config = load_config(tiny.config_path('cooperative_navigation', 'qmix'))
    check_policy_keys(main_config, create_config)  # QMIX reads collect.env_num
    ddpg_main, ddpg_create = load_config(tiny.config_path('cooperative_navigation', 'maddpg'))
    ddpg_main.policy.learn.noise_sigma = 0.2  # read by DDPG (TD3's smoothing), not declared in its defaults
    check_policy_keys(ddpg_main, ddpg_create)
    main_config.policy.learn.noise_sigma = 0.2
    with pytest.raises(ConfigError, match="policy.learn.noise_sigma"):
        check_policy_keys(main_config, create_config)
