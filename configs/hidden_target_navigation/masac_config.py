"""
MASAC on hidden target navigation: DI-engine's continuous SAC (policy ``sac``) with ``multi_agent=True``
(``continuous_maqac`` model: per-agent actors on the local observation, twin critics on the agent-specific global
state), as cooperative navigation's ``masac_config.py`` (DI-engine's petting_zoo MASAC values), with the env, team size
and env-step budget of this folder's ding_atoc config. It trains on the team reward (DI-engine 0.5.3's multi-agent
policies take no per-agent reward), while this folder's ding_atoc configs train on local rewards; all are scored on
the same task metrics. Team size: change ``n_agent`` below.
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
    agent_obs_only=False,
    agent_specific_global_state=True,
    continuous_actions=True,
    act_scale=True,  # a no-op here, the action space is already [-1, 1]
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=0,
)
shapes = HiddenTargetNavigationEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='hidden_target_navigation_masac',
    max_env_step=200000,
    env=env_config,
    policy=dict(
        cuda=True,
        on_policy=False,
        multi_agent=True,
        random_collect_size=1000,
        model=dict(
            agent_obs_shape=shapes['agent_obs_shape'],
            global_obs_shape=shapes['agent_specific_global_obs_shape'],
            action_shape=shapes['action_shape'],
            twin_critic=True,
            action_space='reparameterization',
        ),
        learn=dict(
            update_per_collect=40,
            batch_size=64,
            # learning_rates
            learning_rate_q=5e-4,
            learning_rate_policy=5e-4,
            learning_rate_alpha=5e-5,
            target_theta=0.005,
            discount_factor=0.99,
            alpha=0.2,
            auto_alpha=True,
            target_entropy=-shapes['action_shape'],  # SAC's usual -dim(action) for continuous actions
        ),
        collect=dict(
            n_sample=400,
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
        import_names=['ding.policy.sac'],
        type='sac',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/hidden_target_navigation/masac_config.py -s 0 --env-step 200000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
