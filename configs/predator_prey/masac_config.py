"""
MASAC on predator-prey: DI-engine's continuous SAC (policy ``sac``) with ``multi_agent=True`` (``continuous_maqac``
model: per-agent actors on the local observation, twin critics on the agent-specific global state), as cooperative
navigation's ``masac_config.py`` (DI-engine's petting_zoo MASAC values), with the task of this folder's
``ding_atoc_paper_config.py``: 20 learning predators chase 7 faster scripted prey for 25 steps, 10^6 env steps. It
trains on the team reward (DI-engine 0.5.3's multi-agent policies take no per-agent reward), while this folder's
ding_atoc_paper configs train on local rewards; all are scored on the same task metrics (``catches``). Team size:
change ``n_agent`` (and ``n_prey``) below.
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
    continuous_actions=True,
    act_scale=True,  # a no-op here, the action space is already [-1, 1]
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=int(1e9),  # rewards are positive when prey is caught: never stop on the return
)
shapes = PredatorPreyEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='predator_prey_masac',
    max_env_step=1000000,
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
        import_names=['dizoo_envs.predator_prey'],
        type='predator_prey',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding.policy.sac'],
        type='sac',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/predator_prey/masac_config.py -s 0 --env-step 1000000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
