"""
ding_atoc without communication on MPE simple_spread (``simple_spread_seeded``): the no-communication
ablation of ``ding_atoc_config.py`` beside it (``model.communication=False``: DDPG with parameters shared by all
agents, through the same code path); everything else is that config's, so the two compare directly. Team size:
change ``n_agent`` below, the model widths follow.
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
    continuous_actions=True,
    # PettingZoo's continuous actions lie in [0, 1]^5: map the tanh-bounded actions from [-1, 1].
    act_scale=True,
    collector_env_num=collector_env_num,
    evaluator_env_num=evaluator_env_num,
    n_evaluator_episode=evaluator_env_num,
    stop_value=0,
)
# Model widths of this env config (D = velocity, position, all landmarks, all other agents, communication; action 5).
shapes = SimpleSpreadSeededEnv.obs_shapes(env_config)
obs_shape = shapes['agent_obs_shape']
action_shape = shapes['action_shape']

main_config = dict(
    exp_name='simple_spread_ding_atoc_nocomm',
    # (int) Env-step budget of ``ding-atoc train`` when no --env-step is given.
    max_env_step=60000,
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
            # (int) m: collaborators per initiator, within the observable field (here every other agent).
            group_size=min(3, n_agent - 1),
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
        import_names=['dizoo_envs.simple_spread_seeded'],
        type='simple_spread_seeded',
    ),
    env_manager=dict(type='base'),
    policy=dict(
        import_names=['ding_atoc.policy'],
        type='ding_atoc',
    ),
)
create_config = EasyDict(create_config)

if __name__ == '__main__':
    # or: ding -m serial -c configs/simple_spread/ding_atoc_nocomm_config.py -s 0 --env-step 60000
    from ding.entry import serial_pipeline
    serial_pipeline((main_config, create_config), seed=0, max_env_step=main_config.max_env_step)
