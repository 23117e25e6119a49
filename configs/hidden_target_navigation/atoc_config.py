"""
DI-engine's own ATOC (policy ``atoc``, ``ding/policy/atoc.py``) on hidden target navigation, the baseline of
ding_atoc: cooperative navigation's ``atoc_config.py`` (DI-engine's petting_zoo ATOC values) with the env, team size
and env-step budget of this folder's ding_atoc config. DI-engine's ATOC reads only the (A, D) local observations
(``agent_obs_only=True``) and groups by distances between thoughts, not within the env's observable field, so an
agent's informant joins its group only if their thoughts are close. It trains on the team reward (DI-engine 0.5.3's
multi-agent policies take no per-agent reward), while this folder's ding_atoc configs train on local rewards; all
are scored on the same task metrics. Team size: change ``n_agent`` below, the model widths follow; its Python loops
over batch x agents x agents make it slow beyond a few agents.
"""
from easydict import EasyDict

from dizoo_envs.hidden_target_navigation import HiddenTargetNavigationEnv

n_agent = 6
n_nearest = 2
collector_env_num = 4
evaluator_env_num = 4

env_config = dict(
    n_agent=n_agent,
    n_nearest=n_nearest,
    max_cycles=50,
    agent_obs_only=True,
    continuous_actions=True,
    act_scale=True,
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=0,
)
shapes = HiddenTargetNavigationEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='hidden_target_navigation_atoc',
    max_env_step=200000,
    env=env_config,
    policy=dict(
        cuda=True,
        priority=False,
        model=dict(
            obs_shape=shapes['agent_obs_shape'],
            action_shape=shapes['action_shape'],
            n_agent=shapes['agent_num'],
            communication=True,
            thought_size=16,
            agent_per_group=min(n_agent // 2, 5),
        ),
        learn=dict(
            update_per_collect=5,
            batch_size=32,
            learning_rate_actor=0.001,
            learning_rate_critic=0.001,
            ignore_done=True,
            target_theta=0.005,
            discount_factor=0.9,
            communication=True,
            actor_update_freq=1,
            noise=True,
            noise_sigma=0.15,
            noise_range=dict(
                min=-0.5,
                max=0.5,
            ),
        ),
        collect=dict(
            n_sample=500,
            noise_sigma=0.4,
        ),
        eval=dict(evaluator=dict(eval_freq=200, ), ),
        other=dict(replay_buffer=dict(replay_buffer_size=100000, ), ),
    ),
)
main_config = EasyDict(main_config)
create_config = dict(
    env=dict(
        import_names=['dizoo_envs.hidden_target_navigation'],
        type='hidden_target_navigation',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding.policy.atoc'],
        type='atoc',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/hidden_target_navigation/atoc_config.py -s 0 --env-step 200000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
