"""
ding_atoc without communication on predator-prey in the paper's setting: the no-communication ablation
(``model.communication=False``) of ``ding_atoc_paper_config.py`` (20 predators, 7 prey, local rewards, 10^6 env
steps); everything else is that config's, so the two compare directly. Team size: change ``n_agent`` (and ``n_prey``)
below.
"""
from easydict import EasyDict

from dizoo_envs.predator_prey import PredatorPreyEnv

n_agent = 20  # (int) predators A (the learning agents)
n_prey = 7  # (int) scripted prey P: about MPE simple_tag's one prey per 3 predators
n_nearest = 2  # (int) K: nearest predators and prey in each local observation
collector_env_num = 16  # (int) envs collected from together: 16 x 25 steps = one episode each per collection of 400
evaluator_env_num = 4

env_config = dict(
    n_agent=n_agent,
    n_prey=n_prey,
    n_nearest=n_nearest,
    max_cycles=25,
    continuous_actions=True,
    # The observable field that ATOC groups within: each agent sees its K nearest agents.
    observable_field=dict(type='k_nearest', k=n_nearest),
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    # Local rewards, shape (A,): each predator is paid for the prey it touches and pulled toward its nearest prey;
    # eval_episode_return stays the team reward's sum.
    reward_type='local',
    stop_value=int(1e9),  # rewards are positive when prey is caught: never stop on the return
)
# Model widths of this env config (D = velocity, position, K predators, K prey; action 2).
shapes = PredatorPreyEnv.obs_shapes(env_config)
obs_shape = shapes['agent_obs_shape']
action_shape = shapes['action_shape']

main_config = dict(
    exp_name='predator_prey_ding_atoc_paper_nocomm',
    # (int) Env-step budget of ``ding-atoc train`` when no --env-step is given.
    max_env_step=1000000,
    env=env_config,
    policy=dict(
        cuda=True,
        # (int) T: steps a communication structure lasts.
        comm_interval=15,
        model=dict(
            obs_shape=obs_shape,
            action_shape=action_shape,
            n_agent=n_agent,
            # (int) Size of a thought; even (BiLSTM channel).
            thought_size=64,
            # (int) m: collaborators per initiator, within the observable field.
            group_size=2,
            # (float) p_i above this makes agent i an initiator.
            initiator_threshold=0.5,
            # (bool) False: the no-communication ablation.
            communication=False,
        ),
        learn=dict(
            update_per_collect=40,
            batch_size=64,
            learning_rate_actor=1e-3,
            learning_rate_critic=1e-3,
            # (float) Learning rate of the attention unit's own optimiser.
            learning_rate_attention=1e-3,
            # (int) (observation, dQ) pairs per attention-unit step.
            attention_batch_size=64,
            # (int) Capacity of the dQ queue D.
            attention_queue_size=10000,
            discount_factor=0.95,
            target_theta=0.01,
            ignore_done=True,
        ),
        collect=dict(
            n_sample=400,
            noise_sigma=0.1,
            # (bool) Sample initiators from Bernoulli(p_i) while collecting.
            sample_initiators=True,
        ),
        eval=dict(evaluator=dict(eval_freq=200, ), ),
        other=dict(replay_buffer=dict(replay_buffer_size=100000, ), ),
    ),
)
main_config = EasyDict(main_config)
create_config = dict(
    env=dict(
        # dizoo_envs.batched registers the batched env that `ding-atoc train` collects with.
        import_names=['dizoo_envs.predator_prey', 'dizoo_envs.batched'],
        type='predator_prey',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding_atoc.policy'],
        type='ding_atoc',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/predator_prey/ding_atoc_paper_nocomm_config.py -s 0 --env-step 1000000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
