"""
DI-engine's QMIX (policy ``qmix``: recurrent per-agent Q networks on the local observation, mixed with the (G,)
global state) on cooperative navigation, discrete actions (5 MPE moves). Based on DI-engine's
``dizoo/petting_zoo/config/ptz_simple_spread_qmix_config.py`` (model, learning rate, target update, double Q,
sequences of 16 steps), with the env, team size, env counts and env-step budget of the default ding_atoc config;
``n_sample`` counts sequences: 32 per collection (512 steps; DI-engine: 600) with 10 updates of 32 sequences
(DI-engine: 100), and epsilon decays over 20000 env steps (DI-engine: 100000) to fit the budget. Team size: change
``n_agent`` below.
"""
from easydict import EasyDict

from dizoo_envs.cooperative_navigation import CooperativeNavigationEnv

n_agent = 5
n_landmark = n_agent
n_nearest = 2
collector_env_num = 4
evaluator_env_num = 4

env_config = dict(
    n_agent=n_agent,
    n_landmark=n_landmark,
    n_nearest=n_nearest,
    max_cycles=25,
    agent_obs_only=False,
    continuous_actions=False,
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=0,
)
shapes = CooperativeNavigationEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='cooperative_navigation_qmix',
    max_env_step=60000,
    env=env_config,
    policy=dict(
        cuda=True,
        model=dict(
            agent_num=shapes['agent_num'],
            obs_shape=shapes['agent_obs_shape'],
            global_obs_shape=shapes['global_obs_shape'],
            action_shape=shapes['action_shape'],
            hidden_size_list=[128, 128, 64],
            mixer=True,
        ),
        learn=dict(
            update_per_collect=10,
            batch_size=32,
            learning_rate=0.0005,
            target_update_theta=0.001,
            discount_factor=0.99,
            double_q=True,
        ),
        collect=dict(
            n_sample=32,
            unroll_len=16,
            # (int) QMIX keeps one recurrent hidden state per env, collecting and evaluating.
            env_num=collector_env_num,
        ),
        eval=dict(
            env_num=evaluator_env_num,
            evaluator=dict(eval_freq=200, ),
        ),
        other=dict(
            eps=dict(
                type='exp',
                start=1.0,
                end=0.05,
                decay=20000,
            ),
            replay_buffer=dict(replay_buffer_size=5000, ),
        ),
    ),
)
main_config = EasyDict(main_config)
create_config = dict(
    env=dict(
        import_names=['dizoo_envs.cooperative_navigation'],
        type='cooperative_navigation',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding.policy.qmix'],
        type='qmix',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/cooperative_navigation/qmix_config.py -s 0 --env-step 60000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
