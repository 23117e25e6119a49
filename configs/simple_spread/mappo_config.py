"""
DI-engine's MAPPO (policy ``ppo`` with ``multi_agent=True``) on MPE simple_spread (``simple_spread_seeded``),
discrete actions. DI-engine's ``dizoo/petting_zoo/config/ptz_simple_spread_mappo_config.py`` (learning rate, loss
weights, clipping, value norm) with the env counts and env-step budget of the ding_atoc config beside it, and
collections of 800 steps in minibatches of 400 (DI-engine: 3200 and 3200). Runs with ``serial_pipeline_onpolicy``
(``ding -m serial_onpolicy``). Team size: change ``n_agent`` below, the model widths follow.
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
    continuous_actions=False,
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=0,
)
shapes = SimpleSpreadSeededEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='simple_spread_mappo',
    max_env_step=60000,
    env=env_config,
    policy=dict(
        cuda=True,
        multi_agent=True,
        action_space='discrete',
        model=dict(
            action_space='discrete',
            agent_num=shapes['agent_num'],
            agent_obs_shape=shapes['agent_obs_shape'],
            global_obs_shape=shapes['agent_specific_global_obs_shape'],
            action_shape=shapes['action_shape'],
        ),
        learn=dict(
            epoch_per_collect=5,
            batch_size=400,
            learning_rate=5e-4,
            # (float) The loss weight of value network, policy network weight is set to 1
            value_weight=0.5,
            # (float) The loss weight of entropy regularization, policy network weight is set to 1
            entropy_weight=0.01,
            # (float) PPO clip ratio, defaults to 0.2
            clip_ratio=0.2,
            # (bool) Whether to use advantage norm in a whole training batch
            adv_norm=False,
            value_norm=True,
            ppo_param_init=True,
            grad_clip_type='clip_norm',
            grad_clip_value=10,
            ignore_done=False,
        ),
        collect=dict(
            n_sample=800,
            unroll_len=1,
        ),
        eval=dict(evaluator=dict(eval_freq=100, ), ),
        other=dict(),
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
        import_names=['ding.policy.ppo'],
        type='ppo',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial_onpolicy -c configs/simple_spread/mappo_config.py -s 0 --env-step 60000
    from ding.entry import serial_pipeline_onpolicy
    serial_pipeline_onpolicy((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
