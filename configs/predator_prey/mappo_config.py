"""
DI-engine's MAPPO (policy ``ppo`` with ``multi_agent=True``: per-agent actors on the local observation, critic on the
agent-specific global state) on predator-prey, discrete actions (5 MPE moves): cooperative navigation's
``mappo_config.py`` (DI-engine's petting_zoo MAPPO values, collections of 800 steps in minibatches of 400) with the
task of this folder's ``ding_atoc_paper_config.py`` (20 learning predators chase 7 faster scripted prey for 25 steps,
10^6 env steps), for 1250 PPO updates in the budget. It trains on the team reward (DI-engine 0.5.3's multi-agent
policies take no per-agent reward), while this folder's ding_atoc_paper configs train on local rewards; all are scored
on the same task metrics (``catches``). Runs with ``serial_pipeline_onpolicy`` (``ding -m serial_onpolicy``). Team
size: change ``n_agent`` (and ``n_prey``) below.
"""
from easydict import EasyDict

from dizoo_envs.predator_prey import PredatorPreyEnv

n_agent = 20
n_prey = 7
n_nearest = 2
collector_env_num = 4
evaluator_env_num = 4

env_config = dict(
    n_agent=n_agent,
    n_prey=n_prey,
    n_nearest=n_nearest,
    max_cycles=25,
    agent_obs_only=False,
    agent_specific_global_state=True,
    continuous_actions=False,
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=int(1e9),  # rewards are positive when prey is caught: never stop on the return
)
shapes = PredatorPreyEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='predator_prey_mappo',
    max_env_step=1000000,
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
        import_names=['dizoo_envs.predator_prey'],
        type='predator_prey',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding.policy.ppo'],
        type='ppo',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial_onpolicy -c configs/predator_prey/mappo_config.py -s 0 --env-step 1000000
    from ding.entry import serial_pipeline_onpolicy
    serial_pipeline_onpolicy((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
