"""
DI-engine's MADDPG (policy ``ddpg`` with ``multi_agent=True``) on MPE simple_spread (``simple_spread_seeded``),
continuous actions. DI-engine's ``dizoo/petting_zoo/config/ptz_simple_spread_maddpg_config.py`` (model, learning
rates, target_theta, discount) with the env counts, env-step budget, collection size, batch and updates per
collection of the ding_atoc config beside it. Team size: change ``n_agent`` below, the model widths follow.
"""
from easydict import EasyDict

from dizoo_envs.simple_spread_seeded import SimpleSpreadSeededEnv

n_agent = 3  # (int) agents N (simple_spread has as many landmarks)
n_landmark = n_agent
collector_env_num = 4
evaluator_env_num = 4

env_config = dict(
    n_agent=n_agent,
    n_landmark=n_landmark,
    max_cycles=25,
    agent_obs_only=False,
    agent_specific_global_state=True,
    continuous_actions=True,  # ddpg only supports continuous action spaces
    act_scale=True,  # necessary: PettingZoo's continuous actions lie in [0, 1]^5
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=0,
)
shapes = SimpleSpreadSeededEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='simple_spread_maddpg',
    max_env_step=60000,
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
        import_names=['dizoo_envs.simple_spread_seeded'],
        type='simple_spread_seeded',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding.policy.ddpg'],
        type='ddpg',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/simple_spread/maddpg_config.py -s 0 --env-step 60000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
