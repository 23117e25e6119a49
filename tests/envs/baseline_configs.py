"""
Overview:
    Tiny DI-engine configs of MAPPO, MASAC, MADDPG and QMIX on the envs of ``dizoo_envs``, derived from DI-engine's
    ``dizoo/petting_zoo/config/ptz_simple_spread_{mappo,masac,maddpg,qmix}_config.py`` with the model shapes taken
    from the env (``obs_shapes``) and sizes cut down so that 2 training iterations run in seconds on a CPU.
    Used by the smoke tests; reusable as the starting point of real configs (scale ``n_sample``, ``batch_size``...
    back to the petting_zoo values).
"""
import copy
from typing import Dict, Optional, Tuple

from easydict import EasyDict

#: policy name -> (DI-engine policy type, serial entry name, continuous actions)
#: ``masac`` is DI-engine's continuous SAC with ``multi_agent=True`` (``continuous_maqac`` model): DI-engine 0.5.3's
#: discrete MASAC (``discrete_sac`` + ``multi_agent=True``, the petting_zoo config) crashes in its first forward
#: (``DiscreteMAQAC.compute_actor`` reads ``inputs['obs']`` but ``DiscreteSACPolicy`` passes the observation
#: itself), on DI-engine's own petting_zoo env as well; it is kept as ``masac_discrete`` to show the fault.
POLICIES = {
    'mappo': ('ppo', 'serial_pipeline_onpolicy', False),
    'masac': ('sac', 'serial_pipeline', True),
    'masac_discrete': ('discrete_sac', 'serial_pipeline', False),
    'maddpg': ('ddpg', 'serial_pipeline', True),
    'qmix': ('qmix', 'serial_pipeline', False),
}

#: env type -> module to import
ENV_MODULES = {
    'cooperative_navigation': 'dizoo_envs.cooperative_navigation',
    'predator_prey': 'dizoo_envs.predator_prey',
    'simple_spread_seeded': 'dizoo_envs.simple_spread_seeded',
}


def _env_class(env_type: str):
    import importlib
    from ding.utils import ENV_REGISTRY
    importlib.import_module(ENV_MODULES[env_type])
    return ENV_REGISTRY.get(env_type)


def make_config(
        policy: str,
        env_type: str = 'cooperative_navigation',
        env_overrides: Optional[Dict] = None,
        exp_name: Optional[str] = None,
        collector_env_num: int = 2,
        evaluator_env_num: int = 1,
        env_manager: str = 'base',
        cuda: bool = False,
) -> Tuple[EasyDict, EasyDict]:
    """
    Overview:
        ``(main_config, create_config)`` of a tiny run of ``policy`` on ``env_type``.
    Arguments:
        - policy (:obj:`str`): one of ``POLICIES``.
        - env_type (:obj:`str`): one of ``ENV_MODULES``.
        - env_overrides (:obj:`Optional[Dict]`): extra env config keys (e.g. ``n_agent``).
        - exp_name (:obj:`Optional[str]`): relative output folder.
        - collector_env_num, evaluator_env_num (:obj:`int`): env counts.
        - env_manager (:obj:`str`): ``'base'`` or ``'subprocess'``.
        - cuda (:obj:`bool`): policy.cuda.
    """
    policy_type, _, continuous = POLICIES[policy]
    env = dict(
        n_agent=3,
        max_cycles=25,
        agent_obs_only=False,
        # MAPPO, MASAC and MADDPG have per-agent critics on (A, D + G); QMIX mixes with the (G,) global state
        agent_specific_global_state=policy != 'qmix',
        continuous_actions=continuous,
        collector_env_num=collector_env_num,
        evaluator_env_num=evaluator_env_num,
        n_evaluator_episode=evaluator_env_num,
        stop_value=1e9,
    )
    if env_type == 'cooperative_navigation':
        env.update(n_landmark=3, n_nearest=2)
    elif env_type == 'predator_prey':
        env.update(n_prey=1, n_nearest=2)
    else:
        env.update(n_landmark=3)
    if continuous and env_type != 'simple_spread_seeded':
        env['act_scale'] = True  # as DI-engine's maddpg config; a no-op on [-1, 1] action spaces
    env.update(env_overrides or {})
    env_cls = _env_class(env_type)
    shape_cfg = {k: v for k, v in env.items() if k not in ('collector_env_num', 'evaluator_env_num',
                                                            'n_evaluator_episode', 'stop_value')}
    shapes = env_cls.obs_shapes(shape_cfg)
    agent_num = shapes['agent_num']
    d, g, dg, act = (shapes['agent_obs_shape'], shapes['global_obs_shape'],
                     shapes['agent_specific_global_obs_shape'], shapes['action_shape'])
    exp_name = exp_name or f'{env_type}_{policy}_seed0'
    if policy == 'mappo':
        policy_cfg = dict(
            cuda=cuda,
            multi_agent=True,
            action_space='discrete',
            model=dict(action_space='discrete', agent_num=agent_num, agent_obs_shape=d, global_obs_shape=dg,
                       action_shape=act),
            learn=dict(multi_gpu=False, epoch_per_collect=1, batch_size=32, learning_rate=5e-4, value_weight=0.5,
                       entropy_weight=0.01, clip_ratio=0.2, adv_norm=False, value_norm=True, ppo_param_init=True,
                       grad_clip_type='clip_norm', grad_clip_value=10, ignore_done=False),
            collect=dict(n_sample=50, unroll_len=1, env_num=collector_env_num),
            eval=dict(env_num=evaluator_env_num, evaluator=dict(eval_freq=1000)),
            other=dict(),
        )
    elif policy == 'masac':
        policy_cfg = dict(
            cuda=cuda,
            on_policy=False,
            multi_agent=True,
            random_collect_size=50,
            model=dict(agent_obs_shape=d, global_obs_shape=dg, action_shape=act, twin_critic=True,
                       action_space='reparameterization'),
            learn=dict(update_per_collect=1, batch_size=16, learning_rate_q=5e-4, learning_rate_policy=5e-4,
                       learning_rate_alpha=5e-5, target_theta=0.005, discount_factor=0.99, alpha=0.2,
                       auto_alpha=True, target_entropy=-2),
            collect=dict(n_sample=50, env_num=collector_env_num),
            eval=dict(env_num=evaluator_env_num, evaluator=dict(eval_freq=1000)),
            other=dict(replay_buffer=dict(replay_buffer_size=1000)),
        )
    elif policy == 'masac_discrete':
        policy_cfg = dict(
            cuda=cuda,
            on_policy=False,
            multi_agent=True,
            random_collect_size=50,
            model=dict(agent_obs_shape=d, global_obs_shape=dg, action_shape=act, twin_critic=True),
            learn=dict(update_per_collect=1, batch_size=16, learning_rate_q=5e-4, learning_rate_policy=5e-4,
                       learning_rate_alpha=5e-5, target_theta=0.005, discount_factor=0.99, alpha=0.2,
                       auto_alpha=True, target_entropy=-2),
            collect=dict(n_sample=50, env_num=collector_env_num),
            eval=dict(env_num=evaluator_env_num, evaluator=dict(eval_freq=1000)),
            other=dict(eps=dict(type='linear', start=1, end=0.05, decay=100000),
                       replay_buffer=dict(replay_buffer_size=1000)),
        )
    elif policy == 'maddpg':
        policy_cfg = dict(
            cuda=cuda,
            multi_agent=True,
            random_collect_size=50,
            model=dict(agent_obs_shape=d, global_obs_shape=dg, action_shape=act, action_space='regression',
                       twin_critic=False),
            learn=dict(update_per_collect=1, batch_size=16, learning_rate_q=5e-4, learning_rate_policy=5e-4,
                       target_theta=0.005, discount_factor=0.99),
            collect=dict(n_sample=50, env_num=collector_env_num),
            eval=dict(env_num=evaluator_env_num, evaluator=dict(eval_freq=1000)),
            other=dict(eps=dict(type='linear', start=1, end=0.05, decay=100000),
                       replay_buffer=dict(replay_buffer_size=1000)),
        )
    elif policy == 'qmix':
        policy_cfg = dict(
            cuda=cuda,
            model=dict(agent_num=agent_num, obs_shape=d, global_obs_shape=g, action_shape=act,
                       hidden_size_list=[32, 32], mixer=True),
            learn=dict(update_per_collect=1, batch_size=4, learning_rate=0.0005, target_update_theta=0.001,
                       discount_factor=0.99, double_q=True),
            collect=dict(n_sample=50, unroll_len=10, env_num=collector_env_num),
            eval=dict(env_num=evaluator_env_num, evaluator=dict(eval_freq=1000)),
            other=dict(eps=dict(type='exp', start=1.0, end=0.05, decay=100000),
                       replay_buffer=dict(replay_buffer_size=1000)),
        )
    else:
        raise KeyError(f"unknown policy '{policy}', expected one of {sorted(POLICIES)}")
    main_config = EasyDict(dict(exp_name=exp_name, env=env, policy=policy_cfg))
    create_config = EasyDict(
        dict(
            env=dict(type=env_type, import_names=[ENV_MODULES[env_type]]),
            env_manager=dict(type=env_manager),
            policy=dict(type=policy_type),
        )
    )
    return copy.deepcopy(main_config), copy.deepcopy(create_config)


def run_tiny(policy: str, max_train_iter: int = 2, seed: int = 0, **kwargs) -> object:
    """
    Overview:
        Run ``policy`` for ``max_train_iter`` training iterations with DI-engine's serial entry. Writes
        ``exp_name`` under the current directory.
    Returns:
        - policy: the trained policy returned by the entry.
    """
    from ding import entry
    main_config, create_config = make_config(policy, **kwargs)
    pipeline = getattr(entry, POLICIES[policy][1])
    return pipeline((main_config, create_config), seed=seed, max_train_iter=max_train_iter)
