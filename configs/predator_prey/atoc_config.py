"""
DI-engine's own ATOC (policy ``atoc``, ``ding/policy/atoc.py``) on predator-prey, the baseline of ding_atoc:
cooperative navigation's ``atoc_config.py`` (DI-engine's petting_zoo ATOC values) with the task of this folder's
``ding_atoc_paper_config.py``: 20 learning predators chase 7 faster scripted prey for 25 steps, 10^6 env steps.
DI-engine's ATOC reads only the (A, D) local observations (``agent_obs_only=True``) and groups by distances between
thoughts, not within the env's observable field (each predator's K nearest predators). It trains on the team reward
(DI-engine 0.5.3's multi-agent policies take no per-agent reward), while this folder's ding_atoc_paper configs train
on local rewards; all are scored on the same task metrics (``catches``). Team size: change ``n_agent`` (and
``n_prey``) below, the model widths follow; its Python loops over batch x agents x agents make it slow beyond a few
agents, and so at 20.
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
    agent_obs_only=True,
    continuous_actions=True,
    act_scale=True,
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=int(1e9),  # rewards are positive when prey is caught: never stop on the return
)
shapes = PredatorPreyEnv.obs_shapes(env_config)

main_config = dict(
    exp_name='predator_prey_atoc',
    max_env_step=1000000,
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
        import_names=['dizoo_envs.predator_prey'],
        type='predator_prey',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding.policy.atoc'],
        type='atoc',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/predator_prey/atoc_config.py -s 0 --env-step 1000000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
