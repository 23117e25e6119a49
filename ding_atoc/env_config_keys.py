"""
Overview:
    The config keys DI-engine itself puts into ``cfg.env`` (``create_config``, ``compile_config``, env managers,
    evaluators, DI-engine's petting_zoo configs), beside the env's own keys. Part of the data contract with
    environments: an env of this project accepts them and ignores those it does not use, and the config check of
    ``ding_atoc.entry.validation`` accepts them in any ``env`` section. Named once here so that both agree.
"""

DI_ENGINE_ENV_KEYS = frozenset(
    {
        'type',  # registry name, from create_config
        'import_names',  # modules to import, from create_config
        'cfg_type',  # added by default_config()
        'manager',  # env manager config, added by compile_config
        'collector_env_num',
        'evaluator_env_num',
        'n_evaluator_episode',
        'stop_value',
        'env_family',  # petting_zoo configs: 'mpe'
        'env_id',  # petting_zoo configs: 'simple_spread_v2'
        'replay_path',
        'save_replay_gif',
        'replay_path_gif',
        'seed',
        'max_step',  # used by DI-engine's own petting_zoo tests, ignored
    }
)
