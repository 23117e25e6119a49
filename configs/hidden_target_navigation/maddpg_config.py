"""
DI-engine's MADDPG (policy ``ddpg`` with ``multi_agent=True``: per-agent actors on the local observation, centralized
critic on the agent-specific global state) on hidden target navigation, continuous actions: cooperative navigation's
``maddpg_config.py`` (DI-engine's petting_zoo MADDPG values) with the env, team size and env-step budget of this
folder's ding_atoc config, and its collection size, batch and updates per collection. The critic sees every agent and
target (in agent order), the actors only their own observation, so the actors cannot know their targets either. It
trains on the team reward (DI-engine 0.5.3's multi-agent policies take no per-agent reward), while this folder's
ding_atoc configs train on local rewards; all are scored on the same task metrics. Team size: change ``n_agent``
below, the model widths follow.
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
    continuous_actions=True,  # ddpg only supports continuous action spaces
    act_scale=True,  # as DI-engine's config; a no-op here, the action space is already [-1, 1]
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=0,
)
shapes = HiddenTargetNavigationEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='hidden_target_navigation_maddpg',
    max_env_step=200000,
    env=env_config,
    policy=dict(
        cuda=True,
        multi_agent=True,
        random_collect_size=1000,
        model=dict(
            agent_obs_shape=shapes['agent_obs_shape'],
            global_obs_shape=shapes['agent_specific_global_obs_shape'],
            action_shape=shapes['action_shape'],
            action_space='regression',
            twin_critic=False,
        ),
        learn=dict(
            update_per_collect=40,
            batch_size=64,
            # (float) Learning rates of the actors and the critic (DI-engine's petting_zoo config gives them as
            # learning_rate_q/learning_rate_policy, SAC's keys, which DDPG ignores: it trained at its default 1e-3).
            learning_rate_actor=5e-4,
            learning_rate_critic=5e-4,
            target_theta=0.005,
            discount_factor=0.99,
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
        import_names=['ding.policy.ddpg'],
        type='ddpg',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/hidden_target_navigation/maddpg_config.py -s 0 --env-step 200000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
